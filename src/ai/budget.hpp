#pragma once
// Budgets (docs/ai.md, "Budgets"): limits on what an agent's or a workflow's model calls use.
// A call that would go over one is not made. Spending comes from the recorded calls (the
// caller reads it from the store); calls in flight are counted on this node by a CallGate.
#include <boost/json/object.hpp>

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <variant>

namespace de::core {
class ObjectReader;
}

namespace de::ai {

struct Budget {
  std::optional<std::int64_t> tokens_per_day, requests_per_minute, concurrent_calls;
  std::optional<double> usd_per_day;
  bool empty() const { return !tokens_per_day && !usd_per_day && !requests_per_minute && !concurrent_calls; }
};

// Reads the object `key` of `r` when present (its errors go to `r`).
Budget read_budget(core::ObjectReader& r, std::string_view key);
// The budget's own fields, read from `b` (an unknown one is left to b.take_errors()).
Budget read_budget_fields(core::ObjectReader& b);

// A budget that was reached: {"budget","limit","used"}.
struct BudgetReached {
  std::string budget;
  boost::json::value limit, used;
  boost::json::object to_json() const;
  // "budget exceeded: tokens_per_day is 1000, used 1234; the model was not called"
  std::string message() const;
};

// Counts calls in flight by key ("agent:<id>", "workflow:<id>") on this node.
// Midnight UTC today, and a minute ago (ms since the epoch).
std::int64_t start_of_day_ms();
std::int64_t minute_ago_ms();

class CallGate {
 public:
  // Holds a place until destroyed.
  class Place {
   public:
    Place() = default;
    Place(Place&& other) noexcept : gate_(std::exchange(other.gate_, nullptr)), key_(std::move(other.key_)) {}
    Place& operator=(Place&&) = delete;
    ~Place();

   private:
    friend class CallGate;
    Place(CallGate* gate, std::string key) : gate_(gate), key_(std::move(key)) {}
    CallGate* gate_ = nullptr;
    std::string key_;
  };

  // A place for one more call under `key`, unless `limit` are in flight already (then the
  // number in flight).
  std::variant<Place, std::int64_t> enter(const std::string& key, std::int64_t limit);
  std::int64_t in_flight(const std::string& key) const;

 private:
  void leave(const std::string& key);
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::int64_t> in_flight_;
};

// A place at `gate` when the budget limits concurrent calls (an empty place when it does not).
std::variant<CallGate::Place, BudgetReached> enter_gate(const Budget& budget, CallGate& gate, const std::string& key);

// Checks `budget` before a call: `spent(since_ms)` sums the recorded calls since then (asked
// for today since midnight UTC, and for the last minute) as a struct with `requests`, `tokens`
// and `cost_usd`; a concurrent-call limit takes a place at `gate` under `key`. Returns the
// place (hold it for the call) or the budget reached.
template <class SpentSince>
std::variant<CallGate::Place, BudgetReached> admit(const Budget& budget, SpentSince&& spent, CallGate& gate,
                                                   const std::string& key) {
  if (budget.tokens_per_day || budget.usd_per_day) {
    auto today = spent(start_of_day_ms());
    if (budget.tokens_per_day && today.tokens >= *budget.tokens_per_day)
      return BudgetReached{"tokens_per_day", *budget.tokens_per_day, today.tokens};
    if (budget.usd_per_day && today.cost_usd >= *budget.usd_per_day)
      return BudgetReached{"usd_per_day", *budget.usd_per_day, today.cost_usd};
  }
  if (budget.requests_per_minute) {
    auto minute = spent(minute_ago_ms());
    if (minute.requests >= *budget.requests_per_minute)
      return BudgetReached{"requests_per_minute", *budget.requests_per_minute, minute.requests};
  }
  return enter_gate(budget, gate, key);
}

}  // namespace de::ai
