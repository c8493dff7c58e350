#pragma once
// The marketing agent (docs/marketing.md): `marketing.generate_content` (input as POST
// /api/v1/content; output the stored piece), `marketing.campaign_report` ({"days",
// "campaign_ids", "send"}: the report computed from the daily results, phrased by a model when
// one is configured, sent by email or Slack when `send` says where) and
// `marketing.optimize_budget` (the input of POST /api/v1/campaigns/optimize).
#include <boost/asio/io_context.hpp>

#include <memory>
#include <string>

#include "agents/base_agent.hpp"
#include "ai/service.hpp"
#include "store/database.hpp"

namespace de::integrations {
class Connectors;
}

namespace de::agents::marketing {

// `io` runs the AI calls and the vendor calls (the agent's own thread waits for them); the
// vendor clients and the master key send reports (none: a report with `send` fails, saying so).
std::unique_ptr<BaseAgent> make_marketing_agent(boost::asio::io_context& io, store::Database& db, ai::AiService& ai,
                                                integrations::Connectors* connectors = nullptr, std::string master_key = {});

}  // namespace de::agents::marketing
