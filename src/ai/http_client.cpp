// Beast and Asio SSL live in this translation unit only (they are slow to compile).
#include "ai/http_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include <sys/socket.h>

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "ai/chat.hpp"
#include "core/outbound.hpp"

namespace de::ai {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using core::ErrorKind;

std::string_view HttpAnswer::header(std::string_view name) const {
  for (const auto& [field, value] : headers)
    if (field == name) return value;
  return {};
}

namespace {

using Clock = std::chrono::steady_clock;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
// Idle connections kept per origin, and for how long. Hosted APIs keep an idle connection for a
// minute or more; local servers often for 5 s (uvicorn under vLLM, llama.cpp's): those are
// found closed when taken, or else by the request's retry.
constexpr std::size_t max_idle_per_origin = 32;
constexpr auto idle_timeout = std::chrono::seconds(45);
constexpr std::size_t header_limit = 64 * 1024;
constexpr std::size_t read_piece_bytes = 8 * 1024;  // what a call holds of its body at a time

struct Target {
  bool tls = false;
  std::string host;       // to resolve, for SNI and to verify the certificate against
  std::uint16_t port = 0;
  std::string authority;  // host[:port] as the URL writes it: the Host field
  std::string path;       // path and query
  bool guarded = true;    // Destination::user_chosen: connect only where the outbound policy lets
};

bool starts_with_nocase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i]) return false;
  return true;
}

// scheme://host[:port][/path][?query]: what a vendor's base URL is. (Boost.URL would need one
// more library linked for these few lines.)
Target parse_target(std::string_view url) {
  auto unusable = [] { return ProviderError(ErrorKind::bad_request, "not an http:// or https:// URL", 0, false); };
  Target target;
  target.tls = starts_with_nocase(url, "https://");
  if (!target.tls && !starts_with_nocase(url, "http://")) throw unusable();
  url.remove_prefix(target.tls ? 8 : 7);
  auto authority_end = url.find_first_of("/?#");
  std::string_view authority = url.substr(0, authority_end);
  std::string_view rest = authority_end == std::string_view::npos ? std::string_view() : url.substr(authority_end);
  rest = rest.substr(0, rest.find('#'));
  if (authority.find('@') != std::string_view::npos) throw unusable();  // credentials belong in headers
  std::string_view host = authority, port;
  if (authority.starts_with('[')) {  // an IPv6 literal
    auto close = authority.find(']');
    if (close == std::string_view::npos) throw unusable();
    host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') throw unusable();
      port = authority.substr(close + 2);
    }
  } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  unsigned number = target.tls ? 443 : 80;
  if (!port.empty()) {
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
    if (ec != std::errc() || end != port.data() + port.size() || number == 0 || number > 65535) throw unusable();
  }
  if (host.empty()) throw unusable();
  target.host = host;
  target.port = static_cast<std::uint16_t>(number);
  target.authority = authority;
  target.path = rest.empty() || rest.front() == '?' ? "/" + std::string(rest) : std::string(rest);
  return target;
}

// One for the process: loading the CA store is slow, and an SSL_CTX is safe to share.
ssl::context& tls_context() {
  static ssl::context context = [] {
    ssl::context created(ssl::context::tls_client);
    created.set_default_verify_paths();
    created.set_verify_mode(ssl::verify_peer);
    return created;
  }();
  return context;
}

// An open connection to one origin, plain or TLS. On the heap and never moved: the TLS stream
// refers to the socket.
struct Link {
  explicit Link(const asio::any_io_executor& executor) : socket(executor) {}

  tcp::socket socket;
  std::optional<ssl::stream<tcp::socket&>> tls;  // set for https://, once the handshake is done
  Clock::time_point idle_since;
};

// Whether an idle connection is still quiet: nothing to read and no error. An end of stream, a
// reset, a TLS alert or stray bytes all mean the server is done with it.
bool quiet(tcp::socket& socket) {
  char byte;
  return ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT) < 0 &&
         (errno == EAGAIN || errno == EWOULDBLOCK);
}

