// de-loadgen: load and delivery checks against a running server, over loopback only.
//
//   de-loadgen throughput --url http://127.0.0.1:8080 --email E --password P
//              [--connections 32] [--seconds 10] [--rate 0]
//     HTTP task submits (echo) -> completion event over /ws/notifications; tasks/s and
//     submit-to-completed latency. --rate caps submits per second (0: as fast as possible).
//   de-loadgen webhook --url ... --path /api/v1/hooks/TOKEN [--connections 32] [--seconds 10] [--rate 0]
//     [--expect TEXT]
//     POSTs {"v":N} to a webhook whose workflow answers with its output; executions/s and
//     latency of the whole round trip. Every answer must be 200 and contain TEXT (default
//     "status":"completed", our answer; another product's answer for a side-by-side run).
//   de-loadgen fanout --url ... --email E --password P [--clients 500] [--tasks 5000]
//     N subscribers to tasks.*, plus one that never reads; submits tasks in batches; checks
//     every subscriber received every event in the same order without gap, and that the
//     non-reader was dropped. Exits 1 when a check fails.
//   de-loadgen receiver [--fail-every 0]
//     A webhook receiver on 127.0.0.1 (a free port, printed as stdout's first line): answers
//     every POST 204, except that the first attempt of every Nth distinct `webhook-id` is
//     answered 503 (so retries are exercised). GET /__stats answers {"received", "distinct",
//     "failed", "failed_then_delivered", "first_ms", "last_distinct_ms", "now_ms"} (times in
//     milliseconds since the receiver started).
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

struct Options {
  std::string mode, host = "127.0.0.1", port = "8080", email, password, path;
  std::string expect = R"("status":"completed")";
  int connections = 32, seconds = 10, clients = 500, tasks = 5000, fail_every = 0;
  double rate = 0;
};

Options parse(int argc, char** argv) {
  Options o;
  if (argc < 2) throw std::runtime_error("usage: de-loadgen throughput|fanout --url URL --email E --password P ...");
  o.mode = argv[1];
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string key = argv[i], value = argv[i + 1];
    if (key == "--url") {
      auto rest = value.substr(value.find("://") + 3);
      o.host = rest.substr(0, rest.find(':'));
      o.port = rest.substr(rest.find(':') + 1);
      if (o.host != "127.0.0.1" && o.host != "localhost") throw std::runtime_error("loopback targets only");
    } else if (key == "--email") o.email = value;
    else if (key == "--password") o.password = value;
    else if (key == "--path") o.path = value;
    else if (key == "--expect") o.expect = value;
    else if (key == "--connections") o.connections = std::stoi(value);
    else if (key == "--seconds") o.seconds = std::stoi(value);
    else if (key == "--clients") o.clients = std::stoi(value);
    else if (key == "--tasks") o.tasks = std::stoi(value);
    else if (key == "--rate") o.rate = std::stod(value);
    else if (key == "--fail-every") o.fail_every = std::stoi(value);
    else throw std::runtime_error("unknown option " + key);
  }
  return o;
}

// One keep-alive HTTP/1.1 connection. A request is written as bytes made once (or once per
// body), and its answer read straight off the socket (status line, then a Content-Length or
// chunked body), so that the client costs less per request than the server it measures.
class HttpClient {
 public:
  struct Response {
    int status = 0;
    std::string_view body;  // valid until the next request
  };

  HttpClient(asio::any_io_executor ex, const Options& o) : socket_(ex), o_(o), buffer_(64 * 1024) {}

  asio::awaitable<void> connect() {
    tcp::resolver resolver(socket_.get_executor());
    auto results = co_await resolver.async_resolve(o_.host, o_.port, asio::use_awaitable);
    co_await asio::async_connect(socket_, results, asio::use_awaitable);
    socket_.set_option(tcp::no_delay(true));
  }

