#pragma once
// The sales agent: runs `sales.pipeline_forecast` (the forecast of GET /api/v1/pipeline/forecast,
// its input {"by","currency","stale_days"} as that route's query). Its other task types
// (sales.score_lead, sales.train_lead_model) fail as not implemented yet.
#include <memory>

#include "agents/base_agent.hpp"
#include "core/config.hpp"
#include "store/database.hpp"

namespace de::agents::sales {

std::unique_ptr<BaseAgent> make_sales_agent(store::Database& db, const core::Config& config);

}  // namespace de::agents::sales