// The idle connections of one execution context (an io_context and the threads that run it),
// by origin: at most `max_idle_per_origin` each, newest last, none kept past `idle_timeout`.
// Sockets belong to their context, hence a pool per context; it closes what it holds when the
// context shuts down. A mutex guards it: calls come from every thread that runs the context,
// each on a strand of its own, and hold it only to take or give back a connection. Nothing of
// it waits in the background (an io_context with nothing but idle connections still runs out
// of work): expired connections go when the pool is next used for their origin.
class Pool : public asio::execution_context::service {
 public:
  using key_type = Pool;
  static inline asio::execution_context::id id;

  explicit Pool(asio::execution_context& context) : service(context) {}

  // The newest idle connection to `origin` that is quiet and not expired; null when none is.
  std::unique_ptr<Link> take(const std::string& origin) {
    std::vector<std::unique_ptr<Link>> dropped;  // closed once the lock is let go
    std::lock_guard lock(mutex_);
    auto found = idle_.find(origin);
    if (found == idle_.end()) return nullptr;
    auto& links = found->second;
    auto now = Clock::now();
    while (!links.empty()) {
      auto link = std::move(links.back());
      links.pop_back();
      if (now - link->idle_since < idle_timeout && quiet(link->socket)) return link;
      dropped.push_back(std::move(link));
    }
    return nullptr;
  }

  void give_back(const std::string& origin, std::unique_ptr<Link> link) {
    std::vector<std::unique_ptr<Link>> dropped;
    std::lock_guard lock(mutex_);
    auto& links = idle_[origin];
    auto now = Clock::now();
    auto fresh = std::find_if(links.begin(), links.end(),
                              [now](const auto& idle) { return now - idle->idle_since < idle_timeout; });
    if (links.end() - fresh >= static_cast<std::ptrdiff_t>(max_idle_per_origin)) ++fresh;  // the oldest makes room
    std::move(links.begin(), fresh, std::back_inserter(dropped));
    links.erase(links.begin(), fresh);
    link->idle_since = now;
    links.push_back(std::move(link));
  }

 private:
  void shutdown() override {
    std::lock_guard lock(mutex_);
    idle_.clear();
  }

  std::mutex mutex_;
  std::map<std::string, std::vector<std::unique_ptr<Link>>, std::less<>> idle_;
};

// One call's state. Its deadline closes the connection in use and cancels the resolver,
// whatever is waiting, so that a server that never answers ends the call in time (a name
// lookup already under way in the system's resolver still runs to its own end). The timer's
// handler holds it weakly, and finds no connection once the call has given it back: a late
// deadline closes nothing.
struct Call : std::enable_shared_from_this<Call> {
  Call(const asio::any_io_executor& strand, const Target& target, std::chrono::milliseconds timeout,
       std::size_t answer_limit)
      : resolver(strand),
        deadline(strand),
        endpoint(fmt::format("{}:{}", target.host, target.port)),
        timeout(timeout),
        answer_limit(answer_limit) {}

  void start_deadline() {
    deadline.expires_after(timeout);
    deadline.async_wait([call = weak_from_this()](error_code ec) {
      auto self = call.lock();
      if (ec || !self) return;
      self->timed_out = true;
      self->resolver.cancel();
      if (!self->link) return;
      error_code ignored;
      self->link->socket.close(ignored);
    });
  }

  // The endpoint, never the path or query: those may carry credentials.
  [[noreturn]] void fail(std::string_view doing, error_code ec) const {
    if (timed_out)
      throw ProviderError(ErrorKind::timeout, fmt::format("no answer from {} within {} ms", endpoint, timeout.count()),
                          0, true);
    if (ec == bhttp::error::body_limit || ec == bhttp::error::header_limit)
      throw ProviderError(ErrorKind::unavailable,
                          fmt::format("the answer from {} is over the limit of {} bytes", endpoint, answer_limit), 0,
                          false);
    // A certificate that does not verify will not verify on the next attempt either.
    bool tls_failure = ec.category() == asio::error::get_ssl_category();
    throw ProviderError(ErrorKind::unavailable, fmt::format("{} {} failed: {}", doing, endpoint, ec.message()), 0,
                        !tls_failure);
  }

  tcp::resolver resolver;
  asio::steady_timer deadline;
  std::unique_ptr<Link> link;  // the connection in use
  std::string endpoint;
  std::chrono::milliseconds timeout;
  std::size_t answer_limit;
  bool timed_out = false;
};