  std::string prepare(std::string_view method, std::string_view target, std::string_view body,
                      std::string_view token) const {
    std::string r;
    r.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: ").append(o_.host).append("\r\n");
    if (!token.empty()) r.append("Authorization: Bearer ").append(token).append("\r\n");
    if (!body.empty()) r.append("Content-Type: application/json\r\n");
    r.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n\r\n").append(body);
    return r;
  }

  asio::awaitable<Response> send(const std::string& request) {
    co_await asio::async_write(socket_, asio::buffer(request), asio::use_awaitable);
    start_ += consumed_, consumed_ = 0;  // the previous answer is no longer needed
    std::size_t head_end;
    while ((head_end = text().find("\r\n\r\n")) == std::string_view::npos) co_await fill();
    auto head = text().substr(0, head_end + 2);  // status line and fields, each ending in CRLF
    if (head.size() < 12 || !head.starts_with("HTTP/1.")) throw std::runtime_error("not an HTTP answer");
    Response res{std::stoi(std::string(head.substr(9, 3))), {}};
    auto length = field(head, "content-length");
    bool chunked = field(head, "transfer-encoding").find("chunked") != std::string_view::npos;
    std::size_t pos = head_end + 4;
    if (!chunked) {
      std::size_t size = length.empty() ? 0 : std::stoul(std::string(length));
      while (text().size() < pos + size) co_await fill();
      consumed_ = pos + size;
      res.body = text().substr(pos, size);
      co_return res;
    }
    body_.clear();
    while (true) {  // chunks: size in hex, CRLF, data, CRLF; a last one of size 0
      std::size_t eol;
      while ((eol = text().find("\r\n", pos)) == std::string_view::npos) co_await fill();
      auto size = std::stoul(std::string(text().substr(pos, eol - pos)), nullptr, 16);
      pos = eol + 2;
      if (size == 0) break;
      while (text().size() < pos + size + 2) co_await fill();
      body_.append(text().substr(pos, size));
      pos += size + 2;
    }
    while (true) {  // trailer fields, up to an empty line
      std::size_t eol;
      while ((eol = text().find("\r\n", pos)) == std::string_view::npos) co_await fill();
      bool empty = eol == pos;
      pos = eol + 2;
      if (empty) break;
    }
    consumed_ = pos;
    res.body = body_;
    co_return res;
  }

 private:
  std::string_view text() const { return {buffer_.data() + start_, end_ - start_}; }

  // A field's value in `head`, empty when absent. `name` in lower case: fields match it in any case.
  static std::string_view field(std::string_view head, std::string_view name) {
    for (std::size_t pos = head.find("\r\n") + 2; pos < head.size();) {
      auto eol = head.find("\r\n", pos);
      auto line = head.substr(pos, eol - pos);
      pos = eol + 2;
      if (line.size() > name.size() && line[name.size()] == ':' &&
          std::equal(name.begin(), name.end(), line.begin(),
                     [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); })) {
        auto value = line.substr(name.size() + 1);
        while (value.starts_with(' ')) value.remove_prefix(1);
        return value;
      }
    }
    return {};
  }

  // Reads more of the answer; when the buffer is full, what is unread moves to its front first
  // (or, when nothing was read yet, the buffer grows).
  asio::awaitable<void> fill() {
    if (end_ == buffer_.size() && start_ > 0) {
      std::copy(buffer_.begin() + std::ptrdiff_t(start_), buffer_.begin() + std::ptrdiff_t(end_), buffer_.begin());
      end_ -= start_, start_ = 0;
    } else if (end_ == buffer_.size()) {
      buffer_.resize(buffer_.size() * 2);
    }
    end_ += co_await socket_.async_read_some(asio::buffer(buffer_.data() + end_, buffer_.size() - end_),
                                             asio::use_awaitable);
  }

  tcp::socket socket_;
  const Options& o_;
  std::vector<char> buffer_;
  std::size_t start_ = 0, end_ = 0, consumed_ = 0;  // unread bytes: [start_, end_)
  std::string body_;                                // a chunked answer's body, joined
};

