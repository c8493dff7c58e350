#pragma once
// An incremental Server-Sent Events parser (the WHATWG event-stream format): fed the body as it
// arrives, in pieces cut anywhere, it hands over each complete event. Lines end in CRLF, LF or
// CR; `data:` lines of one event are joined with "\n"; `:` lines are comments.
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace de::ai {

struct SseEvent {
  std::string event = "message";  // the `event:` field, "message" when none was given
  std::string data;
  std::string id;  // the last `id:` seen on the stream
};

class SseParser {
 public:
  using Handler = std::function<void(const SseEvent&)>;

  // `max_event_bytes` bounds the memory one event may take (its data and the line being read).
  explicit SseParser(Handler on_event, std::size_t max_event_bytes = 1024 * 1024);

  // Throws ProviderError when an event grows over the limit; exceptions from the handler pass.
  void feed(std::string_view piece);

 private:
  void end_line();
  void dispatch();

  Handler on_event_;
  std::size_t max_event_bytes_;
  std::string line_;
  SseEvent event_;
  bool has_data_ = false;
  bool after_cr_ = false;  // the last piece ended in CR: an LF starting the next one belongs to it
};

}  // namespace de::ai