// The endpoints the outbound policy lets a guarded call connect to: a name that resolves to
// public and internal addresses alike reaches only the public ones. Throws when none is left.
std::vector<tcp::endpoint> allowed(const std::vector<tcp::endpoint>& endpoints, const std::string& host) {
  std::vector<tcp::endpoint> kept;
  std::string refusal;
  for (const auto& endpoint : endpoints) {
    auto address = core::net::from_sockaddr(endpoint.data());
    auto why = address ? core::outbound::policy().refusal(host, *address) : "not an IP address";
    if (why.empty()) kept.push_back(endpoint);
    else if (refusal.empty()) refusal = std::move(why);
  }
  if (kept.empty()) throw ProviderError(ErrorKind::forbidden, refusal, 0, false);
  return kept;
}

// Opens a connection for `call`: name lookup (none for an IP address), connect, and for
// https:// the TLS handshake with SNI and host-name verification.
asio::awaitable<void> open(Call& call, const Target& target) {
  call.link = std::make_unique<Link>(co_await asio::this_coro::executor);
  auto& link = *call.link;
  // An IP address needs no lookup (the resolver's is a trip through a thread of its own).
  std::vector<tcp::endpoint> endpoints;
  error_code not_an_address;
  auto address = asio::ip::make_address(target.host, not_an_address);
  if (!not_an_address) {
    endpoints.emplace_back(address, target.port);
  } else {
    auto service = std::to_string(target.port);
    auto [ec, found] = co_await call.resolver.async_resolve(target.host, service, use_tuple);
    if (ec) call.fail("resolving", ec);
    endpoints.assign(found.begin(), found.end());
  }
  if (target.guarded) endpoints = allowed(endpoints, target.host);
  if (auto [ec, endpoint] = co_await asio::async_connect(link.socket, endpoints, use_tuple); ec)
    call.fail("connecting to", ec);
  error_code ignored;  // a request is one write: Nagle's delay could only hold back a retry's
  link.socket.set_option(tcp::no_delay(true), ignored);
  if (!target.tls) co_return;
  auto& tls = link.tls.emplace(link.socket, tls_context());
  if (!SSL_set_tlsext_host_name(tls.native_handle(), target.host.c_str()))
    call.fail("naming the server (SNI) for",
              error_code(static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category()));
  tls.set_verify_callback(ssl::host_name_verification(target.host));
  if (auto [ec] = co_await tls.async_handshake(ssl::stream_base::client, use_tuple); ec)
    call.fail("the TLS handshake with", ec);
}

struct Exchanged {
  HttpAnswer answer;
  bool reusable = false;  // read whole, nothing after it, and the server keeps the connection
};

// Sends the request and reads its answer. With `dead_is_nullopt` (a connection taken from the
// pool), a connection found broken before any byte of the answer came gives nullopt, for the
// request to go again on a fresh one: the server closed it while idle. Once part of the answer
// has come, a failure is the call's.
template <class Stream>
asio::awaitable<std::optional<Exchanged>> exchange(Stream& stream, const Call& call,
                                                   bhttp::request<bhttp::string_body>& request,
                                                   const std::function<void(std::string_view)>& on_chunk,
                                                   bool dead_is_nullopt) {
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::buffer_body> parser;
  auto nothing_came = [&] { return dead_is_nullopt && !call.timed_out && buffer.size() == 0 && !parser.got_some(); };
  if (auto [ec, sent] = co_await bhttp::async_write(stream, request, use_tuple); ec) {
    if (nothing_came()) co_return std::nullopt;
    call.fail("sending the request to", ec);
  }
  parser.header_limit(header_limit);
  parser.body_limit(call.answer_limit);
  if (request.method() == bhttp::verb::head) parser.skip(true);
  if (auto [ec, read] = co_await bhttp::async_read_header(stream, buffer, parser, use_tuple); ec) {
    if (nothing_came()) co_return std::nullopt;
    call.fail("reading the answer from", ec);
  }

  Exchanged exchanged;
  auto& answer = exchanged.answer;
  answer.status = static_cast<int>(parser.get().result_int());
  for (const auto& field : parser.get()) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    answer.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  bool streamed = on_chunk && answer.status / 100 == 2;
  // One read at a time, handed over as soon as it is parsed: a streamed answer's events must
  // not wait for a buffer to fill.
  std::array<char, read_piece_bytes> piece;
  while (!parser.is_done()) {
    parser.get().body().data = piece.data();
    parser.get().body().size = piece.size();
    auto [ec, read] = co_await bhttp::async_read_some(stream, buffer, parser, use_tuple);
    if (ec && ec != bhttp::error::need_buffer) call.fail("reading the answer from", ec);
    std::string_view got(piece.data(), piece.size() - parser.get().body().size);
    if (got.empty()) continue;
    if (streamed)
      on_chunk(got);
    else
      answer.body.append(got);
  }
  exchanged.reusable = parser.keep_alive() && buffer.size() == 0;
  co_return exchanged;
}

