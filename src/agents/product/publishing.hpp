#pragma once
// The product manager's work that reaches other systems through the integrations
// (docs/product.md, "Sending" and "Publishing"): a stakeholder update sent by email or Slack,
// and a saved requirement analysis published as Jira issues and a Confluence page. The API's
// routes and the agent's tasks (and so the assistants' tools) share these coroutines.
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <functional>
#include <optional>
#include <string>

#include "agents/product/product_services.hpp"

namespace de::agents {

// {"update_id", "integration"?} (the task's input; the route takes the id from its path).
struct SendRequest {
  std::string update_id;
  std::optional<std::string> integration;  // an id or a name; default: the only active one of the channel's type
};
SendRequest read_send_request(const boost::json::object& input);

// Sends the draft by its stakeholder's channel and marks it sent (event
// stakeholders.update_sent; `also` adds its own writes to that transaction, the route's audit
// entry). Answers the update. Throws not_found, conflict for what cannot be sent (said why),
// validation for a wrong integration, bad_gateway for the vendor's refusal.
boost::asio::awaitable<boost::json::object> send_stakeholder_update(const ProductServices& services,
                                                                    const SendRequest& request,
                                                                    std::function<void(store::Tx&)> also = {});

// {"analysis_id","version"?,"jira"?,"project_key"?,"confluence"?,"space_id"?,"parent_id"?}: a
// Jira issue per requirement of the saved analysis's version (default: the latest) and one
// Confluence page listing them, through the integrations named (ids or names; at least one).
// Answers {"analysis_id","version","issues":[{"requirement","key","url"}],"page"?,"stopped"?}:
// the first vendor refusal stops the rest and is reported in `stopped` with what was made
// before it, so a task is not retried into duplicates.
boost::asio::awaitable<boost::json::object> publish_requirements(const ProductServices& services,
                                                                 const boost::json::object& input);

}  // namespace de::agents
