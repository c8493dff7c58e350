#pragma once
// Reading the event log in id order without skipping an event that is still being written.
// On SQLite one writer commits in id order: a plain read. On PostgreSQL with several nodes, ids
// come from one sequence but transactions commit in any order, so a gap below an id already read
// may still fill (docs/operations.md, "Events"): a gap is final once every transaction that was
// running when it was seen has ended. Used by the nodes' log tail (bus) and the webhook pumps.
#include <cstdint>
#include <span>
#include <vector>

#include "store/database.hpp"

namespace de::store {

class EventCursor {
 public:
  explicit EventCursor(std::int64_t after) : cursor_(after) {}
  // The events after the cursor that are certain, oldest first, at most `limit`; the cursor
  // moves past them. Those whose ids are in `known` (ascending) come without their data and
  // wire text (Database::events_with_horizon).
  std::vector<model::Event> next(Database& db, std::size_t limit, std::span<const std::int64_t> known = {});
  // The caller's own committed and durable events (`known`, ascending, as for next) when they
  // follow the cursor without a gap, without reading the log: those ids are the caller's, so no
  // other event can hold one, and the cursor moves past them. Empty, the cursor unmoved,
  // otherwise. An event another writer committed beyond them is left for the next read of the
  // log (next), which the caller makes when that writer announces its commit.
  std::vector<model::Event> take_own(std::span<const std::int64_t> known);
  // The last event returned (or the starting point).
  std::int64_t position() const { return cursor_; }
  // The last read was cut by `limit` and made progress: read again at once.
  bool more() const { return more_; }

 private:
  struct Fence {  // gaps in the ids below `below` are final once a snapshot's xmin passes `xid`
    std::int64_t below, xid;
  };
  std::vector<Fence> fences_;
  std::int64_t cursor_;
  bool more_ = false;
};

}  // namespace de::store
