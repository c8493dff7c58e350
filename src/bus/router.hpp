#pragma once
// MessageRouter: topic pub/sub over the committed event log. Events are published in id order
// after their transaction commits; subscribers get them on the store's commit thread and must hand
// them off quickly (post to their own executor).
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "model/model.hpp"
#include "store/database.hpp"

namespace de::bus {

// `*` matches one segment; a trailing `*` matches one or more; `*` alone matches all.
bool topic_matches(std::string_view pattern, std::string_view topic);

class MessageRouter {
 public:
  using Handler = std::function<void(const model::Event&)>;

  // Subscribes to `database`'s commits.
  explicit MessageRouter(store::Database& database);

  std::uint64_t subscribe(std::vector<std::string> patterns, Handler handler);
  void unsubscribe(std::uint64_t id);

  // The newest event id published so far.
  std::int64_t last_event_id() const { return last_id_.load(); }

 private:
  // Hands each event (its wire text made once, when it was stored) to the matching subscribers.
  void publish(const std::vector<model::Event>& events);

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
