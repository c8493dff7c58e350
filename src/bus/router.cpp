#include "bus/router.hpp"

#include <spdlog/spdlog.h>

#include <cstddef>
#include <mutex>
#include <utility>

#include "core/json.hpp"
#include "store/notifications.hpp"

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
  database.on_commit([t = tail_.get()](const std::vector<model::Event>& events) {
    std::lock_guard lock(t->mutex);
    t->own.insert(t->own.end(), events.begin(), events.end());
    while (t->own.size() > Tail::own_limit) t->own.pop_front();
    t->woken = true;
    t->wake.notify_one();
  });
  tail_->thread = std::thread([this] { tail(); });
  tail_->notifications = database.on_events_committed([t = tail_.get()] {
    std::lock_guard lock(t->mutex);
    t->woken = t->others_wrote = true;
    t->wake.notify_one();
  });
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
        publish(next_page());
      } while (t.reader.more());
    } catch (const std::exception& e) {
      spdlog::warn(R"("msg":"reading the event log failed","error":{})", core::quoted(e.what()));
    }
  }
}

std::vector<model::Event> MessageRouter::next_page() {
  constexpr std::size_t page = 1000;
  auto& t = *tail_;
  std::vector<std::int64_t> known;
  bool others_wrote;
  {
    std::lock_guard lock(t.mutex);
    for (const auto& e : t.own) {
      if (known.size() == page) break;
      if (e.id > t.reader.position()) known.push_back(e.id);
    }
    others_wrote = std::exchange(t.others_wrote, false);
  }
  auto now = std::chrono::steady_clock::now();
  if (now - t.log_read >= t.poll) others_wrote = true;
  // Only this node committed since the last read: its own events, when they follow the cursor
  // without a gap, are all there is to give out (a page of the log cost PostgreSQL about 0.4 ms
  // after each of this node's commits).
  auto events = others_wrote ? std::vector<model::Event>() : t.reader.take_own(known);
  if (events.empty()) {
    events = t.reader.next(t.db, page, known);  // the known ones without data or wire text
    t.log_read = now;
  }
  std::vector<std::size_t> lost;  // known when asked for, gone from `own` since (its limit)
  {
    std::lock_guard lock(t.mutex);
    auto it = t.own.begin();
    for (std::size_t i = 0; i < events.size(); ++i) {
      if (events[i].wire) continue;
      while (it != t.own.end() && it->id < events[i].id) ++it;
      if (it != t.own.end() && it->id == events[i].id) events[i] = std::move(*it);
      else lost.push_back(i);
    }
    while (!t.own.empty() && t.own.front().id <= t.reader.position()) t.own.pop_front();
  }
  for (auto i = lost.rbegin(); i != lost.rend(); ++i) {
    if (auto stored = t.db.event(events[*i].id)) events[*i] = std::move(*stored);
    else events.erase(events.begin() + std::ptrdiff_t(*i));  // pruned meanwhile
  }
  return events;
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
