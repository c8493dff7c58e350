// The HTTP client's connection pool (ai/http_client.hpp) against a scripted local server that
// counts the connections it accepts and the requests it reads.
#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "ai/chat.hpp"
#include "ai/http_client.hpp"
#include "core/outbound.hpp"

using namespace de;
namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// What the server does with a request.
enum class Reply {
  answer,               // 200 "ok", the connection kept
  answer_and_close,     // 200 "ok" with `Connection: close`, then closes
  answer_then_hang_up,  // 200 "ok" as if kept, then closes without a word
  stream,               // 200, a chunked event stream, the connection kept
  hang_up,              // closes without answering
  part_then_hang_up,    // the head and 2 bytes of a 100-byte body, then closes
};

std::string text_of(Reply reply) {
  switch (reply) {
    case Reply::answer:
    case Reply::answer_then_hang_up: return "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    case Reply::answer_and_close: return "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok";
    case Reply::stream:
      return "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
             "9\r\ndata: a\n\n\r\n0\r\n\r\n";
    case Reply::part_then_hang_up: return "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nok";
    case Reply::hang_up: break;
  }
  return "";
}

// An HTTP/1.1 server on 127.0.0.1 and a thread of its own. `script` picks the reply to each
// request by its number on its connection (1, 2, ...); each waits `delay` first.
class ScriptedServer {
 public:
  using Script = std::function<Reply(int request_on_connection)>;

  explicit ScriptedServer(Script script, std::chrono::milliseconds delay = 0ms)
      : script_(std::move(script)), delay_(delay) {
    asio::co_spawn(io_, accept(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ScriptedServer(const ScriptedServer&) = delete;
  ScriptedServer& operator=(const ScriptedServer&) = delete;
  ~ScriptedServer() {
    io_.stop();
    thread_.join();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + "/v1/x"; }
  int connections() const { return connections_; }
  int requests() const { return requests_; }

 private:
  asio::awaitable<void> accept() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(use_tuple);
      if (ec) co_return;
      ++connections_;
      asio::co_spawn(io_, serve(std::move(socket)), asio::detached);
    }
  }

  asio::awaitable<void> serve(tcp::socket socket) {
    boost::beast::flat_buffer buffer;
    for (int number = 1;; ++number) {
      bhttp::request<bhttp::string_body> request;
      if (auto [ec, read] = co_await bhttp::async_read(socket, buffer, request, use_tuple); ec) co_return;
      ++requests_;
      if (delay_ > 0ms) {
        asio::steady_timer wait(io_, delay_);
        co_await wait.async_wait(use_tuple);
      }
      auto reply = script_(number);
      auto text = text_of(reply);
      if (auto [ec, written] = co_await asio::async_write(socket, asio::buffer(text), use_tuple); ec) co_return;
      if (reply != Reply::answer && reply != Reply::stream) co_return;  // the socket closes with the frame
    }
  }

  Script script_;
  std::chrono::milliseconds delay_;
  asio::io_context io_;
  tcp::acceptor acceptor_{io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
  std::atomic<int> connections_ = 0;
  std::atomic<int> requests_ = 0;
  std::thread thread_;
};

ScriptedServer::Script always(Reply reply) {
  return [reply](int) { return reply; };
}

// The first request on each connection answered and kept, the later ones as `later`.
ScriptedServer::Script then(Reply later) {
  return [later](int number) { return number == 1 ? Reply::answer : later; };
}

asio::awaitable<ai::HttpAnswer> post(std::string url, std::function<void(std::string_view)> on_chunk = {}) {
  co_return co_await ai::request(co_await asio::this_coro::executor, "POST", std::move(url), {}, "{}", 5s,
                                 std::move(on_chunk));
}

// Runs `work` to its end on `io`, whose pool outlives the call.
template <class T>
T run(asio::io_context& io, asio::awaitable<T> work) {
  auto result = asio::co_spawn(io, std::move(work), asio::use_future);
  io.restart();
  io.run();
  return result.get();
}

// `calls` posts to `url` at once on `io`, run by `threads` threads; the number answered "ok".
int post_at_once(asio::io_context& io, const std::string& url, int calls, int threads) {
  std::atomic<int> answered = 0;
  for (int i = 0; i < calls; ++i)
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          if ((co_await post(url)).body == "ok") ++answered;
        },
        asio::detached);
  io.restart();
  std::vector<std::thread> runners;
  for (int i = 1; i < threads; ++i) runners.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& runner : runners) runner.join();
  return answered;
}

ai::ProviderError post_error(asio::io_context& io, const std::string& url) {
  try {
    run(io, post(url));
  } catch (const ai::ProviderError& error) {
    return error;
  }
  ADD_FAILURE() << "the call succeeded";
  return ai::ProviderError(core::ErrorKind::internal, "", 0, false);
}

}  // namespace

