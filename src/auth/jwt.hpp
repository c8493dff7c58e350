#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "model/model.hpp"

namespace de::auth {

struct AccessClaims {
  std::string user_id;
  model::RoleSet roles = 0;
  std::int64_t expires_at = 0;  // seconds since the epoch
};

// HS256 access tokens (libjwt): iss, aud, sub, roles, iat, nbf, exp. One key: kid, jku, x5u are never read.
class JwtCodec {
 public:
  JwtCodec(std::string secret, int ttl_seconds);
  std::string issue(const std::string& user_id, model::RoleSet roles) const;
  // nullopt when tampered, expired, not yet valid, not HS256, of another iss or aud, over 4 KiB or malformed.
  // Verified tokens are remembered until they expire: a client's requests do not decode and HMAC again.
  std::optional<AccessClaims> verify(const std::string& token) const;
  int ttl_seconds() const { return ttl_seconds_; }

 private:
  std::optional<AccessClaims> decode(const std::string& token) const;

  struct Verified;
  std::string secret_;
  int ttl_seconds_;
  std::shared_ptr<Verified> verified_;
};

}  // namespace de::auth
