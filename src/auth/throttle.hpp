#pragma once
// Login throttling: after `max_failures` failed logins for one account from one address
// within `window_seconds`, further attempts are refused until the window ends.
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace de::auth {

class LoginThrottle {
 public:
  explicit LoginThrottle(int max_failures = 5, int window_seconds = 60)
      : max_failures_(max_failures), window_ms_(std::int64_t(window_seconds) * 1000) {}

  // Seconds to wait before another attempt, 0 when allowed.
  int retry_after(const std::string& key, std::int64_t now_ms);
  void record_failure(const std::string& key, std::int64_t now_ms);
  void reset(const std::string& key);

 private:
  struct Window {
    std::int64_t started_at = 0;
    int failures = 0;
  };
  void prune(std::int64_t now_ms);

  int max_failures_;
  std::int64_t window_ms_;
  std::mutex mutex_;
  std::unordered_map<std::string, Window> windows_;
  std::int64_t last_prune_ = 0;
};

}  // namespace de::auth
