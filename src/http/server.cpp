#include "http/server.hpp"

#include <boost/asio.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <atomic>
#include <spdlog/spdlog.h>

#include "core/ids.hpp"
#include "core/json.hpp"
#include "http/beast_request.hpp"
#include "http/edge.hpp"
#include "http/websocket_output.hpp"

namespace de::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using asio::ip::tcp;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t header_limit = request_header_limit;

namespace {

// The path of a request target, without its query (as sent: routes' literal segments need no decoding).
std::string_view path_of(std::string_view target) { return target.substr(0, target.find('?')); }

// The status line and header fields of `response` (HTTP/1.0 or 1.1), as Beast's serializer
// wrote them, with the edge's security `fields`: Content-Length unless `bodiless`;
// "Connection" only where the version's default does not hold.
std::string response_head(const Response& response, unsigned version, bool keep_alive, std::string_view request_id,
                          bool bodiless, std::string_view fields) {
  std::string head;
  head.reserve(448);
  head.append(version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ").append(std::to_string(response.status)).append(" ");
  head.append(bhttp::obsolete_reason(static_cast<bhttp::status>(response.status))).append("\r\nServer: digital-enterprise\r\n");
  if (!response.content_type.empty()) head.append("Content-Type: ").append(response.content_type).append("\r\n");
  head.append("X-Request-Id: ").append(request_id).append("\r\n");
  for (const auto& [name, value] : response.headers) head.append(name).append(": ").append(value).append("\r\n");
  head.append(fields);
  if (version == 10 && keep_alive) head.append("Connection: keep-alive\r\n");
  if (version != 10 && !keep_alive) head.append("Connection: close\r\n");
  if (!bodiless) head.append("Content-Length: ").append(std::to_string(response.body.size())).append("\r\n");
  return head.append("\r\n");
}

// Sends `head` and `body` in one system call when the kernel takes them at once (nearly
// always: answers are small), without an asynchronous operation and its timer; only what a
// slow reader leaves waits, under `timeout`. Instead of Beast's serializer and the stream's
// timer per operation: about a tenth less server CPU per task under load (b). Over TLS the
// records are written by the TLS stream.
template <class Stream>
asio::awaitable<bool> send(Stream& stream, std::string_view head, std::string_view body,
                           std::chrono::steady_clock::duration timeout) {
  std::array<asio::const_buffer, 2> buffers{asio::buffer(head), asio::buffer(body)};
  if constexpr (std::is_same_v<Stream, TlsStream>) {
    beast::get_lowest_layer(stream).expires_after(timeout);
    auto [write_ec, written] = co_await asio::async_write(stream, buffers, use_tuple);
    co_return !write_ec;
  } else {
    boost::system::error_code ec;
    auto& socket = stream.socket();
    if (!socket.non_blocking()) socket.non_blocking(true, ec);
    std::size_t sent = ec ? 0 : socket.write_some(buffers, ec);
    if (ec && ec != asio::error::would_block && ec != asio::error::try_again) co_return false;
    if (sent == head.size() + body.size()) co_return true;
    beast::buffers_suffix<std::array<asio::const_buffer, 2>> rest(buffers);
    rest.consume(sent);
    stream.expires_after(timeout);
    auto [write_ec, written] = co_await asio::async_write(stream, rest, use_tuple);
    co_return !write_ec;
  }
}

// Answers with `response`: no body after a HEAD request (its Content-Length still says the
// body's size) nor for a status that has none (1xx, 204, 304).
template <class Stream>
asio::awaitable<bool> send_response(Stream& stream, const Response& response, unsigned version, bool keep_alive,
                                    std::string_view request_id, bool head_request,
                                    std::chrono::steady_clock::duration timeout, std::string_view fields) {
  auto status = static_cast<bhttp::status>(response.status);
  bool bodiless = bhttp::to_status_class(status) == bhttp::status_class::informational ||
                  status == bhttp::status::no_content || status == bhttp::status::not_modified;
  auto head = response_head(response, version, keep_alive, request_id, bodiless, fields);
  co_return co_await send(stream, head, head_request || bodiless ? std::string_view() : response.body, timeout);
}

// A WebSocket connection: every operation runs on the connection's strand; messages queue in
// its output layer, so that a slow reader costs memory up to the limit, then its connection.
template <class Stream>
class BeastWebSocket final : public WebSocket, public std::enable_shared_from_this<BeastWebSocket<Stream>> {
 public:
  using std::enable_shared_from_this<BeastWebSocket<Stream>>::shared_from_this;

  BeastWebSocket(Stream stream, WebSocketLimits limits, std::function<void()> on_drop)
      : ws(std::move(stream)), limits_(limits), watchdog_(ws.get_executor()), on_drop_(std::move(on_drop)) {}

  // Checks once a second that a pending write is progressing, even when nothing new is sent.
  void watch() {
    watchdog_.expires_after(std::chrono::seconds(1));
    watchdog_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec || !self->open_) return;
      if (self->stalled()) return self->drop_slow();
      self->watch();
    });
  }

  void send(std::shared_ptr<const std::string> text) override {
    asio::post(ws.get_executor(), [self = shared_from_this(), text = std::move(text)]() mutable {
      self->enqueue(std::move(text));
    });
  }

  // The close frame queues behind the messages already queued.
  void close(int code, std::string reason) override {
    asio::post(ws.get_executor(), [self = shared_from_this(), code, reason = std::move(reason)] {
      if (!self->open_) return;
      self->open_ = false;
      beast::websocket::close_reason why(static_cast<beast::websocket::close_code>(code), reason);
      self->ws.async_close(why, [self](boost::system::error_code) {});
    });
  }

  bool is_open() const override { return open_; }

  // The read side has ended: no more writes either.
  void closed() {
    open_ = false;
    watchdog_.cancel();
  }

  beast::websocket::stream<WebSocketOutput<Stream>> ws;

 private:
  void enqueue(std::shared_ptr<const std::string> text) {
    if (!open_) return;
    if (stalled() || ws.next_layer().queued() >= limits_.max_queued_messages) return drop_slow();
    ws.next_layer().send_text(std::move(text));
  }

  bool stalled() const {
    const auto& out = ws.next_layer();
    return out.writing() && std::chrono::steady_clock::now() - out.write_started() > limits_.stall_timeout;
  }

  void drop_slow() {
    spdlog::warn(R"("msg":"dropping a WebSocket client that does not keep up","queued":{})", ws.next_layer().queued());
    open_ = false;
    watchdog_.cancel();
    if (on_drop_) on_drop_();
    boost::system::error_code ignored;
    auto& socket = beast::get_lowest_layer(ws).socket();
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
  }

  WebSocketLimits limits_;
  asio::steady_timer watchdog_;
  std::function<void()> on_drop_;
  std::atomic<bool> open_{true};
};

}  // namespace

