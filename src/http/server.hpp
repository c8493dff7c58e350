#pragma once
// The HTTP/1.1 server (Boost.Beast, one coroutine per connection).
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/net_address.hpp"
#include "http/router.hpp"
#include "http/websocket.hpp"

namespace de::http {

struct ServerOptions {
  core::Endpoint listen;
  std::chrono::seconds timeout{30};  // to receive a request; idle time between requests
  std::size_t body_limit = 1024 * 1024;
  WebSocketLimits websocket;
  std::vector<std::string> cors_origins;       // Edge (http/edge.hpp)
  std::string tls_cert_file, tls_key_file;     // PEM; set: HTTPS and WSS only
  std::vector<core::net::Network> trusted_proxies;  // whose X-Forwarded-For is believed (client_address)
  // Called after each request is answered (metrics); `request.slot` says which route.
  std::function<void(const Request&, const Response&, double seconds)> on_request;
  // Called when a WebSocket connection of the route slot opens, closes, or is dropped for not
  // keeping up (then closed too).
  enum class WebSocketChange { opened, closed, dropped };
  std::function<void(std::size_t slot, WebSocketChange)> on_websocket;
};

class Server {
 public:
  Server(boost::asio::io_context& io, const Router& router, ServerOptions options);
  ~Server();
  // Binds and starts accepting; returns the bound port. Throws core::Error when it cannot bind.
  std::uint16_t start();
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace de::http