asio::awaitable<std::string> login(const Options& o) {
  HttpClient client(co_await asio::this_coro::executor, o);
  co_await client.connect();
  // (GCC 12 cannot keep string literals alive across co_await: name them.)
  std::string path = "/api/v1/auth/login", no_token;
  auto body = json::serialize(json::object{{"email", o.email}, {"password", o.password}});
  auto request = client.prepare("POST", path, body, no_token);
  auto res = co_await client.send(request);
  if (res.status != 200) throw std::runtime_error("login failed: " + std::string(res.body));
  co_return std::string(json::parse(res.body).at("access_token").as_string());
}

// A /ws/notifications subscriber. It reads the server's frames straight off the socket, many
// per read: they are unmasked and never fragmented (checked), so that the client costs less
// per message than the server it measures. Pings are answered.
class Subscriber {
 public:
  Subscriber(asio::any_io_executor ex, const Options& o) : ws_(ex), o_(o), buffer_(256 * 1024) {}
  // `small_buffer`: a tiny receive buffer, for a client that will stop reading.
  asio::awaitable<void> open(const std::string& token, json::array topics, bool small_buffer = false) {
    tcp::resolver resolver(ws_.get_executor());
    auto results = co_await resolver.async_resolve(o_.host, o_.port, asio::use_awaitable);
    auto& socket = beast::get_lowest_layer(ws_).socket();
    socket.open(tcp::v4());
    if (small_buffer) socket.set_option(asio::socket_base::receive_buffer_size(64 * 1024));
    co_await socket.async_connect(*results.begin(), asio::use_awaitable);
    beast::get_lowest_layer(ws_).expires_never();
    std::string host = o_.host + std::string(":") + o_.port, target = std::string("/ws/notifications?access_token=") + token;
    co_await ws_.async_handshake(host, target, asio::use_awaitable);
    auto subscribe = json::serialize(json::object{{"type", "subscribe"}, {"topics", topics}});
    co_await ws_.async_write(asio::buffer(subscribe), asio::use_awaitable);
    bool subscribed = false;
    co_await read([&](std::string_view text) {
      subscribed = text.starts_with(R"({"type":"subscribed")");
      return false;
    });
    if (!subscribed) throw std::runtime_error("the subscription was not confirmed");
  }
  // Reads messages until on_message returns false (true) or the connection ends (false).
  template <class F>
  asio::awaitable<bool> read(F on_message) {
    auto& socket = beast::get_lowest_layer(ws_).socket();
    while (true) {
      while (end_ - start_ >= 2) {
        const auto* p = reinterpret_cast<const unsigned char*>(buffer_.data() + start_);
        std::size_t available = end_ - start_, header = 2;
        std::uint64_t size = p[1] & 0x7f;
        if ((p[1] & 0x80) || !(p[0] & 0x80)) throw std::runtime_error("a server frame was masked or fragmented");
        if (size == 126) {
          if (available < 4) break;
          size = std::uint64_t(p[2]) << 8 | p[3], header = 4;
        } else if (size == 127) {
          if (available < 10) break;
          size = 0, header = 10;
          for (int i = 0; i < 8; ++i) size = size << 8 | p[2 + i];
        }
        if (available < header + size) {
          if (buffer_.size() < header + size) buffer_.resize(header + size);
          break;
        }
        std::string_view payload(buffer_.data() + start_ + header, size);
        start_ += header + size;
        int opcode = p[0] & 0x0f;
        if (opcode == 0x8) co_return false;  // close
        if (opcode == 0x9) {
          websocket::ping_data data(payload.begin(), payload.end());
          co_await ws_.async_pong(data, asio::use_awaitable);
        } else if (opcode == 0x1 && !on_message(payload)) {
          co_return true;
        }
      }
      std::copy(buffer_.begin() + std::ptrdiff_t(start_), buffer_.begin() + std::ptrdiff_t(end_), buffer_.begin());
      end_ -= start_, start_ = 0;
      auto [ec, n] = co_await socket.async_read_some(asio::buffer(buffer_.data() + end_, buffer_.size() - end_),
                                                     asio::as_tuple(asio::use_awaitable));
      if (ec) co_return false;
      end_ += n;
    }
  }

