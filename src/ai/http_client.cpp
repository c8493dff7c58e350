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

#include <array>
#include <cstdint>
#include <cctype>
#include <charconv>
#include <memory>
#include <vector>

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "ai/chat.hpp"

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

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t header_limit = 64 * 1024;
constexpr std::size_t read_piece_bytes = 8 * 1024;  // what a call holds of its body at a time

struct Target {
  bool tls = false;
  std::string host;       // to resolve, for SNI and to verify the certificate against
  std::uint16_t port = 0;
  std::string authority;  // host[:port] as the URL writes it: the Host field
  std::string path;       // path and query
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

// One call's connection. Its deadline closes the socket and cancels the resolver, whatever is
// waiting, so that a server that never answers ends the call in time (a name lookup already
// under way in the system's resolver still runs to its own end). The timer's handler holds it
// weakly: once the call is over, a late deadline finds nothing to close.
struct Connection : std::enable_shared_from_this<Connection> {
  Connection(const asio::any_io_executor& strand, const Target& target, std::chrono::milliseconds timeout,
             std::size_t answer_limit)
      : resolver(strand),
        socket(strand),
        deadline(strand),
        endpoint(fmt::format("{}:{}", target.host, target.port)),
        timeout(timeout),
        answer_limit(answer_limit) {}

  void start_deadline() {
    deadline.expires_after(timeout);
    deadline.async_wait([connection = weak_from_this()](error_code ec) {
      auto self = connection.lock();
      if (ec || !self) return;
      self->timed_out = true;
      self->resolver.cancel();
      error_code ignored;
      self->socket.close(ignored);
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
  tcp::socket socket;
  asio::steady_timer deadline;
  std::string endpoint;
  std::chrono::milliseconds timeout;
  std::size_t answer_limit;
  bool timed_out = false;
};

template <class Stream>
asio::awaitable<HttpAnswer> exchange(Stream& stream, const Connection& connection,
                                     bhttp::request<bhttp::string_body>& request,
                                     const std::function<void(std::string_view)>& on_chunk) {
  if (auto [ec, sent] = co_await bhttp::async_write(stream, request, use_tuple); ec)
    connection.fail("sending the request to", ec);
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::buffer_body> parser;
  parser.header_limit(header_limit);
  parser.body_limit(connection.answer_limit);
  if (request.method() == bhttp::verb::head) parser.skip(true);
  if (auto [ec, read] = co_await bhttp::async_read_header(stream, buffer, parser, use_tuple); ec)
    connection.fail("reading the answer from", ec);

  HttpAnswer answer;
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
    if (ec && ec != bhttp::error::need_buffer) connection.fail("reading the answer from", ec);
    std::string_view got(piece.data(), piece.size() - parser.get().body().size);
    if (got.empty()) continue;
    if (streamed)
      on_chunk(got);
    else
      answer.body.append(got);
  }
  co_return answer;
}

// Runs on a strand of its own, so that the deadline's handler never races the I/O it cancels.
asio::awaitable<HttpAnswer> call(Target target, bhttp::request<bhttp::string_body> request,
                                 std::chrono::milliseconds timeout, std::function<void(std::string_view)> on_chunk,
                                 std::size_t answer_limit) {
  auto connection =
      std::make_shared<Connection>(co_await asio::this_coro::executor, target, timeout, answer_limit);
  connection->start_deadline();
  // An IP address needs no lookup (the resolver's is a trip through a thread of its own).
  std::vector<tcp::endpoint> endpoints;
  error_code not_an_address;
  auto address = asio::ip::make_address(target.host, not_an_address);
  if (!not_an_address) {
    endpoints.emplace_back(address, target.port);
  } else {
    auto service = std::to_string(target.port);
    auto [ec, found] = co_await connection->resolver.async_resolve(target.host, service, use_tuple);
    if (ec) connection->fail("resolving", ec);
    endpoints.assign(found.begin(), found.end());
  }
  if (auto [ec, endpoint] = co_await asio::async_connect(connection->socket, endpoints, use_tuple); ec)
    connection->fail("connecting to", ec);
  if (!target.tls) co_return co_await exchange(connection->socket, *connection, request, on_chunk);

  ssl::stream<tcp::socket&> tls(connection->socket, tls_context());
  if (!SSL_set_tlsext_host_name(tls.native_handle(), target.host.c_str()))
    connection->fail("naming the server (SNI) for",
                     error_code(static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category()));
  tls.set_verify_callback(ssl::host_name_verification(target.host));
  if (auto [ec] = co_await tls.async_handshake(ssl::stream_base::client, use_tuple); ec)
    connection->fail("the TLS handshake with", ec);
  // No TLS close_notify exchange at the end: the connection is not reused, and a server that
  // never answers it would hold the call.
  co_return co_await exchange(tls, *connection, request, on_chunk);
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
                                    std::function<void(std::string_view)> on_chunk, std::size_t answer_limit) {
  auto target = parse_target(url);
  auto verb = bhttp::string_to_verb(method);
  if (verb == bhttp::verb::unknown)
    throw ProviderError(ErrorKind::bad_request, fmt::format("unknown HTTP method {}", method), 0, false);
  bhttp::request<bhttp::string_body> message{verb, target.path, 11};
  message.set(bhttp::field::host, target.authority);
  message.set(bhttp::field::user_agent, "digital-enterprise");
  message.set(bhttp::field::connection, "close");
  for (auto& [name, value] : headers) message.insert(name, value);
  message.body() = std::move(body);
  message.prepare_payload();
  co_return co_await asio::co_spawn(
      asio::make_strand(executor),
      call(std::move(target), std::move(message), timeout, std::move(on_chunk), answer_limit), asio::use_awaitable);
}

}  // namespace de::ai
