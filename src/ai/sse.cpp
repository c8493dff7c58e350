#include "ai/sse.hpp"

#include <fmt/format.h>

#include "ai/chat.hpp"

namespace de::ai {

SseParser::SseParser(Handler on_event, std::size_t max_event_bytes)
    : on_event_(std::move(on_event)), max_event_bytes_(max_event_bytes) {}

void SseParser::feed(std::string_view piece) {
  if (piece.empty()) return;
  if (after_cr_ && piece.front() == '\n') piece.remove_prefix(1);
  after_cr_ = false;
  while (!piece.empty()) {
    auto end = piece.find_first_of("\r\n");
    line_.append(piece.substr(0, end));
    if (line_.size() + event_.data.size() > max_event_bytes_)
      throw ProviderError(core::ErrorKind::unavailable,
                          fmt::format("a server-sent event over {} bytes", max_event_bytes_), 0, false);
    if (end == std::string_view::npos) return;
    bool cr = piece[end] == '\r';
    piece.remove_prefix(end + 1);
    if (cr && piece.empty()) after_cr_ = true;
    if (cr && piece.starts_with('\n')) piece.remove_prefix(1);
    end_line();
  }
}

void SseParser::end_line() {
  if (line_.empty()) return dispatch();
  std::string_view line = line_;
  if (line.front() == ':') return line_.clear();  // a comment (keep-alive)
  auto colon = line.find(':');
  std::string_view field = line.substr(0, colon);
  std::string_view value = colon == std::string_view::npos ? std::string_view() : line.substr(colon + 1);
  if (value.starts_with(' ')) value.remove_prefix(1);
  if (field == "data") {
    if (has_data_) event_.data.push_back('\n');
    event_.data.append(value);
    has_data_ = true;
  } else if (field == "event") {
    event_.event.assign(value);
  } else if (field == "id" && value.find('\0') == std::string_view::npos) {
    event_.id.assign(value);
  }  // retry and unknown fields: nothing we use
  line_.clear();
}

// A blank line ends the event; one without data is dropped (the format says so), but the id
// it set stays for the next.
void SseParser::dispatch() {
  if (has_data_) on_event_(event_);
  event_.event = "message";
  event_.data.clear();
  has_data_ = false;
}

}  // namespace de::ai
