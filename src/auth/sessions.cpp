#include "auth/sessions.hpp"

#include "auth/crypto.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"

namespace de::auth {

TokenPair issue_tokens(store::Connection& c, const model::User& user, const JwtCodec& jwt,
                       int refresh_ttl_seconds, std::optional<std::string> family_id) {
  std::string refresh = "rt_" + random_token(32);
  store::refresh_tokens::Record record{core::new_id(), user.id,
                                       family_id.value_or(core::new_id()),
                                       core::now_ms() + std::int64_t(refresh_ttl_seconds) * 1000,
                                       std::nullopt, std::nullopt};
  store::refresh_tokens::insert(c, record, sha256_hex(refresh));
  return {jwt.issue(user.id, user.roles), std::move(refresh), jwt.ttl_seconds()};
}

RefreshOutcome rotate_refresh_token(store::Connection& c, const std::string& refresh_token,
                                    const JwtCodec& jwt, int refresh_ttl_seconds) {
  auto record = store::refresh_tokens::find_by_hash(c, sha256_hex(refresh_token));
  if (!record || record->revoked_at || record->expires_at <= core::now_ms()) return {};
  // find_by_hash locks the row: a refresh racing with this one reads it spent after we commit.
  if (record->used_at) {
    store::refresh_tokens::revoke_family(c, record->family_id);
    return {RefreshStatus::reused, std::nullopt, std::nullopt, record->user_id};
  }
  auto user = store::users::find(c, record->user_id);
  if (!user || !user->is_active) {
    store::refresh_tokens::revoke_family(c, record->family_id);
    return {};
  }
  store::refresh_tokens::mark_used(c, record->id);
  auto tokens = issue_tokens(c, *user, jwt, refresh_ttl_seconds, record->family_id);
  return {RefreshStatus::ok, std::move(tokens), std::move(user), record->user_id};
}

std::optional<std::string> revoke_refresh_token(store::Connection& c, const std::string& refresh_token) {
  auto record = store::refresh_tokens::find_by_hash(c, sha256_hex(refresh_token));
  if (!record) return std::nullopt;
  store::refresh_tokens::revoke_family(c, record->family_id);
  return record->user_id;
}

NewApiKey create_api_key(store::Connection& c, const std::string& user_id, const std::string& name,
                         model::RoleSet roles, std::optional<int> rate_limit_per_minute) {
  std::string key = "de_" + random_token(32);
  store::api_keys::Record record{core::new_id(), user_id, name, key.substr(0, 10), roles,
                                 core::now_ms(), std::nullopt, rate_limit_per_minute};
  store::api_keys::insert(c, record, sha256_hex(key));
  return {std::move(record), std::move(key)};
}

std::optional<store::api_keys::Record> find_api_key(store::Connection& c, const std::string& key) {
  if (!key.starts_with("de_") || key.size() > 200) return std::nullopt;
  auto record = store::api_keys::find_by_hash(c, sha256_hex(key));
  // A key acts for its owner: a deactivated owner's keys stop working with their logins.
  if (!record) return std::nullopt;
  auto owner = store::users::find(c, record->user_id);
  if (!owner || !owner->is_active) return std::nullopt;
  return record;
}

}  // namespace de::auth
