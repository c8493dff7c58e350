#include "auth/throttle.hpp"

#include <algorithm>

namespace de::auth {

namespace {
std::string pair_key(const std::string& login, const std::string& address) { return "pair|" + login + "|" + address; }
std::string account_key(const std::string& login) { return "account|" + login; }
std::string address_key(const std::string& address) { return "address|" + address; }
}  // namespace

int LoginThrottle::left(const std::string& key, int limit, std::int64_t now_ms) {
  auto it = windows_.find(key);
  if (it == windows_.end() || it->second.failures < limit) return 0;
  auto ends = it->second.started_at + limits_.window_ms;
  return ends <= now_ms ? 0 : int((ends - now_ms + 999) / 1000);
}

int LoginThrottle::locked_for(const std::string& login, const std::string& address, std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  return std::max({left(pair_key(login, address), limits_.per_pair, now_ms),
                   left(account_key(login), limits_.per_account, now_ms),
                   left(address_key(address), limits_.per_address, now_ms)});
}

std::optional<LoginThrottle::Turn> LoginThrottle::take_turn(const std::string& login, const std::string& address) {
  std::lock_guard lock(mutex_);
  auto key = pair_key(login, address);
  if (!turns_.insert(key).second) return std::nullopt;
  return std::optional<Turn>(std::in_place, *this, std::move(key));
}

LoginThrottle::Turn::~Turn() {
  if (!throttle_) return;
  std::lock_guard lock(throttle_->mutex_);
  throttle_->turns_.erase(key_);
}

void LoginThrottle::record_failure(const std::string& login, const std::string& address, std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  prune(now_ms);
  for (const auto& key : {pair_key(login, address), account_key(login), address_key(address)}) {
    auto [it, fresh] = windows_.try_emplace(key, Window{now_ms, 0});
    auto& w = it->second;
    if (!fresh && w.started_at + limits_.window_ms <= now_ms) w = Window{now_ms, 0};
    ++w.failures;
  }
}

void LoginThrottle::succeeded(const std::string& login, const std::string& address) {
  std::lock_guard lock(mutex_);
  windows_.erase(pair_key(login, address));
}

void LoginThrottle::prune(std::int64_t now_ms) {
  if (now_ms - last_prune_ < limits_.window_ms) return;
  last_prune_ = now_ms;
  std::erase_if(windows_, [&](const auto& item) { return item.second.started_at + limits_.window_ms <= now_ms; });
}

}  // namespace de::auth
