#pragma once
// The CampaignManager (docs/marketing.md, "Campaigns and the budget optimiser"): campaigns,
// their daily results (from JSON or a CSV file) and the metrics derived from them, each change
// written with its campaigns.* event.
#include <boost/json/object.hpp>

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "store/campaign_repository.hpp"
#include "store/database.hpp"

namespace de::agents::marketing {

using store::campaigns::Campaign;
using store::campaigns::DayResult;
using store::campaigns::Totals;

inline constexpr std::array<std::string_view, 4> campaign_statuses{"draft", "active", "paused", "completed"};

// Days since 1970-01-01 of a YYYY-MM-DD date; nullopt when it is not one.
std::optional<std::int64_t> day_number(std::string_view date);
std::string date_of(std::int64_t day_number);

class CampaignManager {
 public:
  // Each checks the whole body first (a validation error names every bad field) and writes
  // nothing unless it is valid; `by` is the user making the change.
  Campaign create(store::Tx& tx, const boost::json::object& body, const std::optional<std::string>& by) const;
  Campaign update(store::Tx& tx, const std::string& id, const boost::json::object& body) const;
  void remove(store::Tx& tx, const std::string& id) const;
  // Several budgets at once, all or nothing (the optimiser's suggestion applied):
  // {"budgets":[{"id","budget"}, ...]}, each in its campaign's currency.
  std::vector<Campaign> set_budgets(store::Tx& tx, const boost::json::object& body) const;
  // Stores the days (each replacing a stored day of its date) with a campaigns.results_recorded event.
  void record(store::Tx& tx, const Campaign& campaign, const std::vector<DayResult>& days) const;
};

// The days of a POST body: {"results":[{date, spend, impressions, clicks, conversions,
// revenue}, ...]} or one such day; money in `currency`. Throws a validation error naming each
// bad field (results[2].spend); a date given twice is one of them.
std::vector<DayResult> read_results(const boost::json::object& body, std::string_view currency);
// The days of a CSV file with the columns date and spend, and any of impressions, clicks,
// conversions and revenue (missing ones are 0; names in any case). Throws bad_request naming
// the row and column of the first problem.
std::vector<DayResult> read_results_csv(std::string_view text, std::string_view currency);

// CTR, conversion rate, CPC, CPA, ROAS and ROI of `totals`; null where the denominator is 0.
boost::json::object metrics(const Totals& totals, std::string_view currency);
Totals sum(const std::vector<DayResult>& days);

boost::json::object to_json(const Campaign& campaign);
// The campaign with its totals and metrics.
boost::json::object to_json(const Campaign& campaign, const Totals& totals);
boost::json::object to_json(const DayResult& day, std::string_view currency);

}  // namespace de::agents::marketing
