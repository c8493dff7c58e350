#include "auth/jwt.hpp"

#include <jwt.h>

#include <cerrno>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <unordered_map>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/json.hpp"

namespace de::auth {

namespace {
// The issuer and audience of every access token: a token made for another service, or by one,
// under a shared secret is not one of ours.
constexpr const char* jwt_issuer = "digital-enterprise";
constexpr const char* jwt_audience = "digital-enterprise-api";
// Clock skew allowed between the nodes of a cluster (iat, nbf).
constexpr std::int64_t jwt_leeway_seconds = 60;

struct JwtFree {
  void operator()(jwt_t* j) const { jwt_free(j); }
};
using JwtPtr = std::unique_ptr<jwt_t, JwtFree>;
struct CharFree {
  void operator()(char* p) const { std::free(p); }
};
using CharPtr = std::unique_ptr<char, CharFree>;

bool same_text(const char* claim, std::string_view expected) { return claim && claim == expected; }

// A NumericDate claim (seconds since the epoch); nullopt when absent or not an integer.
std::optional<std::int64_t> time_claim(jwt_t* jwt, const char* name) {
  errno = 0;
  long value = jwt_get_grant_int(jwt, name);
  if (errno != 0) return std::nullopt;
  return std::int64_t(value);
}
}  // namespace

// Bounded: when full it starts over, which costs one decode per active token.
struct JwtCodec::Verified {
  static constexpr std::size_t capacity = 4096;
  std::mutex mutex;
  std::unordered_map<std::string, AccessClaims> claims;
};

JwtCodec::JwtCodec(std::string secret, int ttl_seconds)
    : secret_(std::move(secret)), ttl_seconds_(ttl_seconds), verified_(std::make_shared<Verified>()) {}

std::string JwtCodec::issue(const std::string& user_id, model::RoleSet roles) const {
  jwt_t* raw = nullptr;
  if (jwt_new(&raw) != 0) throw core::Error(core::ErrorKind::internal, "jwt_new failed");
  JwtPtr jwt(raw);
  auto now = core::now_ms() / 1000;
  boost::json::array role_names;
  for (auto& r : model::role_list(roles)) role_names.emplace_back(r);
  std::string grants = core::to_text(boost::json::object{{"roles", role_names}});
  if (jwt_add_grant(jwt.get(), "iss", jwt_issuer) != 0 || jwt_add_grant(jwt.get(), "aud", jwt_audience) != 0 ||
      jwt_add_grant(jwt.get(), "sub", user_id.c_str()) != 0 ||
      jwt_add_grant_int(jwt.get(), "iat", now) != 0 || jwt_add_grant_int(jwt.get(), "nbf", now) != 0 ||
      jwt_add_grant_int(jwt.get(), "exp", now + ttl_seconds_) != 0 ||
      jwt_add_grants_json(jwt.get(), grants.c_str()) != 0 ||
      jwt_set_alg(jwt.get(), JWT_ALG_HS256, reinterpret_cast<const unsigned char*>(secret_.data()),
                  int(secret_.size())) != 0)
    throw core::Error(core::ErrorKind::internal, "cannot build an access token");
  CharPtr encoded(jwt_encode_str(jwt.get()));
  if (!encoded) throw core::Error(core::ErrorKind::internal, "cannot sign an access token");
  return encoded.get();
}

std::optional<AccessClaims> JwtCodec::verify(const std::string& token) const {
  if (token.empty() || token.size() > 4096) return std::nullopt;
  auto now = core::now_ms() / 1000;
  {
    std::lock_guard lock(verified_->mutex);
    auto it = verified_->claims.find(token);
    if (it != verified_->claims.end()) {
      if (it->second.expires_at > now) return it->second;
      verified_->claims.erase(it);
      return std::nullopt;
    }
  }
  auto claims = decode(token);
  if (claims) {
    std::lock_guard lock(verified_->mutex);
    if (verified_->claims.size() >= Verified::capacity) verified_->claims.clear();
    verified_->claims.emplace(token, *claims);
  }
  return claims;
}

std::optional<AccessClaims> JwtCodec::decode(const std::string& token) const {
  jwt_t* raw = nullptr;
  if (jwt_decode(&raw, token.c_str(), reinterpret_cast<const unsigned char*>(secret_.data()),
                 int(secret_.size())) != 0)
    return std::nullopt;
  JwtPtr jwt(raw);
  if (jwt_get_alg(jwt.get()) != JWT_ALG_HS256) return std::nullopt;
  auto now = core::now_ms() / 1000;
  if (!same_text(jwt_get_grant(jwt.get(), "iss"), jwt_issuer) ||
      !same_text(jwt_get_grant(jwt.get(), "aud"), jwt_audience))
    return std::nullopt;
  AccessClaims claims;
  const char* sub = jwt_get_grant(jwt.get(), "sub");
  if (!sub || !*sub) return std::nullopt;
  claims.user_id = sub;
  auto expires_at = time_claim(jwt.get(), "exp");
  if (!expires_at || *expires_at <= now) return std::nullopt;
  claims.expires_at = *expires_at;
  auto issued_at = time_claim(jwt.get(), "iat"), not_before = time_claim(jwt.get(), "nbf");
  if (!issued_at || *issued_at > now + jwt_leeway_seconds) return std::nullopt;
  if (not_before && *not_before > now + jwt_leeway_seconds) return std::nullopt;
  CharPtr roles_json(jwt_get_grants_json(jwt.get(), "roles"));
  if (!roles_json) return std::nullopt;
  auto roles = core::parse_stored(roles_json.get(), nullptr);
  if (!roles.is_array()) return std::nullopt;
  for (const auto& r : roles.get_array())
    if (r.is_string())
      if (auto role = model::parse_role(r.get_string())) claims.roles |= model::role_bit(*role);
  return claims;
}

}  // namespace de::auth
