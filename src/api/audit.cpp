#include "api/audit.hpp"

#include "core/clock.hpp"

namespace de::api {

store::audit::Entry audit_entry(const Request& request, std::string action, std::string_view target_type,
                                std::string_view target_id, json::object details) {
  store::audit::Entry entry;
  entry.at = core::now_ms();
  entry.actor_type = "anonymous";
  if (!request.remote_address.empty()) entry.actor_ip = request.remote_address;
  if (!request.request_id.empty()) entry.request_id = request.request_id;
  entry.action = std::move(action);
  if (!target_type.empty()) entry.target_type = std::string(target_type);
  if (!target_id.empty()) entry.target_id = std::string(target_id);
  entry.details = std::move(details);
  return entry;
}

json::array roles_json(model::RoleSet roles) {
  json::array out;
  for (const auto& role : model::role_list(roles)) out.emplace_back(role);
  return out;
}

void act_as(store::audit::Entry& entry, const model::User& user) {
  entry.actor_type = "user";
  entry.actor_id = user.id;
  entry.actor_email = user.email;
}

void audit(store::Tx& tx, const Request& request, const auth::Principal& who, std::string action,
           std::string_view target_type, std::string_view target_id, json::object details) {
  auto entry = audit_entry(request, std::move(action), target_type, target_id, std::move(details));
  entry.actor_type = who.api_key_id ? "api_key" : "user";
  entry.actor_id = who.user_id;
  entry.api_key_id = who.api_key_id;
  if (auto user = store::users::find(tx.connection, who.user_id)) entry.actor_email = user->email;
  store::audit::append(tx.connection, entry);
}

}  // namespace de::api