struct Server::Impl {
  Impl(asio::io_context& io, const Router& router, ServerOptions options)
      : io(io), router(router), options(std::move(options)),
        edge(EdgeOptions{this->options.cors_origins, !this->options.tls_cert_file.empty()}), acceptor(io),
        tls(asio::ssl::context::tls_server) {}

  asio::awaitable<void> accept_loop() {
    while (acceptor.is_open()) {
      auto [ec, socket] = co_await acceptor.async_accept(asio::make_strand(io), use_tuple);
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
        continue;  // e.g. out of file descriptors: keep serving the others
      }
      auto executor = socket.get_executor();  // read before the move: arguments are unsequenced
      if (tls_enabled())
        asio::co_spawn(executor, tls_session(std::move(socket)), asio::detached);
      else
        asio::co_spawn(executor, session(beast::tcp_stream(std::move(socket))), asio::detached);
    }
  }

  // Answers an unreadable request and closes. The client may still be sending (a body over
  // the limit): what it sends is read and dropped for a moment, so that it gets to read the
  // answer instead of a reset connection.
  template <class Stream>
  asio::awaitable<void> respond_and_close(Stream& stream, const core::Error& error) {
    auto response = Response::problem(error);
    if (!co_await send_response(stream, response, 11, false, core::new_id(), false, std::chrono::seconds(5),
                                edge.security_fields()))
      co_return;
    boost::system::error_code ignored;
    beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_send, ignored);
    std::array<char, 16 * 1024> discard;
    std::size_t drained = 0;
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(2));
    while (drained < 16 * 1024 * 1024) {
      auto [ec, n] = co_await stream.async_read_some(asio::buffer(discard), use_tuple);
      if (ec) break;
      drained += n;
    }
  }

  bool tls_enabled() const { return !options.tls_cert_file.empty(); }

  // HTTPS (and WSS): the TLS handshake under the request timeout, then the same session.
  asio::awaitable<void> tls_session(tcp::socket socket) {
    TlsStream stream(beast::tcp_stream(std::move(socket)), tls);
    beast::get_lowest_layer(stream).expires_after(options.timeout);
    auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, use_tuple);
    if (ec) co_return;  // not TLS, an unknown certificate authority, a port scan: nothing to answer
    co_await session(std::move(stream));
  }

  template <class Stream>
  asio::awaitable<void> session(Stream stream) {
    beast::flat_buffer buffer;
    std::string remote;
    {
      boost::system::error_code ec;
      auto endpoint = beast::get_lowest_layer(stream).socket().remote_endpoint(ec);
      if (!ec) remote = endpoint.address().to_string();
    }
    while (true) {
      bhttp::request_parser<bhttp::string_body> parser;
      // Beast checks a Content-Length against the limit while it reads the header: the largest
      // any route takes, then the route's own once the header names it.
      parser.body_limit(std::max(options.body_limit, router.largest_body_limit()));
      parser.header_limit(header_limit);
      beast::get_lowest_layer(stream).expires_after(options.timeout);
      auto [ec, bytes] = co_await bhttp::async_read_header(stream, buffer, parser, use_tuple);
      std::size_t limit = std::max(options.body_limit, router.body_limit(std::string_view(parser.get().method_string()),
                                                                          path_of(parser.get().target())));
      if (!ec && parser.content_length() && *parser.content_length() > limit) ec = bhttp::error::body_limit;
      if (!ec && !parser.is_done()) {
        parser.body_limit(limit);  // a chunked body is counted as it comes
        // A client that asked for it waits for "100 Continue" before it sends the body.
        if (beast::iequals(parser.get()[bhttp::field::expect], "100-continue") && parser.get().version() >= 11 &&
            !co_await send(stream, "HTTP/1.1 100 Continue\r\n\r\n", {}, options.timeout))
          break;
        if (!ec) std::tie(ec, std::ignore) = co_await bhttp::async_read(stream, buffer, parser, use_tuple);
      }
      if (ec == bhttp::error::body_limit) {
        co_await respond_and_close(
            stream, core::Error(core::ErrorKind::payload_too_large,
                                "the request body exceeds " + std::to_string(limit) + " bytes"));
        break;
      }
      if (ec == bhttp::error::header_limit) {
        co_await respond_and_close(stream, core::Error(core::ErrorKind::headers_too_large,
                                                       "the request's header fields exceed " +
                                                           std::to_string(header_limit) + " bytes"));
        break;
      }
      if (ec) {
        // A malformed request gets a 400; a closed, idle or too slow client just goes away.
        if (ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category() &&
            ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message)
          co_await respond_and_close(
              stream, core::Error(core::ErrorKind::bad_request, "malformed HTTP request: " + ec.message()));
        break;
      }
      auto& in = parser.get();
      auto started = std::chrono::steady_clock::now();
      if (beast::websocket::is_upgrade(in)) {
        co_await websocket_session(std::move(stream), parser.release(), remote);
        co_return;
      }
      Request request = to_request(in, remote, options.trusted_proxies);
      request.tls = std::is_same_v<Stream, TlsStream>;
      std::optional<Response> preflight = edge.preflight(request);
      Response response = preflight ? std::move(*preflight) : Response();
      if (preflight) {
        request.route = "(none)";
        request.slot = router.none_slot();
      } else {
        response = co_await router.dispatch(request);
      }
      for (auto& field : request.response_headers) response.headers.push_back(std::move(field));
      edge.decorate(request, response);
      log_request(request, response,
                  std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count());
      bool keep_alive = in.keep_alive();
      if (!co_await send_response(stream, response, in.version(), keep_alive, request.request_id,
                                  request.method == "HEAD", options.timeout, edge.security_fields(request, response)) ||
          !keep_alive)
        break;
    }
    boost::system::error_code ignored;
    beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  void log_request(const Request& request, const Response& response, double ms) {
    if (options.on_request) options.on_request(request, response, ms / 1000.0);
    if (!spdlog::should_log(spdlog::level::info)) return;  // its fields are quoted before the level is checked
    spdlog::info(
        R"("msg":"request","method":{},"route":{},"path":{},"status":{},"duration_ms":{:.3f},"request_id":{},"remote":{})",
        core::quoted(request.method), core::quoted(request.route), core::quoted(request.path), response.status,
        ms, core::quoted(request.request_id), core::quoted(request.remote_address));
  }

  template <class Stream>
  asio::awaitable<void> websocket_session(Stream stream, bhttp::request<bhttp::string_body> upgrade,
                                          std::string remote) {
    auto started = std::chrono::steady_clock::now();
    Request request = to_request(upgrade, remote, options.trusted_proxies);
    request.tls = std::is_same_v<Stream, TlsStream>;
    request.route = request.path;
    request.slot = router.websocket_slot(request.path);
    auto change = [this, slot = request.slot](ServerOptions::WebSocketChange what) {
      if (options.on_websocket) options.on_websocket(slot, what);
    };
    auto socket = std::make_shared<BeastWebSocket<Stream>>(std::move(stream), options.websocket,
                                                           [change] { change(ServerOptions::WebSocketChange::dropped); });
    socket->ws.next_layer().set_owner(socket);
    auto& tcp = beast::get_lowest_layer(socket->ws);
    WebSocketHandlers handlers;
    std::optional<core::Error> refused;
    if (!edge.websocket_allowed(request)) {
      // Cross-site WebSocket hijacking: another site's page opening a connection as its visitor.
      refused = core::Error(core::ErrorKind::forbidden, "WebSocket connections from the origin " +
                                                            std::string(request.header("origin")) + " are not allowed");
    } else if (const auto* endpoint = router.websocket(request.path)) {
      try {
        handlers = (*endpoint)(request, socket);
      } catch (const core::Error& e) {
        refused = e;
      }
    } else {
      refused = core::Error(core::ErrorKind::no_route, "no WebSocket endpoint at " + request.path);
    }
    if (refused) {
      auto response = Response::problem(*refused);
      log_request(request, response, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count());
      co_await send_response(socket->ws.next_layer().next_layer(), response, upgrade.version(), false, request.request_id,
                             false, std::chrono::seconds(5), edge.security_fields());
      boost::system::error_code ignored;
      tcp.socket().shutdown(tcp::socket::shutdown_send, ignored);
      co_return;
    }
    tcp.expires_never();
    boost::system::error_code ignored;
    tcp.socket().set_option(asio::socket_base::send_buffer_size(options.websocket.socket_send_buffer), ignored);
    auto timeouts = beast::websocket::stream_base::timeout::suggested(beast::role_type::server);
    timeouts.idle_timeout = std::chrono::seconds(60);
    timeouts.keep_alive_pings = true;
    socket->ws.set_option(timeouts);
    socket->ws.read_message_max(options.websocket.max_message_bytes);
    socket->ws.set_option(beast::websocket::stream_base::decorator([id = request.request_id](beast::websocket::response_type& r) {
      r.set(bhttp::field::server, "digital-enterprise");
      r.set("X-Request-Id", id);
    }));
    auto [accept_ec] = co_await socket->ws.async_accept(upgrade, use_tuple);
    Response switching;
    switching.status = accept_ec ? 400 : 101;
    log_request(request, switching, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count());
    if (!accept_ec) {
      change(ServerOptions::WebSocketChange::opened);
      socket->watch();
      beast::flat_buffer buffer;
      while (true) {
        auto [ec, bytes] = co_await socket->ws.async_read(buffer, use_tuple);
        if (ec) break;
        if (!socket->ws.got_text()) {
          socket->close(1003, "only text messages are accepted");
        } else if (handlers.on_message) {
          auto data = buffer.cdata();
          handlers.on_message(std::string_view(static_cast<const char*>(data.data()), data.size()));
        }
        buffer.consume(buffer.size());
      }
      change(ServerOptions::WebSocketChange::closed);
    }
    socket->closed();
    if (handlers.on_close) handlers.on_close();
  }

  asio::io_context& io;
  const Router& router;
  ServerOptions options;
  Edge edge;
  tcp::acceptor acceptor;
  asio::ssl::context tls;
};

