#pragma once
// The sales agent: `sales.train_lead_model` ({"model_id"} of a record made by the API, or
// {"exclude","activate"} to make one), `sales.score_lead` ({"lead_id"}: scores the stored lead
// and keeps the score; or {"attributes":{...}}: scores without storing) and
// `sales.pipeline_forecast` (the forecast of GET /api/v1/pipeline/forecast, its input
// {"by","currency","stale_days"} as that route's query) and `sales.sync_crm` ({"integration"}:
// a CRM sync run, pulling the CRM's records into leads and deals and pushing ours, answered
// when it has finished).
#include <boost/asio/io_context.hpp>

#include <memory>

#include "agents/base_agent.hpp"
#include "agents/sales/scoring.hpp"
#include "core/config.hpp"

namespace de::integrations::crm {
class SyncRunner;
}

namespace de::agents::sales {

// `sync`: the CRM sync runs and the event loop they run on (none: sales.sync_crm fails, saying so).
struct CrmSync {
  boost::asio::io_context& io;
  integrations::crm::SyncRunner& runner;
};
std::unique_ptr<BaseAgent> make_sales_agent(LeadScoring& scoring, store::Database& db, const core::Config& config,
                                            std::optional<CrmSync> sync = std::nullopt);

// Stores `lead`'s new score (unless it changed meanwhile) with the event `leads.scored`.
void store_score(store::Tx& tx, const store::leads::Lead& lead);

}  // namespace de::agents::sales
