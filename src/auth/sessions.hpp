#pragma once
// Sessions and keys over the store: refresh-token rotation with reuse detection, API keys.
// Functions take the connection of the caller's transaction.
#include <optional>
#include <string>

#include "auth/jwt.hpp"
#include "auth/rbac.hpp"
#include "store/repositories.hpp"

namespace de::auth {

struct TokenPair {
  std::string access_token;
  std::string refresh_token;
  int expires_in = 0;
};

// A new refresh-token family (login), or the next token of `family_id` (refresh).
TokenPair issue_tokens(store::Connection& c, const model::User& user, const JwtCodec& jwt,
                       int refresh_ttl_seconds, std::optional<std::string> family_id = {});

enum class RefreshStatus { ok, invalid, reused };
struct RefreshOutcome {
  RefreshStatus status = RefreshStatus::invalid;
  std::optional<TokenPair> tokens;
  std::optional<model::User> user;
  std::optional<std::string> user_id;  // whose token it was (also when reused)
};
// Rotates: the presented token is spent. Presenting a spent token revokes its whole family.
RefreshOutcome rotate_refresh_token(store::Connection& c, const std::string& refresh_token,
                                    const JwtCodec& jwt, int refresh_ttl_seconds);
// Revokes the token's family; unknown tokens are ignored. Whose token it was, when known.
std::optional<std::string> revoke_refresh_token(store::Connection& c, const std::string& refresh_token);

struct NewApiKey {
  store::api_keys::Record record;
  std::string key;  // shown once
};
NewApiKey create_api_key(store::Connection& c, const std::string& user_id, const std::string& name,
                         model::RoleSet roles, std::optional<int> rate_limit_per_minute = std::nullopt);
// The key's record, when the key exists and its owner is active.
std::optional<store::api_keys::Record> find_api_key(store::Connection& c, const std::string& key);

}  // namespace de::auth
