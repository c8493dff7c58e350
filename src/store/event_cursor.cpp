#include "store/event_cursor.hpp"

#include <algorithm>

namespace de::store {

std::vector<model::Event> EventCursor::take_own(std::span<const std::int64_t> known) {
  if (known.empty() || known.front() != cursor_ + 1 || known.back() - known.front() + 1 != std::int64_t(known.size()))
    return {};
  std::vector<model::Event> own;
  own.reserve(known.size());
  for (auto id : known) own.emplace_back(id, std::string(), boost::json::value(), 0);
  cursor_ = known.back();
  more_ = false;
  return own;
}

std::vector<model::Event> EventCursor::next(Database& db, std::size_t limit, std::span<const std::int64_t> known) {
  if (db.dialect() == Dialect::sqlite) {
    auto events = db.events_since(cursor_, limit);
    if (!events.empty()) cursor_ = events.back().id;
    more_ = events.size() == limit;
    return events;
  }
  auto page = db.events_with_horizon(cursor_, limit, known);
  // Gaps below an id read in an earlier round are final once every transaction running at that
  // round's snapshot has ended.
  std::int64_t final_below = 0;
  std::erase_if(fences_, [&](const Fence& f) {
    if (f.xid >= page.xmin) return false;
    final_below = std::max(final_below, f.below);
    return true;
  });
  std::vector<model::Event> ready;
  for (auto& e : page.events) {
    if (e.id != cursor_ + 1 && e.id > final_below) break;  // a gap that may still fill
    cursor_ = e.id;
    ready.push_back(std::move(e));
  }
  if (!page.events.empty() && page.events.back().id > cursor_ &&
      (fences_.empty() || fences_.back().below < page.events.back().id))
    fences_.push_back({page.events.back().id, db.new_transaction_id()});
  more_ = page.events.size() == limit && !ready.empty();
  // Given out only once durable: a writer's commit is visible before its flush (the caller's own
  // events, known, were announced once flushed).
  if (std::any_of(ready.begin(), ready.end(), [](const model::Event& e) { return e.wire != nullptr; }))
    db.wait_until_flushed(page.wal_end);
  return ready;
}

}  // namespace de::store
