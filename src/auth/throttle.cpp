#include "auth/throttle.hpp"

namespace de::auth {

int LoginThrottle::retry_after(const std::string& key, std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  auto it = windows_.find(key);
  if (it == windows_.end() || it->second.failures < max_failures_) return 0;
  auto ends = it->second.started_at + window_ms_;
  if (ends <= now_ms) return 0;
  return int((ends - now_ms + 999) / 1000);
}

void LoginThrottle::record_failure(const std::string& key, std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  prune(now_ms);
  auto [it, fresh] = windows_.try_emplace(key, Window{now_ms, 0});
  auto& w = it->second;
  if (!fresh && w.started_at + window_ms_ <= now_ms) w = Window{now_ms, 0};
  ++w.failures;
}

void LoginThrottle::reset(const std::string& key) {
  std::lock_guard lock(mutex_);
  windows_.erase(key);
}

void LoginThrottle::prune(std::int64_t now_ms) {
  if (now_ms - last_prune_ < window_ms_) return;
  last_prune_ = now_ms;
  std::erase_if(windows_, [&](const auto& item) { return item.second.started_at + window_ms_ <= now_ms; });
}

}  // namespace de::auth
