#pragma once
// Login throttling. Failed logins are counted per account and address, per account (from any
// address: a guesser spread over many addresses) and per address (any account: one address
// trying many accounts), each in a window of its own. Past any limit the login is soft-locked:
// an attempt waits a moment before its password is checked, one attempt at a time per account
// and address; a right password then signs in, so nobody can keep an owner locked out, and a
// wrong one is answered 429 with the time left. Per node (in memory).
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace de::auth {

class LoginThrottle {
 public:
  struct Limits {
    int per_pair = 5;       // failures of one account from one address
    int per_account = 20;   // failures of one account from any address
    int per_address = 30;   // failures from one address on any account
    std::int64_t window_ms = 60'000;
    std::int64_t soft_delay_ms = 1'000;  // the wait of an attempt while locked
  };
  LoginThrottle() : LoginThrottle(Limits{}) {}
  explicit LoginThrottle(Limits limits) : limits_(limits) {}

  // Seconds until every window that locks `login` from `address` has ended; 0 when not locked.
  int locked_for(const std::string& login, const std::string& address, std::int64_t now_ms);

  // While locked, the one attempt of an account and address under way: released when destroyed.
  class Turn {
   public:
    Turn(LoginThrottle& throttle, std::string key) : throttle_(&throttle), key_(std::move(key)) {}
    Turn(Turn&& other) noexcept : throttle_(std::exchange(other.throttle_, nullptr)), key_(std::move(other.key_)) {}
    Turn(const Turn&) = delete;
    Turn& operator=(const Turn&) = delete;
    Turn& operator=(Turn&& other) noexcept {  // swapped: `other` releases what this held
      std::swap(throttle_, other.throttle_);
      std::swap(key_, other.key_);
      return *this;
    }
    ~Turn();

   private:
    LoginThrottle* throttle_;
    std::string key_;
  };
  // The turn of an attempt while locked; none while another attempt of the pair is under way.
  std::optional<Turn> take_turn(const std::string& login, const std::string& address);
  std::int64_t soft_delay_ms() const { return limits_.soft_delay_ms; }

  void record_failure(const std::string& login, const std::string& address, std::int64_t now_ms);
  // A right password: the account and address start afresh (the account's and the address's
  // counts stay: they are about others' attempts too).
  void succeeded(const std::string& login, const std::string& address);

 private:
  struct Window {
    std::int64_t started_at = 0;
    int failures = 0;
  };
  // Seconds left of `key`'s window when it holds at least `limit` failures, else 0.
  int left(const std::string& key, int limit, std::int64_t now_ms);
  void prune(std::int64_t now_ms);

  Limits limits_;
  std::mutex mutex_;
  std::unordered_map<std::string, Window> windows_;
  std::unordered_set<std::string> turns_;
  std::int64_t last_prune_ = 0;
};

}  // namespace de::auth
