// Backtest of the pipeline forecast (docs/sales.md, "Pipeline and forecast"), run by
// script/backtest-forecast: for each quarter of Maven Analytics' CRM data set, the forecast
// made at its start from the deals then open, with stage probabilities learnt from the deals
// closed before it (the forecast code of the server, agents/sales/forecast.cpp), against fixed
// stage weights, compared with what was won in the quarter.
//
//   backtest-forecast <folder with sales_pipeline.csv and products.csv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "agents/sales/forecast.hpp"
#include "core/clock.hpp"
#include "core/config.hpp"

using namespace de;
using agents::sales::Stages;

namespace {
constexpr std::int64_t day_ms = 86'400'000;

std::vector<std::vector<std::string>> read_csv(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::vector<std::vector<std::string>> rows;
  std::string line;
  std::getline(in, line);  // the header
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::vector<std::string> row;
    std::stringstream fields(line);
    for (std::string field; std::getline(fields, field, ',');) row.push_back(field);
    if (line.ends_with(',')) row.emplace_back();
    rows.push_back(std::move(row));
  }
  return rows;
}

std::int64_t noon(const std::string& date) { return *core::parse_timestamp(date + "T12:00:00Z"); }

struct Deal {
  store::deals::History history;
  std::string outcome;  // won, lost or empty
  std::int64_t closed = 0, value = 0;  // close date, close value (minor units)
};

// The dated deals: every one but the Prospecting ones, which have no dates in the data set.
std::vector<Deal> load(const std::string& folder) {
  std::map<std::string, std::int64_t> price;
  for (const auto& row : read_csv(folder + "/products.csv")) price[row.at(0)] = std::stoll(row.at(2)) * 100;
  price["GTXPro"] = price.at("GTX Pro");
  std::vector<Deal> deals;
  for (const auto& row : read_csv(folder + "/sales_pipeline.csv")) {
    // opportunity_id, sales_agent, product, account, deal_stage, engage_date, close_date, close_value
    if (row.at(5).empty()) continue;
    Deal deal;
    auto& d = deal.history.deal;
    d.id = row[0];
    d.owner = row[1];
    d.created_at = noon(row[5]);
    d.amount_minor = price.at(row[2]);
    deal.history.changes.push_back({std::nullopt, "engaging", std::nullopt, d.created_at});
    if (!row.at(6).empty()) {
      deal.outcome = row[4] == "Won" ? "won" : "lost";
      deal.closed = noon(row[6]);
      deal.value = std::stoll(row.at(7)) * 100;
      if (deal.outcome == "won") d.amount_minor = deal.value;
      deal.history.changes.push_back({"engaging", deal.outcome, std::nullopt, deal.closed});
    }
    deals.push_back(std::move(deal));
  }
  return deals;
}

double error_of(double forecast, double actual) { return std::fabs(forecast - actual) / actual; }
}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: backtest-forecast <folder with sales_pipeline.csv and products.csv>\n");
    return 2;
  }
  auto deals = load(argv[1]);
  std::vector<store::deals::History> histories;
  for (const auto& d : deals) histories.push_back(d.history);
  const core::Config defaults;
  Stages stages(defaults.pipeline_stages);  // the default stages, as the demo has them
  agents::sales::ForecastOptions options;
  const char* quarters[][3] = {{"2017 Q1", "2017-01-01", "2017-04-01"}, {"2017 Q2", "2017-04-01", "2017-07-01"},
                               {"2017 Q3", "2017-07-01", "2017-10-01"}, {"2017 Q4", "2017-10-01", "2018-01-01"}};
  std::printf("| quarter | open at start | open amount | learnt p(engaging) | learnt forecast | fixed forecast (0.4) "
              "| won in quarter | error learnt | error fixed | won from open deals | error learnt | error fixed |\n"
              "|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  double sum[4] = {0, 0, 0, 0};
  for (const auto& q : quarters) {
    auto start = *core::parse_timestamp(std::string(q[1]) + "T00:00:00Z");
    auto end = *core::parse_timestamp(std::string(q[2]) + "T00:00:00Z");
    auto learnt = agents::sales::learn_probabilities(histories, stages, start, options.prior_strength);
    double open_amount = 0, learnt_forecast = 0, fixed_forecast = 0, won_all = 0, won_open = 0;
    int open = 0;
    for (const auto& d : deals) {
      bool won_in_quarter = d.outcome == "won" && d.closed >= start && d.closed < end;
      if (won_in_quarter) won_all += double(d.value);
      auto at = agents::sales::deal_at(d.history, stages, start);
      if (!at || Stages::closed(at->stage)) continue;
      int rank = stages.rank(at->stage);
      ++open;
      open_amount += double(d.history.deal.amount_minor);
      learnt_forecast += double(d.history.deal.amount_minor) * learnt[std::size_t(rank - 1)].probability;
      fixed_forecast += double(d.history.deal.amount_minor) * agents::sales::fixed_weight(rank, stages.open().size());
      if (won_in_quarter) won_open += double(d.value);
    }
    double errors[4] = {error_of(learnt_forecast, won_all), error_of(fixed_forecast, won_all),
                        error_of(learnt_forecast, won_open), error_of(fixed_forecast, won_open)};
    for (int i = 0; i < 4; ++i) sum[i] += errors[i];
    std::printf("| %s | %d | %.0f | %.3f | %.0f | %.0f | %.0f | %.1f %% | %.1f %% | %.0f | %.1f %% | %.1f %% |\n", q[0], open,
                open_amount / 100, learnt[1].probability, learnt_forecast / 100, fixed_forecast / 100, won_all / 100,
                100 * errors[0], 100 * errors[1], won_open / 100, 100 * errors[2], 100 * errors[3]);
  }
  std::printf("| MAPE | | | | | | | %.1f %% | %.1f %% | | %.1f %% | %.1f %% |\n", 100 * sum[0] / 4, 100 * sum[1] / 4,
              100 * sum[2] / 4, 100 * sum[3] / 4);
  return 0;
}
