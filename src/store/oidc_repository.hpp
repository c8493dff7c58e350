#pragma once
// Single sign-on's tables (docs/security.md, "Single sign-on (OIDC)"): the login attempts
// between the redirect to the provider and its callback (so that any node can take the
// callback), and the provider identities (issuer + subject) linked to users.
#include <cstdint>
#include <optional>
#include <string>

#include "store/sql.hpp"

namespace de::store::oidc {

struct LoginAttempt {
  std::string nonce;
  std::string code_verifier;
  std::int64_t expires_at = 0;
};
// Stored under the state's hash; attempts that expired are deleted meanwhile.
void insert_attempt(Connection& c, const std::string& state_hash, const LoginAttempt& attempt, std::int64_t now);
// Spends the attempt: found at most once, and only before it expires.
std::optional<LoginAttempt> take_attempt(Connection& c, const std::string& state_hash, std::int64_t now);

// The user an identity is linked to.
std::optional<std::string> linked_user(Connection& c, const std::string& issuer, const std::string& subject);
void link(Connection& c, const std::string& issuer, const std::string& subject, const std::string& user_id,
          std::int64_t now);
void touch(Connection& c, const std::string& issuer, const std::string& subject, std::int64_t now);

}  // namespace de::store::oidc