TEST(AiHttpPool, ReusesAKeptAliveConnectionStreamedOrNot) {
  ScriptedServer server([](int number) { return number % 2 ? Reply::answer : Reply::stream; });
  asio::io_context io;
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(run(io, post(server.url())).body, "ok");
    std::string events;
    auto streamed = run(io, post(server.url(), [&events](std::string_view piece) { events += piece; }));
    EXPECT_EQ(streamed.status, 200);
    EXPECT_EQ(events, "data: a\n\n");
  }
  EXPECT_EQ(server.requests(), 6);
  EXPECT_EQ(server.connections(), 1) << "every call on the first connection";
}

TEST(AiHttpPool, OpensANewConnectionAfterConnectionClose) {
  ScriptedServer server(always(Reply::answer_and_close));
  asio::io_context io;
  for (int i = 0; i < 3; ++i) EXPECT_EQ(run(io, post(server.url())).body, "ok");
  EXPECT_EQ(server.connections(), 3);
  EXPECT_EQ(server.requests(), 3);
}

TEST(AiHttpPool, LeavesAConnectionClosedWhileIdle) {
  ScriptedServer server(always(Reply::answer_then_hang_up));
  asio::io_context io;
  EXPECT_EQ(run(io, post(server.url())).body, "ok");
  std::this_thread::sleep_for(50ms);  // the server's close arrives
  EXPECT_EQ(run(io, post(server.url())).body, "ok");
  EXPECT_EQ(server.connections(), 2);
  EXPECT_EQ(server.requests(), 2) << "the closed connection was seen when taken: nothing sent on it";
}

TEST(AiHttpPool, SendsOnceMoreWhenAReusedConnectionTurnsOutClosed) {
  ScriptedServer server(then(Reply::hang_up));  // as a server that closes an idle connection just as it is reused
  asio::io_context io;
  EXPECT_EQ(run(io, post(server.url())).body, "ok");
  EXPECT_EQ(run(io, post(server.url())).body, "ok");
  EXPECT_EQ(server.connections(), 2);
  EXPECT_EQ(server.requests(), 3) << "the request went on the reused connection, then on a new one";
}

TEST(AiHttpPool, NeverSendsAgainOnAFreshConnection) {
  ScriptedServer server(always(Reply::hang_up));
  asio::io_context io;
  auto error = post_error(io, server.url());
  EXPECT_EQ(error.kind(), core::ErrorKind::unavailable);
  EXPECT_TRUE(error.retryable) << "the service may try again; the client does not";
  EXPECT_EQ(server.requests(), 1);
}

TEST(AiHttpPool, NeverSendsAgainOncePartOfTheAnswerCame) {
  ScriptedServer server(then(Reply::part_then_hang_up));
  asio::io_context io;
  EXPECT_EQ(run(io, post(server.url())).body, "ok");
  auto error = post_error(io, server.url());
  EXPECT_EQ(error.kind(), core::ErrorKind::unavailable);
  EXPECT_TRUE(error.retryable);
  EXPECT_EQ(server.requests(), 2);
  EXPECT_EQ(server.connections(), 1);
}

TEST(AiHttpPool, KeepsAtMost32IdleConnectionsPerOriginAcrossThreads) {
  ScriptedServer server(always(Reply::answer), 50ms);  // slow enough that all 40 calls are in flight at once
  asio::io_context io;
  EXPECT_EQ(post_at_once(io, server.url(), 40, 3), 40);
  EXPECT_EQ(server.connections(), 40);
  EXPECT_EQ(post_at_once(io, server.url(), 40, 3), 40);
  EXPECT_EQ(server.connections(), 48) << "32 kept and reused, 8 new";
  EXPECT_EQ(server.requests(), 80);
}

TEST(AiHttpGuard, NeverConnectsWhereTheOutboundPolicyRefuses) {
  ScriptedServer server(always(Reply::answer));
  auto port = server.url().substr(std::string("http://127.0.0.1:").size());
  port = port.substr(0, port.find('/'));
  auto allowed = core::outbound::policy();
  core::outbound::set_policy(core::outbound::Policy::parse(""));
  asio::io_context io;
  for (const char* host : {"127.0.0.1", "127.1", "2130706433", "localhost", "[::ffff:127.0.0.1]"}) {
    auto error = post_error(io, "http://" + std::string(host) + ":" + port + "/v1/x");
    EXPECT_EQ(error.kind(), core::ErrorKind::forbidden) << host << ": " << error.what();
    EXPECT_FALSE(error.retryable);
    EXPECT_NE(std::string(error.what()).find("DE_OUTBOUND_ALLOW"), std::string::npos) << error.what();
  }
  EXPECT_EQ(server.connections(), 0);
  // The operator's own AI endpoints are not guarded.
  auto answer = run(io, [](std::string url) -> asio::awaitable<ai::HttpAnswer> {
    co_return co_await ai::request(co_await asio::this_coro::executor, "POST", std::move(url), {}, "{}", 5s, {},
                                   ai::default_answer_limit, ai::Destination::operator_configured);
  }(server.url()));
  EXPECT_EQ(answer.body, "ok");
  core::outbound::set_policy(allowed);
  EXPECT_EQ(run(io, post(server.url())).body, "ok") << "allowed again";
}
