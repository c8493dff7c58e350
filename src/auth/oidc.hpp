#pragma once
// Single sign-on with OpenID Connect (docs/security.md, "Single sign-on (OIDC)"): the
// authorization code flow with PKCE (S256), state and nonce. This file holds what needs no
// network: the provider's signing keys (JWKS), ID token validation, PKCE, role mapping.
// oidc_client.hpp fetches discovery, keys and tokens.
#include <boost/json/object.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "model/model.hpp"

namespace de::auth::oidc {

// A provider's public signing keys by kid: RSA (RS256) and EC P-256 (ES256). Keys for
// encryption (`use` enc) and of other types are skipped.
class KeySet {
 public:
  struct Key;
  // Throws core::Error(bad_gateway) when `jwks` is not a JWK Set.
  static KeySet parse(std::string_view jwks);
  KeySet();
  ~KeySet();
  KeySet(KeySet&&) noexcept;
  KeySet& operator=(KeySet&&) noexcept;
  std::size_t size() const { return keys_.size(); }
  bool has(const std::string& kid) const { return keys_.contains(kid); }

  enum class Check { valid, invalid, unknown_key };
  // Whether `signature` signs `input` with the key `kid` under `alg` (RS256 or ES256; the key's
  // type, curve and declared alg must agree). Without a kid, the one key of the alg's type.
  Check verify(const std::string& kid, std::string_view alg, std::string_view input, std::string_view signature) const;

 private:
  std::map<std::string, std::shared_ptr<const Key>> keys_;  // by kid ("" when the JWK has none)
};

// What the ID token must say.
struct Expectations {
  std::string issuer;
  std::string client_id;
  std::string nonce;
  std::int64_t now_seconds = 0;
  std::int64_t leeway_seconds = 60;
};

// The token names a key the set does not hold: the provider may have rotated its keys.
struct UnknownKey : core::Error {
  explicit UnknownKey(std::string kid)
      : core::Error(core::ErrorKind::unauthorized, "the ID token is signed with an unknown key"), kid(std::move(kid)) {}
  std::string kid;
};

// The ID token's claims once its signature (RS256 or ES256 with a key of `keys`; `none`, HS*
// and any other algorithm refused), `iss`, `aud` (and `azp` when several audiences), `exp`,
// `iat`, `nbf` and `nonce` check out. Throws UnknownKey, or core::Error(unauthorized) saying
// which check failed.
boost::json::object validate_id_token(std::string_view token, const KeySet& keys, const Expectations& expected);

// PKCE (RFC 7636): the S256 challenge of a verifier.
std::string pkce_challenge(std::string_view verifier);

// The roles `claims` map to: `claim` is a claim name or a dotted path into nested objects
// (`realm_access.roles`), holding a string or an array of strings; each value found in
// `role_map` adds its role. `default_role` (may be empty) when none matched. 0: refused.
model::RoleSet map_roles(const boost::json::object& claims, std::string_view claim,
                         const std::vector<std::pair<std::string, std::string>>& role_map,
                         std::string_view default_role);

// Base64url without padding (RFC 4648, section 5) decoded; nullopt when malformed.
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace de::auth::oidc
