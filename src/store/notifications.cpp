#include "store/notifications.hpp"

#include <libpq-fe.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <chrono>
#include <cstring>
#include <system_error>

#include "core/json.hpp"
#include "core/log.hpp"

namespace de::store {

namespace {
// A lost connection is opened again at most this often.
constexpr std::chrono::seconds reconnect_every(5);

// Waits until `fd` is ready for `events` or `timeout_ms` passed (-1: no limit); false once
// `stop_fd` is readable (stopping).
bool wait_for(int stop_fd, int fd, short events, int timeout_ms) {
  pollfd fds[2] = {{stop_fd, POLLIN, 0}, {fd, events, 0}};
  while (::poll(fds, fd >= 0 ? 2 : 1, timeout_ms) < 0)
    if (errno != EINTR) throw std::system_error(errno, std::generic_category(), "poll");
  return !(fds[0].revents & POLLIN);
}
}  // namespace

Notifications::Notifications(std::string url, std::string channel, std::string own, std::function<void()> notified)
    : url_(std::move(url)), channel_(std::move(channel)), own_(std::move(own)), notified_(std::move(notified)),
      stop_fd_(::eventfd(0, EFD_CLOEXEC)) {
  if (stop_fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
  thread_ = std::thread([this] { run(); });
}

Notifications::~Notifications() {
  std::uint64_t one = 1;
  if (::write(stop_fd_, &one, sizeof one) < 0) spdlog::error(R"("msg":"cannot stop the LISTEN thread")");
  thread_.join();
  ::close(stop_fd_);
}

void Notifications::run() {
  core::name_this_thread("de-listen");
  bool reported = false;  // the last failure was logged: the next ones are not, until it works again
  while (true) {
    auto attempt = std::chrono::steady_clock::now();
    // Connected without blocking, so that stopping never waits for a server that does not answer.
    PGconn* conn = PQconnectStart(url_.c_str());  // null (no memory) reads as CONNECTION_BAD
    for (auto step = PGRES_POLLING_WRITING; step != PGRES_POLLING_OK && step != PGRES_POLLING_FAILED &&
                                            PQstatus(conn) != CONNECTION_BAD;
         step = PQconnectPoll(conn))
      if (!wait_for(stop_fd_, PQsocket(conn), step == PGRES_POLLING_READING ? POLLIN : POLLOUT, -1)) {
        PQfinish(conn);
        return;
      }
    PGresult* listening = PQstatus(conn) == CONNECTION_OK ? PQexec(conn, ("LISTEN " + channel_).c_str()) : nullptr;
    bool ok = listening && PQresultStatus(listening) == PGRES_COMMAND_OK;
    PQclear(listening);
    if (ok) {
      if (reported) spdlog::info(R"("msg":"listening for other nodes' events again")");
      reported = false;
      notified_();  // what was sent while not listening
      bool running = true;
      while ((running = wait_for(stop_fd_, PQsocket(conn), POLLIN, -1)) && PQconsumeInput(conn)) {
        bool any = false;
        while (PGnotify* n = PQnotifies(conn)) {
          any = any || own_ != n->extra;
          PQfreemem(n);
        }
        if (any) notified_();
      }
      if (!running) {
        PQfinish(conn);
        return;
      }
    }
    if (!reported) {
      std::string error = PQerrorMessage(conn);
      while (!error.empty() && (error.back() == '\n' || error.back() == ' ')) error.pop_back();
      spdlog::warn(R"("msg":"cannot listen for other nodes' events: polling the event log until it can","error":{})",
                   core::quoted(error));
    }
    reported = true;
    PQfinish(conn);
    auto next = attempt + reconnect_every - std::chrono::steady_clock::now();
    auto pause_ms = std::max<std::int64_t>(0, std::chrono::duration_cast<std::chrono::milliseconds>(next).count());
    if (!wait_for(stop_fd_, -1, POLLIN, int(pause_ms))) return;
  }
}

}  // namespace de::store
