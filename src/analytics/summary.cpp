#include "analytics/summary.hpp"

#include <boost/json.hpp>

#include "core/clock.hpp"
#include "store/campaign_repository.hpp"
#include "store/lead_repository.hpp"
#include "store/repositories.hpp"

namespace de::analytics {

namespace json = boost::json;

// The run-time percentiles cover the tasks completed in the last hour.
constexpr std::int64_t latency_window_ms = 3600 * 1000;

json::object summary(store::Connection& c) {
  auto tasks = store::tasks::count_by_status(c);
  json::object by_status;
  std::int64_t total = 0;
  for (auto status : model::task_statuses) {
    auto it = tasks.find(std::string(status));
    std::int64_t n = it == tasks.end() ? 0 : it->second;
    by_status[status] = n;
    total += n;
  }
  auto completed = by_status["completed"].as_int64(), failed = by_status["failed"].as_int64();
  json::value success_rate = completed + failed > 0 ? json::value(double(completed) / double(completed + failed))
                                                    : json::value(nullptr);
  auto latency = store::tasks::latency(c, core::now_ms() - latency_window_ms);
  auto agents = store::agents::count_by_status(c);
  json::object agents_by_status;
  for (auto status : model::agent_statuses) {
    auto it = agents.find(std::string(status));
    agents_by_status[status] = it == agents.end() ? 0 : it->second;
  }
  auto opt = [](const std::optional<double>& v) { return v ? json::value(*v) : json::value(nullptr); };
  // Every stored lead has a score (rules before any model): by method.
  auto scored = store::leads::count_by_method(c);
  std::int64_t leads_scored = 0;
  // Waiting tasks that no running agent can take, by type, with the reason (task warnings).
  json::array stalled;
  auto all_agents = store::agents::all(c);
  for (const auto& [type, waiting] : store::tasks::waiting_by_type(c)) {
    auto warnings = model::type_warnings(type, std::nullopt, all_agents);
    if (warnings.empty()) continue;
    json::object row{{"type", type}, {"waiting", waiting}, {"code", warnings[0].code}};
    row["agent_id"] = warnings[0].agent_id ? json::value(*warnings[0].agent_id) : json::value(nullptr);
    stalled.push_back(std::move(row));
  }
  for (const auto& [method, n] : scored) leads_scored += n;
  // Campaign ROI over every recorded day, in the currency with the most spend.
  auto campaign_money = store::campaigns::totals_by_currency(c);
  json::value campaign_roi = nullptr, campaign_currency = nullptr;
  if (!campaign_money.empty() && campaign_money.front().spend_minor > 0) {
    const auto& m = campaign_money.front();
    campaign_roi = double(m.revenue_minor - m.spend_minor) / double(m.spend_minor);
    campaign_currency = m.currency;
  }
  return {{"tasks_by_status", by_status},
          {"tasks_total", total},
          {"success_rate", success_rate},
          {"latency_ms", {{"p50", opt(latency.p50)}, {"p95", opt(latency.p95)}}},
          {"agents_by_status", agents_by_status},
          {"queue_depth", by_status["queued"].as_int64() + by_status["pending"].as_int64()},
          {"stalled_queue", std::move(stalled)},
          {"pipeline_value", nullptr},
          {"weighted_pipeline_value", nullptr},
          {"campaign_roi", campaign_roi},
          {"campaign_roi_currency", campaign_currency},
          {"leads_scored", leads_scored},
          {"leads_scored_by_model", scored.contains("model") ? scored.at("model") : 0}};
}

}  // namespace de::analytics