 private:
  websocket::stream<beast::tcp_stream> ws_;
  const Options& o_;
  std::vector<char> buffer_;
  std::size_t start_ = 0, end_ = 0;
};

// The fields the checks need, found without a full parse: the server writes event
// messages as {"type":"event","id":N,"topic":"...","data":{"id":"<task id>",...},...}; on
// PostgreSQL the data is read back from the log as jsonb's text, {"id": "<task id>", ...}
// (a space after each colon; "id" still first, as jsonb orders shorter keys first).
struct EventView {
  bool is_event = false;
  std::int64_t id = 0;
  std::string_view topic, task_id;
};

// A 201's task id without a full parse: the server writes a task as {"id":"<uuid>",...}.
std::string_view created_id(std::string_view body) {
  if (!body.starts_with(R"({"id":")") || body.size() < 43) throw std::runtime_error("a 201 without a task id first");
  return body.substr(7, 36);
}

EventView view(std::string_view text) {
  EventView v;
  if (!text.starts_with(R"({"type":"event","id":)")) return v;
  v.is_event = true;
  auto pos = text.find(':', 15) + 1;
  v.id = std::strtoll(text.data() + pos, nullptr, 10);
  auto topic = text.find(R"("topic":")") + 9;
  v.topic = text.substr(topic, text.find('"', topic) - topic);
  auto data = text.find(R"("data":{"id":)");
  if (data != std::string_view::npos) {
    auto quote = text.find('"', data + 13);
    if (quote != std::string_view::npos && quote + 37 <= text.size()) v.task_id = text.substr(quote + 1, 36);
  }
  return v;
}

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::size_t(q * double(v.size() - 1))];
}

asio::awaitable<int> throughput(const Options& o) {
  auto ex = co_await asio::this_coro::executor;
  auto token = co_await login(o);
  Subscriber sub(ex, o);
  json::array finished_topics{"tasks.completed", "tasks.failed"};
  co_await sub.open(token, finished_topics);
  std::unordered_map<std::string, Clock::time_point> submitted;
  std::vector<double> latencies, submit_latencies;
  std::size_t accepted = 0, failed_tasks = 0, errors = 0;
  bool submitting = true;
  auto started = Clock::now();
  auto deadline = started + std::chrono::seconds(o.seconds);
  Clock::time_point last_completion = started;
  std::unordered_map<std::string, Clock::time_point> completed_early;  // event before the 201 arrived
  auto record = [&](const std::string& id, Clock::time_point at) {
    auto it = submitted.find(id);
    if (it == submitted.end()) return completed_early.emplace(id, at), void();
    latencies.push_back(std::chrono::duration<double, std::milli>(at - it->second).count());
    submitted.erase(it);
    last_completion = at;
  };
  asio::co_spawn(ex, sub.read([&](std::string_view text) {
    auto e = view(text);
    if (!e.is_event) return true;
    if (e.topic == "tasks.failed") ++failed_tasks;
    record(std::string(e.task_id), Clock::now());
    return submitting || !submitted.empty();
  }), asio::detached);
  double interval_ms = o.rate > 0 ? 1000.0 * o.connections / o.rate : 0;
  int active = o.connections;
  for (int c = 0; c < o.connections; ++c) {
    asio::co_spawn(ex, [&, c]() -> asio::awaitable<void> {
      HttpClient client(ex, o);
      co_await client.connect();
      auto request = client.prepare("POST", "/api/v1/tasks", R"({"type":"echo","input_data":{"n":1}})", token);
      auto next = Clock::now() + std::chrono::microseconds(std::int64_t(interval_ms * 1000 * c / o.connections));
      asio::steady_timer pacer(ex);
      while (Clock::now() < deadline) {
        if (interval_ms > 0) {
          pacer.expires_at(next);
          co_await pacer.async_wait(asio::use_awaitable);
          next += std::chrono::microseconds(std::int64_t(interval_ms * 1000));
        }
        auto sent = Clock::now();
        auto res = co_await client.send(request);
        if (res.status != 201) {
          ++errors;
          continue;
        }
        ++accepted;
        submit_latencies.push_back(std::chrono::duration<double, std::milli>(Clock::now() - sent).count());
        auto id = std::string(created_id(res.body));
        if (auto early = completed_early.find(id); early != completed_early.end()) {
          latencies.push_back(std::chrono::duration<double, std::milli>(early->second - sent).count());
          completed_early.erase(early);
        } else {
          submitted.emplace(id, sent);
        }
      }
      --active;
    }, asio::detached);
  }
  asio::steady_timer wait(ex);
  while (active > 0 || (!submitted.empty() && Clock::now() < deadline + std::chrono::seconds(30))) {
    wait.expires_after(std::chrono::milliseconds(20));
    co_await wait.async_wait(asio::use_awaitable);
  }
  submitting = false;
  double secs = std::chrono::duration<double>(last_completion - started).count();
  std::cout << json::serialize(json::object{{"mode", "throughput"},
                                            {"connections", o.connections},
                                            {"target_rate", o.rate},
                                            {"accepted", accepted},
                                            {"completed", latencies.size()},
                                            {"failed", failed_tasks},
                                            {"http_errors", errors},
                                            {"missing", submitted.size()},
                                            {"tasks_per_second", secs > 0 ? double(latencies.size()) / secs : 0},
                                            {"latency_ms_p50", percentile(latencies, 0.5)},
                                            {"latency_ms_p99", percentile(latencies, 0.99)},
                                            {"submit_ms_p50", percentile(submit_latencies, 0.5)},
                                            {"submit_ms_p99", percentile(submit_latencies, 0.99)}})
            << std::endl;
  co_return submitted.empty() && errors == 0 ? 0 : 1;
}

