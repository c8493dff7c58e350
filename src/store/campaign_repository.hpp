#pragma once
// Marketing campaigns and their daily results (docs/marketing.md).
#include "store/repositories.hpp"

namespace de::store::campaigns {

struct Campaign {
  std::string id, name, channel, status, goal;
  std::int64_t budget_minor = 0;  // in minor units of `currency`: exact
  std::string currency = "USD";
  std::string start;  // YYYY-MM-DD
  std::optional<std::string> end;
  std::optional<std::string> created_by;
  std::int64_t created_at = 0, updated_at = 0;
};

// One day of a campaign's results.
struct DayResult {
  std::string day;  // YYYY-MM-DD
  std::int64_t spend_minor = 0, impressions = 0, clicks = 0, conversions = 0, revenue_minor = 0;
};

// A campaign's results summed over its days.
struct Totals {
  std::int64_t days = 0, spend_minor = 0, impressions = 0, clicks = 0, conversions = 0, revenue_minor = 0;
};

void insert(Connection& c, const Campaign& campaign);
// Every field but id, created_by and created_at.
void update(Connection& c, const Campaign& campaign);
bool remove(Connection& c, const std::string& id);  // with its results
std::optional<Campaign> find(Connection& c, const std::string& id);
std::int64_t count(Connection& c);

struct Filter {
  std::optional<std::string> channel, status;
};
// Newest first; the cursor is the last campaign of the previous page.
Page<Campaign> list(Connection& c, const Filter& filter, const PageRequest& page);
std::vector<Campaign> all(Connection& c);

// Stores the days given, each replacing the campaign's stored day of the same date.
void put_results(Connection& c, const std::string& campaign_id, const std::vector<DayResult>& days);
// Oldest first.
std::vector<DayResult> results(Connection& c, const std::string& campaign_id);
// By campaign id, for the campaigns with results.
std::map<std::string, Totals> totals(Connection& c);

// Spend and revenue of every result, by the campaigns' currency (largest spend first).
struct CurrencyTotals {
  std::string currency;
  std::int64_t spend_minor = 0, revenue_minor = 0;
};
std::vector<CurrencyTotals> totals_by_currency(Connection& c);

}  // namespace de::store::campaigns
