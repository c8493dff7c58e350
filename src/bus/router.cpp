#include "bus/router.hpp"

#include <spdlog/spdlog.h>

#include <mutex>

#include "core/json.hpp"

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

MessageRouter::MessageRouter(store::Database& database, Source source, std::chrono::milliseconds poll) {
  if (source == Source::commits) {
    database.on_commit([this](const std::vector<model::Event>& events) { publish(events); });
    return;
  }
  tail_ = std::make_unique<Tail>(database, poll);
  last_id_.store(tail_->reader.position());
  auto wake = [t = tail_.get()] {
    std::lock_guard lock(t->mutex);
    t->woken = true;
    t->wake.notify_one();
  };
  database.on_commit([wake](const std::vector<model::Event>&) { wake(); });
  tail_->thread = std::thread([this] { tail(); });
  tail_->notifications = database.on_events_committed(wake);
}

MessageRouter::~MessageRouter() {
  if (!tail_) return;
  {
    std::lock_guard lock(tail_->mutex);
    tail_->stopping = true;
    tail_->wake.notify_one();
  }
  tail_->thread.join();
}

void MessageRouter::tail() {
  auto& t = *tail_;
  while (true) {
    {
      std::unique_lock lock(t.mutex);
      t.wake.wait_for(lock, t.poll, [&] { return t.woken || t.stopping; });
      if (t.stopping) return;
      t.woken = false;
    }
    try {
      do {
        publish(t.reader.next(t.db, 1000));
      } while (t.reader.more());
    } catch (const std::exception& e) {
      spdlog::warn(R"("msg":"reading the event log failed","error":{})", core::quoted(e.what()));
    }
  }
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
