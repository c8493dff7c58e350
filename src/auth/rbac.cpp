#include "auth/rbac.hpp"

namespace de::auth {

namespace {
using model::Role;
using model::role_bit;

model::RoleSet roles_for(Permission permission) {
  const auto admin = role_bit(Role::admin), manager = role_bit(Role::manager),
             operator_ = role_bit(Role::operator_), viewer = role_bit(Role::viewer),
             agent = role_bit(Role::agent);
  switch (permission) {
    case Permission::authenticated: return admin | manager | operator_ | viewer | agent;
    case Permission::read: return admin | manager | operator_ | viewer;
    case Permission::manage_agents: return admin | manager;
    case Permission::control_agents: return admin | manager | operator_;
    case Permission::run_tasks: return admin | manager | operator_;
    case Permission::record_metrics: return admin | manager;
    case Permission::manage_workflows: return admin | manager;
    case Permission::manage_prompts: return admin | manager;
    case Permission::manage_deals: return admin | manager | operator_;
    case Permission::manage_leads: return admin | manager;
    case Permission::manage_content: return admin | manager | operator_;
    case Permission::manage_brand_voice: return admin | manager;
    case Permission::manage_campaigns: return admin | manager | operator_;
    case Permission::manage_requirements: return admin | manager | operator_;
    case Permission::manage_stakeholders: return admin | manager;
    case Permission::manage_integrations: return admin | manager;
    case Permission::admin: return admin;
    case Permission::agent_protocol: return admin | agent;
  }
  return 0;
}
}  // namespace

bool allowed(model::RoleSet roles, Permission permission) {
  return (roles & roles_for(permission)) != 0;
}

}  // namespace de::auth
