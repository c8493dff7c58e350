#pragma once
// WebSocket endpoints: the server upgrades, the endpoint decides what the connection does.
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "http/message.hpp"

namespace de::http {

// One open connection. send() and close() are safe from any thread.
class WebSocket {
 public:
  virtual ~WebSocket() = default;
  // Queues a text message. A client whose queue is full is too slow and is dropped.
  virtual void send(std::shared_ptr<const std::string> text) = 0;
  void send(std::string text) { send(std::make_shared<const std::string>(std::move(text))); }
  // Closes after the queued messages (code 1000 normal, 1008 policy, 1011 error).
  virtual void close(int code, std::string reason) = 0;
  virtual bool is_open() const = 0;
};

struct WebSocketHandlers {
  std::function<void(std::string_view message)> on_message;
  std::function<void()> on_close;
};

// Runs before the handshake completes: throw core::Error to refuse (401, 403...) with a
// problem+json answer; otherwise return what to do with the connection's messages.
using WebSocketEndpoint = std::function<WebSocketHandlers(Request& request, std::shared_ptr<WebSocket> socket)>;

struct WebSocketLimits {
  std::size_t max_message_bytes = 64 * 1024;
  // A client is dropped when a write to it has made no progress for `stall_timeout` while more
  // messages wait, or when `max_queued_messages` wait: a client that stops reading costs
  // bounded memory and never slows the others. Queued messages are shared between clients.
  std::chrono::milliseconds stall_timeout{10000};
  std::size_t max_queued_messages = 65536;
  int socket_send_buffer = 256 * 1024;
};

}  // namespace de::http
