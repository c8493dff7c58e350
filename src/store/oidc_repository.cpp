#include "store/oidc_repository.hpp"

namespace de::store::oidc {

void insert_attempt(Connection& c, const std::string& state_hash, const LoginAttempt& attempt, std::int64_t now) {
  c.query("DELETE FROM oidc_logins WHERE expires_at <= ?", {now});
  c.query("INSERT INTO oidc_logins (state_hash, nonce, code_verifier, expires_at) VALUES (?, ?, ?, ?)",
          {std::string_view(state_hash), std::string_view(attempt.nonce), std::string_view(attempt.code_verifier),
           attempt.expires_at});
}

std::optional<LoginAttempt> take_attempt(Connection& c, const std::string& state_hash, std::int64_t now) {
  auto r = c.query("SELECT nonce, code_verifier, expires_at FROM oidc_logins WHERE state_hash = ?",
                   {std::string_view(state_hash)});
  if (r.rows.empty()) return std::nullopt;
  // Deleted in the same transaction: a second callback with this state finds nothing.
  if (c.query("DELETE FROM oidc_logins WHERE state_hash = ?", {std::string_view(state_hash)}).affected != 1)
    return std::nullopt;
  LoginAttempt attempt{r.rows[0].text(0), r.rows[0].text(1), r.rows[0].integer(2)};
  if (attempt.expires_at <= now) return std::nullopt;
  return attempt;
}

std::optional<std::string> linked_user(Connection& c, const std::string& issuer, const std::string& subject) {
  auto r = c.query("SELECT user_id FROM oidc_identities WHERE issuer = ? AND subject = ?",
                   {std::string_view(issuer), std::string_view(subject)});
  if (r.rows.empty()) return std::nullopt;
  return r.rows[0].text(0);
}

void link(Connection& c, const std::string& issuer, const std::string& subject, const std::string& user_id,
          std::int64_t now) {
  c.query("INSERT INTO oidc_identities (issuer, subject, user_id, created_at, last_login_at) VALUES (?, ?, ?, ?, ?)",
          {std::string_view(issuer), std::string_view(subject), std::string_view(user_id), now, now});
}

void touch(Connection& c, const std::string& issuer, const std::string& subject, std::int64_t now) {
  c.query("UPDATE oidc_identities SET last_login_at = ? WHERE issuer = ? AND subject = ?",
          {now, std::string_view(issuer), std::string_view(subject)});
}

}  // namespace de::store::oidc
