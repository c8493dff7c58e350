#pragma once
// The sales pipeline's tables (docs/sales.md): deals, and the history of the stages each one
// entered (the first included), which the forecast learns from.
#include <boost/json/object.hpp>

#include "store/repositories.hpp"

namespace de::store::deals {

struct Deal {
  std::string id, name, account, owner, stage;
  std::int64_t amount_minor = 0;  // in minor units of `currency` (cents for USD): exact
  std::string currency = "USD";
  std::optional<double> probability;  // set by a user; unset: the stage's learnt probability
  std::optional<std::string> expected_close;  // YYYY-MM-DD
  std::optional<std::string> lead_id;
  std::optional<std::string> created_by;
  std::int64_t created_at = 0, updated_at = 0;
  std::int64_t stage_changed_at = 0;  // when it entered its stage
  std::optional<std::int64_t> closed_at;  // when it was won or lost
};

struct StageChange {
  std::optional<std::string> from_stage;  // none for the stage a deal starts in
  std::string to_stage;
  std::optional<std::string> changed_by;
  std::int64_t changed_at = 0;
};

// A deal and every stage it entered, oldest first.
struct History {
  Deal deal;
  std::vector<StageChange> changes;
};

// Stores deals with their histories as given (a new deal has one change: its first stage),
// many rows per statement.
void insert(Connection& c, const std::vector<History>& deals);
// Every field but id, created_by and created_at.
void update(Connection& c, const Deal& deal);
void add_stage_change(Connection& c, const std::string& deal_id, const StageChange& change);
bool remove(Connection& c, const std::string& id);  // with its history
std::optional<Deal> find(Connection& c, const std::string& id);
std::vector<StageChange> history(Connection& c, const std::string& id);
std::int64_t count(Connection& c);

enum class SortKey { created_at, updated_at, amount, expected_close, name };
struct Sort {
  SortKey key = SortKey::created_at;
  bool descending = true;
};
struct Filter {
  std::optional<std::string> stage;
  std::optional<std::string> owner;
  std::optional<bool> closed;  // true: won or lost; false: open
};
// Ordered by the sort key, then id; the cursor is the last deal of the previous page (a deleted
// one is a bad_request: the page it ended is gone).
Page<Deal> list(Connection& c, const Filter& filter, const Sort& sort, const PageRequest& page);
// Every deal with its history: what the forecast reads.
std::vector<History> all(Connection& c);

// As the API shows them (the amount in major units of its currency).
boost::json::object to_json(const Deal& deal);
boost::json::object to_json(const StageChange& change);

}  // namespace de::store::deals
