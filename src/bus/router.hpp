#pragma once
// MessageRouter: topic pub/sub over the committed event log. Events are published in id order
// after their transaction commits; subscribers get them on the store's commit thread and must hand
// them off quickly (post to their own executor).
//
// With several nodes on one PostgreSQL database, a router made with Source::log publishes every
// node's events, read back from the log in id order (a thread of its own, woken by this node's
// commits and by the other nodes' notifications, polling the log in case one is missed): a
// WebSocket client of any node sees every event once, in the order `since=` replays them on
// any other.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "model/model.hpp"
#include "store/database.hpp"
#include "store/event_cursor.hpp"

namespace de::bus {

// `*` matches one segment; a trailing `*` matches one or more; `*` alone matches all.
bool topic_matches(std::string_view pattern, std::string_view topic);

class MessageRouter {
 public:
  using Handler = std::function<void(const model::Event&)>;

  enum class Source {
    commits,  // this node's events, as its transactions commit
    log,      // every node's events, from the log (PostgreSQL)
  };
  // Subscribes to `database`'s commits; with Source::log, `poll` is how often the log is read
  // when no commit or notification wakes the reader (a notification missed while the
  // listening connection was down).
  explicit MessageRouter(store::Database& database, Source source = Source::commits,
                         std::chrono::milliseconds poll = std::chrono::milliseconds(1000));
  ~MessageRouter();
  MessageRouter(const MessageRouter&) = delete;
  MessageRouter& operator=(const MessageRouter&) = delete;

  std::uint64_t subscribe(std::vector<std::string> patterns, Handler handler);
  void unsubscribe(std::uint64_t id);

  // The newest event id published so far.
  std::int64_t last_event_id() const { return last_id_.load(); }

 private:
  // Hands each event (its wire text made once, when it was stored) to the matching subscribers.
  void publish(const std::vector<model::Event>& events);
  // Source::log: reads the log after the last event published, publishes what is certain.
  void tail();
  // The next events of the log that are certain, this node's own taken from memory.
  std::vector<model::Event> next_page();

  struct Tail {
    store::Database& db;
    std::chrono::milliseconds poll;
    std::mutex mutex;
    std::condition_variable wake;
    bool woken = false, stopping = false;
    // Another node may have committed since the last read of the log (it notified): the next
    // read reads it, even when this node's own events alone would do (EventCursor::take_own).
    // So does every read a poll interval after the last (a notification can be lost), the first
    // one included.
    bool others_wrote = false;
    std::chrono::steady_clock::time_point log_read{};
    // This node's committed events the log has not given back yet, oldest first: the log leaves
    // their data out and they are published from here. Past `own_limit` the oldest go, and
    // are read back from the log like another node's.
    std::deque<model::Event> own;
    static constexpr std::size_t own_limit = 100000;
    store::EventCursor reader{db.last_event_id()};
    std::thread thread;
    std::unique_ptr<store::Notifications> notifications;  // last: stops calling before the rest goes
  };
  std::unique_ptr<Tail> tail_;

  struct Subscription {
    std::uint64_t id;
    std::vector<std::string> patterns;
    Handler handler;
  };
  mutable std::shared_mutex mutex_;
  std::vector<std::shared_ptr<Subscription>> subscriptions_;
  std::uint64_t next_id_ = 1;
  std::atomic<std::int64_t> last_id_{0};
};

}  // namespace de::bus