asio::awaitable<int> webhook(const Options& o) {
  auto ex = co_await asio::this_coro::executor;
  std::vector<double> latencies;
  std::size_t errors = 0;
  std::string first_error;
  auto started = Clock::now();
  auto deadline = started + std::chrono::seconds(o.seconds);
  double interval_ms = o.rate > 0 ? 1000.0 * o.connections / o.rate : 0;
  int active = o.connections;
  for (int c = 0; c < o.connections; ++c) {
    asio::co_spawn(ex, [&, c]() -> asio::awaitable<void> {
      HttpClient client(ex, o);
      co_await client.connect();
      asio::steady_timer pacer(ex);
      auto next = Clock::now() + std::chrono::microseconds(std::int64_t(interval_ms * 1000 * c / o.connections));
      std::string no_token;
      for (int n = 0; Clock::now() < deadline; ++n) {
        if (interval_ms > 0) {
          pacer.expires_at(next);
          co_await pacer.async_wait(asio::use_awaitable);
          next += std::chrono::microseconds(std::int64_t(interval_ms * 1000));
        }
        auto sent = Clock::now();
        std::string body = "{\"v\":" + std::to_string(n % 20) + "}";
        auto request = client.prepare("POST", o.path, body, no_token);
        auto res = co_await client.send(request);
        if (res.status != 200 || res.body.find(o.expect) == std::string::npos) {
          if (errors++ == 0) first_error = std::to_string(res.status) + " " + std::string(res.body.substr(0, 300));
          continue;
        }
        latencies.push_back(std::chrono::duration<double, std::milli>(Clock::now() - sent).count());
      }
      --active;
    }, asio::detached);
  }
  asio::steady_timer wait(ex);
  while (active > 0) {
    wait.expires_after(std::chrono::milliseconds(20));
    co_await wait.async_wait(asio::use_awaitable);
  }
  double secs = std::chrono::duration<double>(Clock::now() - started).count();
  std::cout << json::serialize(json::object{{"mode", "webhook"},
                                            {"connections", o.connections},
                                            {"target_rate", o.rate},
                                            {"executions", latencies.size()},
                                            {"errors", errors},
                                            {"first_error", first_error},
                                            {"executions_per_second", double(latencies.size()) / secs},
                                            {"latency_ms_p50", percentile(latencies, 0.5)},
                                            {"latency_ms_p99", percentile(latencies, 0.99)}})
            << std::endl;
  co_return errors == 0 ? 0 : 1;
}