asio::awaitable<std::optional<Exchanged>> exchange(Call& call, bhttp::request<bhttp::string_body>& request,
                                                   const std::function<void(std::string_view)>& on_chunk,
                                                   bool dead_is_nullopt) {
  auto& link = *call.link;
  if (link.tls) co_return co_await exchange(*link.tls, call, request, on_chunk, dead_is_nullopt);
  co_return co_await exchange(link.socket, call, request, on_chunk, dead_is_nullopt);
}

// Runs on a strand of its own, so that the deadline's handler never races the I/O it cancels.
// The connection comes from the pool when one is idle there, and goes back to it when the
// answer was read whole and the server keeps it open. Dropped connections are closed without
// the TLS close_notify exchange: a server that never answered it would hold the call.
asio::awaitable<HttpAnswer> call(Pool& pool, Target target, bhttp::request<bhttp::string_body> request,
                                 std::chrono::milliseconds timeout, std::function<void(std::string_view)> on_chunk,
                                 std::size_t answer_limit) {
  auto call = std::make_shared<Call>(co_await asio::this_coro::executor, target, timeout, answer_limit);
  call->start_deadline();
  // Guarded calls never reuse a connection an unguarded one opened to the same origin.
  auto origin = fmt::format("{}{}://{}:{}", target.guarded ? "" : "unguarded+", target.tls ? "https" : "http",
                            target.host, target.port);
  call->link = pool.take(origin);
  bool reused = call->link != nullptr;
  if (!reused) co_await open(*call, target);
  auto exchanged = co_await exchange(*call, request, on_chunk, reused);
  if (!exchanged) {  // closed by the server while idle: once more, on a fresh connection
    co_await open(*call, target);
    exchanged = co_await exchange(*call, request, on_chunk, false);
  }
  call->deadline.cancel();
  if (exchanged->reusable) pool.give_back(origin, std::move(call->link));
  co_return std::move(exchanged->answer);
}

}  // namespace

std::string url_host(std::string_view url) {
  try {
    auto host = parse_target(url).host;
    for (auto& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return host;
  } catch (const ProviderError&) {
    return {};
  }
}

asio::awaitable<HttpAnswer> request(asio::any_io_executor executor, std::string method, std::string url,
                                    HttpHeaders headers, std::string body, std::chrono::milliseconds timeout,
                                    std::function<void(std::string_view)> on_chunk, std::size_t answer_limit,
                                    Destination destination) {
  auto target = parse_target(url);
  target.guarded = destination == Destination::user_chosen;
  auto verb = bhttp::string_to_verb(method);
  if (verb == bhttp::verb::unknown)
    throw ProviderError(ErrorKind::bad_request, fmt::format("unknown HTTP method {}", method), 0, false);
  bhttp::request<bhttp::string_body> message{verb, target.path, 11};
  message.set(bhttp::field::host, target.authority);
  message.set(bhttp::field::user_agent, "digital-enterprise");
  for (auto& [name, value] : headers) message.insert(name, value);
  message.body() = std::move(body);
  message.prepare_payload();
  auto& pool = asio::use_service<Pool>(asio::query(executor, asio::execution::context));
  co_return co_await asio::co_spawn(
      asio::make_strand(executor),
      call(pool, std::move(target), std::move(message), timeout, std::move(on_chunk), answer_limit),
      asio::use_awaitable);
}

}  // namespace de::ai
