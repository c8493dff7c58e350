#include "http/server.hpp"

#include <boost/asio.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>
#include <spdlog/spdlog.h>

#include "core/ids.hpp"
#include "core/json.hpp"

namespace de::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

namespace {

bool valid_request_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id)
    if (c < 0x21 || c > 0x7e) return false;
  return true;
}

Request to_request(bhttp::request<bhttp::string_body>& in, const std::string& remote) {
  Request r;
  r.method = std::string(in.method_string());
  r.target = std::string(in.target());
  r.remote_address = remote;
  for (const auto& field : in) {
    std::string name(field.name_string());
    for (auto& c : name) c = char(std::tolower(static_cast<unsigned char>(c)));
    r.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  r.body = std::move(in.body());
  auto parsed = boost::urls::parse_origin_form(r.target);
  if (parsed) {
    r.path = std::string(parsed->path());
    for (auto param : parsed->params()) r.query_params.emplace_back(param.key, param.value);
  } else {
    r.path = r.target.substr(0, r.target.find('?'));
  }
  if (r.path.empty()) r.path = "/";
  auto id = r.header("x-request-id");
  r.request_id = valid_request_id(id) ? std::string(id) : core::new_id();
  return r;
}

bhttp::response<bhttp::string_body> to_beast(Response& response, unsigned version, bool keep_alive,
                                             const std::string& request_id, bool head) {
  bhttp::response<bhttp::string_body> out{static_cast<bhttp::status>(response.status), version};
  out.set(bhttp::field::server, "digital-enterprise");
  if (!response.content_type.empty()) out.set(bhttp::field::content_type, response.content_type);
  out.set("X-Request-Id", request_id);
  for (auto& [name, value] : response.headers) out.set(name, value);
  out.keep_alive(keep_alive);
  out.body() = std::move(response.body);
  out.prepare_payload();
  if (head) out.body().clear();
  return out;
}

}  // namespace

struct Server::Impl {
  Impl(asio::io_context& io, const Router& router, ServerOptions options)
      : io(io), router(router), options(std::move(options)), acceptor(io) {}

  asio::awaitable<void> accept_loop() {
    while (acceptor.is_open()) {
      auto [ec, socket] = co_await acceptor.async_accept(asio::make_strand(io), use_tuple);
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
        continue;  // e.g. out of file descriptors: keep serving the others
      }
      asio::co_spawn(socket.get_executor(), session(std::move(socket)), asio::detached);
    }
  }

  asio::awaitable<void> respond_and_close(beast::tcp_stream& stream, const core::Error& error) {
    auto response = Response::problem(error);
    auto out = to_beast(response, 11, false, core::new_id(), false);
    stream.expires_after(std::chrono::seconds(5));
    co_await bhttp::async_write(stream, out, use_tuple);
  }

  asio::awaitable<void> session(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    std::string remote;
    {
      boost::system::error_code ec;
      auto endpoint = stream.socket().remote_endpoint(ec);
      if (!ec) remote = endpoint.address().to_string();
    }
    while (true) {
      bhttp::request_parser<bhttp::string_body> parser;
      parser.body_limit(options.body_limit);
      parser.header_limit(32 * 1024);
      stream.expires_after(options.timeout);
      auto [ec, bytes] = co_await bhttp::async_read(stream, buffer, parser, use_tuple);
      if (ec == bhttp::error::body_limit) {
        co_await respond_and_close(
            stream, core::Error(core::ErrorKind::payload_too_large,
                                "the request body exceeds " +
                                    std::to_string(options.body_limit) + " bytes"));
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
      Request request = to_request(in, remote);
      Response response = co_await router.dispatch(request);
      double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
      if (options.on_request) options.on_request(request, response, ms / 1000.0);
      spdlog::info(
          R"("msg":"request","method":{},"route":{},"path":{},"status":{},"duration_ms":{:.3f},"request_id":{},"remote":{})",
          core::quoted(request.method), core::quoted(request.route), core::quoted(request.path),
          response.status, ms, core::quoted(request.request_id), core::quoted(remote));
      bool keep_alive = in.keep_alive();
      auto out = to_beast(response, in.version(), keep_alive, request.request_id,
                          request.method == "HEAD");
      stream.expires_after(options.timeout);
      auto [write_ec, written] = co_await bhttp::async_write(stream, out, use_tuple);
      if (write_ec || !keep_alive) break;
    }
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  asio::io_context& io;
  const Router& router;
  ServerOptions options;
  tcp::acceptor acceptor;
};

Server::Server(asio::io_context& io, const Router& router, ServerOptions options)
    : impl_(std::make_unique<Impl>(io, router, std::move(options))) {}

Server::~Server() = default;

std::uint16_t Server::start() {
  auto& o = impl_->options;
  boost::system::error_code ec;
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