asio::awaitable<int> fanout(const Options& o) {
  auto ex = co_await asio::this_coro::executor;
  auto token = co_await login(o);
  std::vector<std::unique_ptr<Subscriber>> subs;
  for (int i = 0; i < o.clients; ++i) {
    subs.push_back(std::make_unique<Subscriber>(ex, o));
    json::array topics{"tasks.*"};
    co_await subs.back()->open(token, topics);
  }
  Subscriber slow(ex, o);  // subscribes, then never reads
  json::array slow_topics{"tasks.*"};
  co_await slow.open(token, slow_topics, true);
  auto slow_subscribed = Clock::now();

  std::vector<std::vector<std::int64_t>> ids(o.clients);
  std::vector<int> completed(o.clients, 0);
  int done = 0;
  std::size_t messages = 0;
  auto started = Clock::now();
  for (int i = 0; i < o.clients; ++i) {
    asio::co_spawn(ex, [&, i]() -> asio::awaitable<void> {
      co_await subs[i]->read([&](std::string_view text) {
        ++messages;
        auto e = view(text);
        if (!e.is_event) return true;
        ids[i].push_back(e.id);
        if (e.topic == "tasks.completed" && ++completed[i] == o.tasks) {
          ++done;
          return false;
        }
        return true;
      });
    }, asio::detached);
  }
  HttpClient client(ex, o);
  co_await client.connect();
  for (int sent = 0; sent < o.tasks; sent += 100) {
    json::array batch;
    for (int k = 0; k < std::min(100, o.tasks - sent); ++k) batch.push_back(json::object{{"type", "echo"}, {"input_data", {{"k", sent + k}}}});
    std::string path = "/api/v1/tasks/batch", body = json::serialize(json::object{{"tasks", batch}});
    auto request = client.prepare("POST", path, body, token);
    auto res = co_await client.send(request);
    if (res.status != 201) throw std::runtime_error("batch refused: " + std::string(res.body));
  }
  asio::steady_timer wait(ex);
  auto deadline = Clock::now() + std::chrono::seconds(120);
  while (done < o.clients && Clock::now() < deadline) {
    wait.expires_after(std::chrono::milliseconds(50));
    co_await wait.async_wait(asio::use_awaitable);
  }
  double secs = std::chrono::duration<double>(Clock::now() - started).count();
  // Checks: everyone got everything, in the same strictly increasing order.
  bool ordered = true, identical = true;
  for (int i = 0; i < o.clients; ++i) {
    for (std::size_t k = 1; k < ids[i].size(); ++k) ordered &= ids[i][k - 1] < ids[i][k];
    identical &= ids[i] == ids[0];
  }
  // The non-reader: the server drops a client whose write has made no progress for 10 s (its
  // default stall timeout, checked every second), counted from when its buffers filled up,
  // early in the run. Once that time is surely over, drain what the kernel buffered: the read
  // must end in an error (closed) well before it could have received every event.
  wait.expires_at(slow_subscribed + std::chrono::seconds(15));
  co_await wait.async_wait(asio::use_awaitable);
  std::size_t slow_received = 0;
  bool slow_dropped = !co_await slow.read([&](std::string_view) { return ++slow_received < ids[0].size(); });
  std::cout << json::serialize(json::object{{"mode", "fanout"},
                                            {"clients", o.clients},
                                            {"tasks", o.tasks},
                                            {"clients_complete", done},
                                            {"events_per_client", ids.empty() ? 0 : ids[0].size()},
                                            {"ordered", ordered},
                                            {"identical", identical},
                                            {"slow_client_dropped", slow_dropped},
                                            {"slow_client_received", slow_received},
                                            {"deliveries_per_second", double(messages) / secs}})
            << std::endl;
  co_return done == o.clients && ordered && identical && slow_dropped ? 0 : 1;
}

