#pragma once
// Requests per principal (a user, an API key) and minute, on this node (docs/security.md,
// "Rate limits"): the generic cell rate algorithm (GCRA), one atomic "theoretical arrival time"
// per principal, so that a request costs a shared lock of a shard and one compare-and-swap.
// The whole minute's quota may be spent at once; it comes back evenly over the minute.
#include <atomic>
#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace de::auth {

class RateLimiter {
 public:
  struct Decision {
    bool allowed = true;
    int limit = 0;
    int remaining = 0;      // requests that may follow at once
    int reset_seconds = 0;  // until the whole quota is back
    int retry_after_seconds = 0;  // when refused: until the next request is allowed
  };

  // Counts a request of `principal`, allowed `per_minute` (> 0) requests a minute, at `now_ns`
  // (nanoseconds, any steady origin). A principal's limit may change between requests: the
  // state kept is when its quota is whole again, which any limit reads.
  Decision take(std::string_view principal, int per_minute, std::int64_t now_ns);

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
  };
  using Cells = std::unordered_map<std::string, std::unique_ptr<std::atomic<std::int64_t>>, Hash, std::equal_to<>>;
  struct Shard {
    std::shared_mutex mutex;
    Cells cells;  // principal -> theoretical arrival time; as many as principals that made a request
  };
  std::atomic<std::int64_t>& cell(std::string_view principal);

  static constexpr std::size_t shard_count = 16;
  Shard shards_[shard_count];
};

}  // namespace de::auth
