#pragma once
// The product manager's work that needs the platform's services (the store, the AI service):
// prioritisation with a model's estimates, and stakeholder update drafts made from the event
// log. The API's routes and the agent's tasks share these coroutines (docs/product.md).
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <vector>

#include "agents/product/priority.hpp"
#include "agents/product/stakeholders.hpp"
#include "ai/service.hpp"
#include "store/database.hpp"

namespace de::integrations {
class Connectors;
}

namespace de::agents {

// What the product manager agent works with; without them it only analyses and prioritises by
// the rules. The vendor clients and the master key that unseals the integrations' credentials
// send stakeholder updates and publish requirements (publishing.hpp).
struct ProductServices {
  store::Database& db;
  ai::AiService* ai = nullptr;
  integrations::Connectors* connectors = nullptr;
  std::string master_key;
};

// True when a provider other than the built-in offline one is configured: only a model's
// estimates or wording are worth asking for.
bool has_model(const ai::AiService* ai);

// Asks a real model for the kind and PROMISE class of each analysed requirement, and for a
// rewrite of those with ambiguities (the first 400, 40 to a call, answers checked by a JSON
// Schema naming the ids it was given), and takes its classes over the classifier's. Answers the
// error of a failed call (the classifier's answers then stand), empty otherwise; without a real
// model it does nothing.
boost::asio::awaitable<std::string> review_with_model(ai::AiService* ai,
                                                      std::vector<product::AnalyzedRequirement>& items);

// analysis_json, with `model_error` when a call to the model failed.
boost::json::object analysis_answer(const std::vector<product::AnalyzedRequirement>& items,
                                    const std::string& model_error);

// Prioritises analysed requirements, classified by a model first when one is configured: the
// rules, then a model's estimates when a real model answers (validated by a JSON Schema; a
// failed call leaves the rules' values and says why in `model_error`), then the person's
// values (`given`, one per item). The answer of prioritized_json.
boost::asio::awaitable<boost::json::object> prioritize_requirements(ai::AiService* ai,
                                                                     std::vector<product::AnalyzedRequirement> items,
                                                                     const std::vector<product::PriorityValues>& given);

// {"stakeholder_ids"?, "since"?, "priorities"?}: whom to write to (default: everyone), from
// which time (RFC 3339; default: seven days ago), and a product.prioritize output to report.
struct UpdateRequest {
  std::optional<std::vector<std::string>> stakeholder_ids;
  std::int64_t since = 0;
  std::vector<product::Change> extra;  // from `priorities`
};
UpdateRequest read_update_request(const boost::json::object& body, std::int64_t now);

// Drafts one update per stakeholder that recent events concern, stores each as a draft (event
// `stakeholders.update_drafted`) and answers {"drafts":[...],"skipped":[{"stakeholder_id","reason"}]}.
// 404 when a named stakeholder does not exist.
boost::asio::awaitable<boost::json::object> draft_stakeholder_updates(store::Database& db, ai::AiService* ai,
                                                                      const UpdateRequest& request,
                                                                      const std::optional<std::string>& created_by);

}  // namespace de::agents