// The receiver's state: one io_context thread, so no lock.
struct Received {
  Clock::time_point started = Clock::now();
  std::unordered_set<std::string> ids, failed_ids;  // delivered; answered 503 once
  std::int64_t received = 0, first_ms = -1, last_distinct_ms = -1;

  std::int64_t since_start() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
  }
};

std::size_t redelivered(const Received& state) {
  return std::size_t(std::ranges::count_if(state.failed_ids, [&](const auto& id) { return state.ids.contains(id); }));
}

asio::awaitable<void> receive_on(tcp::socket socket, const Options& o, Received& state) {
  namespace http = beast::http;
  beast::flat_buffer buffer;
  try {
    while (true) {
      http::request<http::string_body> request;
      co_await http::async_read(socket, buffer, request, asio::use_awaitable);
      http::response<http::string_body> response;
      response.version(11);
      response.keep_alive(request.keep_alive());
      if (request.method() == http::verb::get && request.target() == "/__stats") {
        response.result(http::status::ok);
        response.set(http::field::content_type, "application/json");
        response.body() = json::serialize(json::object{{"received", state.received},
                                                       {"distinct", state.ids.size()},
                                                       {"failed", state.failed_ids.size()},
                                                       {"failed_then_delivered", redelivered(state)},
                                                       {"now_ms", state.since_start()},
                                                       {"first_ms", state.first_ms},
                                                       {"last_distinct_ms", state.last_distinct_ms}});
      } else {
        ++state.received;
        if (state.first_ms < 0) state.first_ms = state.since_start();
        std::string id(request["webhook-id"]);
        // The first attempt of every Nth new id fails; its next attempt is then its delivery.
        bool fresh = !state.ids.contains(id) && !state.failed_ids.contains(id);
        bool fail = fresh && o.fail_every > 0 &&
                    (state.ids.size() + state.failed_ids.size() + 1) % std::size_t(o.fail_every) == 0;
        if (fail) {
          state.failed_ids.insert(id);
        } else if (state.ids.insert(id).second) {
          state.last_distinct_ms = state.since_start();
        }
        response.result(fail ? http::status::service_unavailable : http::status::no_content);
      }
      response.prepare_payload();
      co_await http::async_write(socket, response, asio::use_awaitable);
      if (!response.keep_alive()) break;
    }
  } catch (const boost::system::system_error&) {
    // The sender closed the connection.
  }
}

asio::awaitable<int> receiver(const Options& o) {
  auto ex = co_await asio::this_coro::executor;
  tcp::acceptor acceptor(ex, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  std::cout << acceptor.local_endpoint().port() << std::endl;
  Received state;
  while (true) {
    auto socket = co_await acceptor.async_accept(asio::use_awaitable);
    asio::co_spawn(ex, receive_on(std::move(socket), o, state), asio::detached);
  }
}

}  // namespace

int main(int argc, char** argv) {
  try {
    auto options = parse(argc, argv);
    asio::io_context io;
    auto future = asio::co_spawn(io, [&]() -> asio::awaitable<int> {
      if (options.mode == "throughput") co_return co_await throughput(options);
      if (options.mode == "fanout") co_return co_await fanout(options);
      if (options.mode == "webhook") co_return co_await webhook(options);
      if (options.mode == "receiver") co_return co_await receiver(options);
      throw std::runtime_error("mode must be throughput, webhook, fanout or receiver");
    }, asio::use_future);
    // Run until the check is done: subscriber sockets may still be open then.
    while (future.wait_for(std::chrono::seconds(0)) != std::future_status::ready && io.run_one() > 0) {
    }
    return future.get();
  } catch (const std::exception& e) {
    std::cerr << "de-loadgen: " << e.what() << '\n';
    return 2;
  }
}
