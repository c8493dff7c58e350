#include "bus/router.hpp"

#include <mutex>

namespace de::bus {

bool topic_matches(std::string_view pattern, std::string_view topic) {
  if (pattern == "*") return true;
  while (true) {
    auto p_dot = pattern.find('.');
    auto t_dot = topic.find('.');
    auto p_seg = pattern.substr(0, p_dot);
    auto t_seg = topic.substr(0, t_dot);
    if (p_seg == "*" && p_dot == std::string_view::npos) return !t_seg.empty();
    if (p_seg != "*" && p_seg != t_seg) return false;
    if (p_dot == std::string_view::npos || t_dot == std::string_view::npos)
      return p_dot == std::string_view::npos && t_dot == std::string_view::npos;
    pattern.remove_prefix(p_dot + 1);
    topic.remove_prefix(t_dot + 1);
  }
}

MessageRouter::MessageRouter(store::Database& database) {
  database.on_commit([this](const std::vector<model::Event>& events) { publish(events); });
}

std::uint64_t MessageRouter::subscribe(std::vector<std::string> patterns, Handler handler) {
  std::unique_lock lock(mutex_);
  auto id = next_id_++;
  subscriptions_.push_back(
      std::make_shared<Subscription>(Subscription{id, std::move(patterns), std::move(handler)}));
  return id;
}

void MessageRouter::unsubscribe(std::uint64_t id) {
  std::unique_lock lock(mutex_);
  std::erase_if(subscriptions_, [&](const auto& s) { return s->id == id; });
}

void MessageRouter::publish(const std::vector<model::Event>& events) {
  std::vector<std::shared_ptr<Subscription>> current;
  {
    std::shared_lock lock(mutex_);
    current = subscriptions_;
  }
  for (const auto& event : events) {
    for (const auto& s : current)
      for (const auto& pattern : s->patterns)
        if (topic_matches(pattern, event.topic)) {
          s->handler(event);
          break;
        }
    last_id_.store(event.id);
  }
}

}  // namespace de::bus
