#include "ai/budget.hpp"

#include "core/clock.hpp"
#include "core/json.hpp"

namespace de::ai {

namespace json = boost::json;

Budget read_budget(core::ObjectReader& r, std::string_view key) {
  const auto* object = r.object(key, false);
  if (!object) return {};
  core::ObjectReader b(*object, r.field_name(key));
  auto budget = read_budget_fields(b);
  for (auto& e : b.take_errors()) r.errors().push_back(std::move(e));
  return budget;
}

Budget read_budget_fields(core::ObjectReader& b) {
  Budget budget;
  budget.tokens_per_day = b.integer("tokens_per_day", false, 1, std::int64_t(1) << 50);
  budget.requests_per_minute = b.integer("requests_per_minute", false, 1, 1000000);
  budget.concurrent_calls = b.integer("concurrent_calls", false, 1, 10000);
  budget.usd_per_day = b.number("usd_per_day", false);
  if (budget.usd_per_day && *budget.usd_per_day < 0) b.error("usd_per_day", "must not be negative");
  return budget;
}

json::object BudgetReached::to_json() const { return {{"budget", budget}, {"limit", limit}, {"used", used}}; }

std::string BudgetReached::message() const {
  return "budget exceeded: " + budget + " is " + core::to_text(limit) + ", used " + core::to_text(used) +
         "; the model was not called";
}

CallGate::Place::~Place() {
  if (gate_) gate_->leave(key_);
}

std::variant<CallGate::Place, std::int64_t> CallGate::enter(const std::string& key, std::int64_t limit) {
  std::lock_guard lock(mutex_);
  auto& count = in_flight_[key];
  if (count >= limit) return count;
  ++count;
  return Place(this, key);
}

std::int64_t CallGate::in_flight(const std::string& key) const {
  std::lock_guard lock(mutex_);
  auto it = in_flight_.find(key);
  return it == in_flight_.end() ? 0 : it->second;
}

void CallGate::leave(const std::string& key) {
  std::lock_guard lock(mutex_);
  if (auto it = in_flight_.find(key); it != in_flight_.end() && --it->second <= 0) in_flight_.erase(it);
}

std::int64_t start_of_day_ms() {
  auto now = core::now_ms();
  return now - now % 86400000;
}

std::int64_t minute_ago_ms() { return core::now_ms() - 60000; }

std::variant<CallGate::Place, BudgetReached> enter_gate(const Budget& budget, CallGate& gate, const std::string& key) {
  if (!budget.concurrent_calls) return CallGate::Place();
  auto entered = gate.enter(key, *budget.concurrent_calls);
  if (auto* busy = std::get_if<std::int64_t>(&entered))
    return BudgetReached{"concurrent_calls", *budget.concurrent_calls, *busy};
  return std::move(std::get<CallGate::Place>(entered));
}

}  // namespace de::ai
