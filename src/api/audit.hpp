#pragma once
// Writing the audit log from the routes (docs/security.md, "Audit log"). An audited change
// records its entry inside its own write job, so both commit or roll back together.
#include <string>
#include <string_view>

#include "api/context.hpp"
#include "store/audit_repository.hpp"

namespace de::api {

// An entry from `request` (its address and request id) at this instant; the actor is left to
// the caller (anonymous until set).
store::audit::Entry audit_entry(const Request& request, std::string action, std::string_view target_type,
                                std::string_view target_id, json::object details = {});

// Roles as their names, for an entry's details.
json::array roles_json(model::RoleSet roles);

// Sets the entry's actor to `user` (their id and email as they are now).
void act_as(store::audit::Entry& entry, const model::User& user);

// Appends `action` on the target by `who` (a user, or a user's API key) to the audit log, in
// the job's transaction.
void audit(store::Tx& tx, const Request& request, const auth::Principal& who, std::string action,
           std::string_view target_type, std::string_view target_id, json::object details = {});

}  // namespace de::api
