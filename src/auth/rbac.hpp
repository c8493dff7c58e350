#pragma once
// Role-based access: which of the five roles may do what (docs/api.md, "Roles and permissions").
#include <optional>
#include <string>

#include "model/model.hpp"

namespace de::auth {

enum class Permission {
  authenticated,     // any role: /users/me, own password
  read,              // agents, tasks, analytics, messages, workflows
  manage_agents,     // create, update, delete agents
  control_agents,    // start, pause, stop, execute
  run_tasks,         // create, batch, cancel, retry tasks
  record_metrics,
  manage_workflows,  // create, update, delete workflows
  manage_prompts,    // create prompt templates, their versions, which is active
  manage_deals,      // create, update (move between stages), delete deals
  manage_leads,      // create, import, update, delete leads; train and activate lead models
  manage_content,    // generate marketing content, record its A/B results
  manage_brand_voice,  // change the brand voice every piece of content is written in
  manage_campaigns,  // create, update (budgets too), delete campaigns; record and import their results
  manage_requirements,  // save, re-analyse, edit, prioritise and delete requirement analyses
  manage_stakeholders,  // create, update, delete stakeholders; draft their updates
  manage_integrations,  // connect vendors (credentials), test them, run their actions
  admin,             // users and API keys
  agent_protocol,    // /ws/agents and task results
};

bool allowed(model::RoleSet roles, Permission permission);

// Who is calling: from an access token or an API key.
struct Principal {
  std::string user_id;
  model::RoleSet roles = 0;
  std::optional<std::string> api_key_id;
  std::optional<int> rate_limit_per_minute;  // the API key's own limit (0: none); unset: the server's
  bool has(model::Role role) const { return roles & model::role_bit(role); }
  bool may(Permission permission) const { return allowed(roles, permission); }
};

}  // namespace de::auth
