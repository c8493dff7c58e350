#pragma once
// The marketing agent (docs/marketing.md): `marketing.campaign_report` ({"days",
// "campaign_ids"}: the report computed from the daily results, phrased by a model when one is
// configured) and `marketing.optimize_budget` (the input of POST /api/v1/campaigns/optimize).
// `marketing.generate_content` is not implemented here yet.
#include <boost/asio/any_io_executor.hpp>

#include <memory>

#include "agents/base_agent.hpp"
#include "ai/service.hpp"
#include "store/database.hpp"

namespace de::agents::marketing {

// `ai` (may be null: no phrasing) runs its calls on `executor`.
std::unique_ptr<BaseAgent> make_marketing_agent(store::Database& db, ai::AiService* ai,
                                                boost::asio::any_io_executor executor);

}  // namespace de::agents::marketing
