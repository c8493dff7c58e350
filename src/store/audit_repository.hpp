#pragma once
// The audit log (docs/security.md, "Audit log"): who did what, from where, with what outcome.
// Append-only: rows are added in the transaction of the change they record, and never changed
// or deleted (the database refuses both: migration 20).
#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <vector>

#include "store/sql.hpp"

namespace de::store::audit {

struct Entry {
  std::int64_t id = 0;  // assigned by the database, increasing
  std::int64_t at = 0;  // ms since the epoch
  std::string actor_type;  // user, api_key (a user's key), system, anonymous
  std::optional<std::string> actor_id;     // the user (for an API key, its owner)
  std::optional<std::string> actor_email;  // as it was then
  std::optional<std::string> api_key_id;
  std::optional<std::string> actor_ip, request_id;
  std::string action;  // dotted: auth.login_failed, users.role_changed, leads.deleted
  std::optional<std::string> target_type, target_id;
  std::string outcome = "success";  // success or failure
  boost::json::object details;       // small, never a secret
};

void append(Connection& c, const Entry& entry);
// An entry made by the platform itself (the command line, the first admin at start-up), now.
Entry by_system(std::string action, std::string target_type, std::string target_id, boost::json::object details = {});

struct Filter {
  std::optional<std::string> actor;          // a user id, an email or an API key id
  std::optional<std::string> action;         // exactly
  std::optional<std::string> action_prefix;  // "users." or "auth.login"
  std::optional<std::string> target_type, target_id;
  std::optional<std::int64_t> since, until;  // at >= since, at < until (ms)
};

// Newest first, below `before_id` when set: at most `limit` (+1, so the caller knows more follow).
std::vector<Entry> newest(Connection& c, const Filter& filter, std::optional<std::int64_t> before_id,
                          std::int64_t limit);
// Oldest first, above `after_id` when set (exports that continue where the last one ended).
std::vector<Entry> oldest(Connection& c, const Filter& filter, std::optional<std::int64_t> after_id,
                          std::int64_t limit);

boost::json::object to_json(const Entry& entry);

}  // namespace de::store::audit
