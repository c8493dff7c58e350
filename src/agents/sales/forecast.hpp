#pragma once
// The pipeline forecast (docs/sales.md, "Pipeline and forecast"): open and weighted pipeline,
// stage probabilities learnt from the closed deals' history, win rate, cycle time, stale deals.
// Computed from the deals' histories as they stood at a moment (`as_of`), so that a backtest
// can ask what the forecast would have said on a past date, knowing only what was known then.
#include <boost/json/object.hpp>

#include "agents/sales/pipeline.hpp"

namespace de::agents::sales {

struct ForecastOptions {
  std::string by = "stage";  // stage | owner | month (of expected_close)
  std::string currency = "USD";
  int stale_days = 60;
  std::int64_t as_of = 0;  // ms since the epoch
  double prior_strength = 10;  // pseudo-deals of the prior (below)
};

// Options from a task's input or the route's query: {"by","currency","stale_days"}, each
// optional (`stale_days` defaulting to `default_stale_days`); throws a validation error naming
// the field.
ForecastOptions read_forecast_options(const boost::json::object& input, int default_stale_days);

// The fixed weight of the open stage of rank `rank` among `stages` open stages: rank / (n + 1)
// (0.2, 0.4, 0.6, 0.8 for four). The prior of the learnt probabilities, and the baseline the
// backtest compares them with.
double fixed_weight(int rank, std::size_t stages);

struct StageProbability {
  std::string stage;
  std::int64_t reached = 0;  // closed deals that reached the stage (or a later one)
  std::int64_t won = 0;      // of those, the won ones
  double probability = 0;    // (won + k * fixed weight) / (reached + k)
};
// For each open stage, from the deals closed by `as_of`.
std::vector<StageProbability> learn_probabilities(const std::vector<store::deals::History>& deals, const Stages& stages,
                                                  std::int64_t as_of, double prior_strength);

// A deal as it stood at a moment: absent before it was created.
struct DealAt {
  const store::deals::History* history = nullptr;
  std::string stage;
  std::int64_t stage_since = 0;
  int max_rank = 0;  // the furthest open stage it had reached
};
std::optional<DealAt> deal_at(const store::deals::History& deal, const Stages& stages, std::int64_t as_of);

boost::json::object forecast(const std::vector<store::deals::History>& deals, const Stages& stages,
                             const ForecastOptions& options);

// The forecast of the stored deals now (the route, the sales agent's task, the summary).
boost::json::object forecast(store::Database& db, const Stages& stages, ForecastOptions options);

}  // namespace de::agents::sales