Server::Server(asio::io_context& io, const Router& router, ServerOptions options)
    : impl_(std::make_unique<Impl>(io, router, std::move(options))) {}

Server::~Server() = default;

std::uint16_t Server::start() {
  auto& o = impl_->options;
  boost::system::error_code ec;
  if (impl_->tls_enabled()) {
    auto& tls = impl_->tls;
    tls.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                    asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1 |
                    asio::ssl::context::single_dh_use);
    tls.use_certificate_chain_file(o.tls_cert_file, ec);
    if (ec)
      throw core::Error(core::ErrorKind::bad_request,
                        "cannot load the TLS certificate DE_TLS_CERT_FILE=" + o.tls_cert_file + ": " + ec.message());
    tls.use_private_key_file(o.tls_key_file, asio::ssl::context::pem, ec);
    if (!ec && SSL_CTX_check_private_key(tls.native_handle()) != 1) ec = asio::error::invalid_argument;
    if (ec)
      throw core::Error(core::ErrorKind::bad_request, "cannot load the TLS key DE_TLS_KEY_FILE=" + o.tls_key_file +
                                                          " (or it does not match the certificate): " + ec.message());
  }
  auto address = asio::ip::make_address(o.listen.host, ec);
  if (ec)
    throw core::Error(core::ErrorKind::bad_request,
                      "cannot listen on \"" + o.listen.host + "\": not an IP address");
  tcp::endpoint endpoint{address, o.listen.port};
  auto& acceptor = impl_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    throw core::Error(core::ErrorKind::unavailable, "cannot listen on " + o.listen.host + ":" +
                                                        std::to_string(o.listen.port) + ": " +
                                                        ec.message());
  asio::co_spawn(impl_->io, impl_->accept_loop(), asio::detached);
  return acceptor.local_endpoint().port();
}

void Server::stop() {
  boost::system::error_code ignored;
  impl_->acceptor.close(ignored);
}

}  // namespace de::http
