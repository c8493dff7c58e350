#include "auth/rate_limit.hpp"

#include <algorithm>
#include <mutex>

namespace de::auth {

namespace {
// Nanoseconds: at the largest limit (10^9 a minute) a request's share is still 60 of them.
constexpr std::int64_t period_ns = 60'000'000'000;

int seconds_up(std::int64_t ns) { return int((std::max<std::int64_t>(ns, 0) + 999'999'999) / 1'000'000'000); }
}  // namespace

std::atomic<std::int64_t>& RateLimiter::cell(std::string_view principal) {
  auto& shard = shards_[Hash{}(principal) % shard_count];
  {
    std::shared_lock lock(shard.mutex);
    if (auto it = shard.cells.find(principal); it != shard.cells.end()) return *it->second;
  }
  std::unique_lock lock(shard.mutex);
  auto [it, inserted] = shard.cells.try_emplace(std::string(principal), nullptr);
  if (inserted) it->second = std::make_unique<std::atomic<std::int64_t>>(0);
  return *it->second;
}

RateLimiter::Decision RateLimiter::take(std::string_view principal, int per_minute, std::int64_t now_ns) {
  Decision d;
  d.limit = per_minute;
  const std::int64_t interval = std::max<std::int64_t>(1, period_ns / per_minute);  // the time one request's share takes to come back
  const std::int64_t tolerance = period_ns - interval;     // how far ahead of now the cell may run: a minute's burst
  auto& tat = cell(principal);
  auto seen = tat.load(std::memory_order_relaxed);
  while (true) {
    auto start = std::max(seen, now_ns);
    if (start - now_ns > tolerance) {
      d.allowed = false;
      d.retry_after_seconds = std::max(1, seconds_up(start - tolerance - now_ns));
      d.reset_seconds = seconds_up(start - now_ns);
      return d;
    }
    auto next = start + interval;
    if (tat.compare_exchange_weak(seen, next, std::memory_order_relaxed)) {
      d.remaining = int((period_ns - (next - now_ns)) / interval);
      d.reset_seconds = seconds_up(next - now_ns);
      return d;
    }
  }
}

}  // namespace de::auth
