#pragma once
// The sales agent: `sales.train_lead_model` ({"model_id"} of a record made by the API, or
// {"exclude","activate"} to make one), `sales.score_lead` ({"lead_id"}: scores the stored lead
// and keeps the score; or {"attributes":{...}}: scores without storing) and
// `sales.pipeline_forecast` (the forecast of GET /api/v1/pipeline/forecast, its input
// {"by","currency","stale_days"} as that route's query).
#include <memory>

#include "agents/base_agent.hpp"
#include "agents/sales/scoring.hpp"
#include "core/config.hpp"

namespace de::agents::sales {

std::unique_ptr<BaseAgent> make_sales_agent(LeadScoring& scoring, store::Database& db, const core::Config& config);

// Stores `lead`'s new score (unless it changed meanwhile) with the event `leads.scored`.
void store_score(store::Tx& tx, const store::leads::Lead& lead);

}  // namespace de::agents::sales
