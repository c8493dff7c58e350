#pragma once
// The layer under a server-side Beast WebSocket stream that batches its output: every frame
// waiting for one client leaves in one gathered write (a system call per batch, not per
// message). Beast's own frames (the handshake answer, pings, pongs, close) pass through
// async_write_some; our text messages are framed here without a Beast write operation each.
// Server frames are never masked (RFC 6455 §5.1), so a message's payload is shared as-is by
// every client it goes to. Reads go straight to the TCP stream. Strand-bound like the stream.
#include <boost/asio/buffer.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/teardown.hpp>

#include <array>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace de::http {

template <class Stream>
class WebSocketOutput {
 public:
  using executor_type = typename Stream::executor_type;

  explicit WebSocketOutput(Stream stream) : stream_(std::move(stream)) {}

  // What owns this layer: each write keeps it alive until the write completes.
  void set_owner(std::weak_ptr<void> owner) { owner_ = std::move(owner); }

  executor_type get_executor() { return stream_.get_executor(); }
  Stream& next_layer() { return stream_; }
  const Stream& next_layer() const { return stream_; }

  // Queues one text message as a single unmasked frame (dropped once a write has failed).
  void send_text(std::shared_ptr<const std::string> text) {
    if (failed_) return;
    Chunk chunk;
    chunk.header_size = frame_header(text->size(), chunk.header);
    chunk.payload = std::move(text);
    pending_.push_back(std::move(chunk));
    flush();
  }

  // Frames queued or in flight, and whether a write is under way (since when).
  std::size_t queued() const { return pending_.size() + in_flight_.size(); }
  bool writing() const { return !in_flight_.empty(); }
  std::chrono::steady_clock::time_point write_started() const { return write_started_; }
  // Calls `callback` once everything queued so far has been written (or the writes failed).
  void after_drain(std::function<void()> callback) {
    if (queued() == 0 || failed_) return callback();
    drained_callbacks_.push_back(std::move(callback));
  }

  // Beast's writes: copied into the queue (behind our messages, in order) and reported done.
  template <class ConstBufferSequence, class WriteToken>
  auto async_write_some(const ConstBufferSequence& buffers, WriteToken&& token) {
    return boost::asio::async_initiate<WriteToken, void(boost::system::error_code, std::size_t)>(
        [this](auto handler, const ConstBufferSequence& buffers) {
          std::size_t size = 0;
          if (!failed_) {
            std::string bytes;
            for (auto b : boost::beast::buffers_range_ref(buffers))
              bytes.append(static_cast<const char*>(b.data()), b.size());
            size = bytes.size();
            Chunk chunk;
            chunk.payload = std::make_shared<const std::string>(std::move(bytes));
            pending_.push_back(std::move(chunk));
            flush();
          }
          auto executor = boost::asio::get_associated_executor(handler, get_executor());
          boost::asio::post(executor, boost::beast::bind_front_handler(std::move(handler), failed_, size));
        },
        token, buffers);
  }

  template <class MutableBufferSequence, class ReadToken>
  auto async_read_some(const MutableBufferSequence& buffers, ReadToken&& token) {
    return stream_.async_read_some(buffers, std::forward<ReadToken>(token));
  }

 private:
  struct Chunk {
    std::array<char, 10> header{};
    std::size_t header_size = 0;
    std::shared_ptr<const std::string> payload;
  };

  // FIN + text opcode, then the payload length in 7, 7+16 or 7+64 bits.
  static std::size_t frame_header(std::size_t size, std::array<char, 10>& h) {
    h[0] = char(0x81);
    if (size < 126) {
      h[1] = char(size);
      return 2;
    }
    if (size <= 0xffff) {
      h[1] = char(126);
      for (int i = 0; i < 2; ++i) h[2 + i] = char((size >> (8 * (1 - i))) & 0xff);
      return 4;
    }
    h[1] = char(127);
    for (int i = 0; i < 8; ++i) h[2 + i] = char((std::uint64_t(size) >> (8 * (7 - i))) & 0xff);
    return 10;
  }

  void flush() {
    if (writing() || pending_.empty() || failed_) return;
    // At most 64 frames a batch: a bounded gather list, and a slow client's queue still moves.
    while (!pending_.empty() && in_flight_.size() < 64) {
      in_flight_.push_back(std::move(pending_.front()));
      pending_.pop_front();
    }
    buffers_.clear();
    for (const auto& c : in_flight_) {
      if (c.header_size) buffers_.emplace_back(c.header.data(), c.header_size);
      buffers_.emplace_back(c.payload->data(), c.payload->size());
    }
    write_started_ = std::chrono::steady_clock::now();
    boost::asio::async_write(stream_, buffers_, [this, owner = owner_.lock()](boost::system::error_code ec, std::size_t) {
      in_flight_.clear();
      if (ec) {
        failed_ = ec;
        pending_.clear();
      }
      if (!pending_.empty()) return flush();
      for (auto& callback : std::exchange(drained_callbacks_, {})) callback();
    });
  }

  Stream stream_;
  std::deque<Chunk> pending_;
  std::vector<Chunk> in_flight_;
  std::vector<boost::asio::const_buffer> buffers_;
  std::chrono::steady_clock::time_point write_started_;
  boost::system::error_code failed_;
  std::vector<std::function<void()>> drained_callbacks_;
  std::weak_ptr<void> owner_;
};

// The close handshake's last step, for Beast: the stream's own, once the close frame and
// everything before it has left.
template <class Stream, class TeardownHandler>
void async_teardown(boost::beast::role_type role, WebSocketOutput<Stream>& output, TeardownHandler&& handler) {
  auto shared = std::make_shared<std::decay_t<TeardownHandler>>(std::forward<TeardownHandler>(handler));
  output.after_drain([role, &output, shared] {
    using boost::beast::async_teardown;
    async_teardown(role, output.next_layer(), std::move(*shared));
  });
}

template <class Stream>
void teardown(boost::beast::role_type role, WebSocketOutput<Stream>& output, boost::system::error_code& ec) {
  using boost::beast::teardown;
  teardown(role, output.next_layer(), ec);
}

}  // namespace de::http
