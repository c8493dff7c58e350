#include "auth/oidc.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <sodium.h>

#include <boost/json/parse.hpp>

#include <algorithm>
#include <cmath>

#include "auth/crypto.hpp"
#include "core/json.hpp"

namespace de::auth::oidc {

namespace json = boost::json;

namespace {
template <class T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using ParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, Deleter<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>>;
using ParamPtr = std::unique_ptr<OSSL_PARAM, Deleter<OSSL_PARAM, OSSL_PARAM_free>>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, Deleter<ECDSA_SIG, ECDSA_SIG_free>>;

constexpr int min_rsa_bits = 2048;
constexpr std::size_t max_token_size = 16 * 1024;

core::Error refused(std::string detail) { return core::Error(core::ErrorKind::unauthorized, std::move(detail)); }

BnPtr big_number(const std::string& bytes) {
  return BnPtr(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()), int(bytes.size()), nullptr));
}

std::string_view string_member(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string_view(v->get_string()) : std::string_view();
}

PkeyPtr public_key(const char* type, OSSL_PARAM_BLD* builder) {
  ParamPtr params(OSSL_PARAM_BLD_to_param(builder));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* key = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1)
    return nullptr;
  return PkeyPtr(key);
}

PkeyPtr rsa_key(const json::object& jwk) {
  auto n = base64url_decode(string_member(jwk, "n")), e = base64url_decode(string_member(jwk, "e"));
  if (!n || !e || n->empty() || e->empty()) return nullptr;
  auto modulus = big_number(*n), exponent = big_number(*e);
  ParamBldPtr builder(OSSL_PARAM_BLD_new());
  if (!modulus || !exponent || !builder || !OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N, modulus.get()) ||
      !OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E, exponent.get()))
    return nullptr;
  auto key = public_key("RSA", builder.get());
  if (key && EVP_PKEY_get_bits(key.get()) < min_rsa_bits) return nullptr;  // too weak to trust
  return key;
}

PkeyPtr p256_key(const json::object& jwk) {
  if (string_member(jwk, "crv") != "P-256") return nullptr;
  auto x = base64url_decode(string_member(jwk, "x")), y = base64url_decode(string_member(jwk, "y"));
  if (!x || !y || x->size() != 32 || y->size() != 32) return nullptr;
  std::string point = "\x04" + *x + *y;  // uncompressed point
  ParamBldPtr builder(OSSL_PARAM_BLD_new());
  if (!builder || !OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
      !OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()))
    return nullptr;
  return public_key("EC", builder.get());  // fails for a point off the curve
}

// JWS's ES256 signature is r || s (32 bytes each); OpenSSL verifies DER.
std::optional<std::string> ecdsa_der(std::string_view signature) {
  if (signature.size() != 64) return std::nullopt;
  EcdsaSigPtr sig(ECDSA_SIG_new());
  BnPtr r = big_number(std::string(signature.substr(0, 32))), s = big_number(std::string(signature.substr(32)));
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) return std::nullopt;
  r.release();  // owned by sig now
  s.release();
  unsigned char* der = nullptr;
  int size = i2d_ECDSA_SIG(sig.get(), &der);
  if (size <= 0) return std::nullopt;
  std::string out(reinterpret_cast<char*>(der), std::size_t(size));
  OPENSSL_free(der);
  return out;
}

// A NumericDate claim (seconds); nullopt when absent, throws when not a number.
std::optional<std::int64_t> numeric_date(const json::object& claims, std::string_view name) {
  auto* v = claims.if_contains(name);
  if (!v) return std::nullopt;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64() && v->get_uint64() < std::uint64_t(INT64_MAX)) return std::int64_t(v->get_uint64());
  // Seconds since the epoch; a double out of the int64 range (1e300) would be undefined to convert.
  if (v->is_double() && std::abs(v->get_double()) < 9.0e18) return std::int64_t(v->get_double());
  throw refused(std::string("the ID token's ") + std::string(name) + " is not a number");
}

json::object json_part(std::string_view encoded, std::string_view what) {
  auto text = base64url_decode(encoded);
  if (!text) throw refused(std::string("the ID token's ") + std::string(what) + " is not base64url");
  boost::system::error_code ec;
  auto value = json::parse(*text, ec);
  if (ec || !value.is_object()) throw refused(std::string("the ID token's ") + std::string(what) + " is not a JSON object");
  return std::move(value.get_object());
}
}  // namespace

struct KeySet::Key {
  std::string kty;  // RSA or EC
  std::string alg;  // the JWK's declared alg, empty when none
  PkeyPtr pkey;
};

KeySet::KeySet() = default;
KeySet::~KeySet() = default;
KeySet::KeySet(KeySet&&) noexcept = default;
KeySet& KeySet::operator=(KeySet&&) noexcept = default;

KeySet KeySet::parse(std::string_view jwks) {
  boost::system::error_code ec;
  auto value = json::parse(jwks, ec);
  auto* keys = !ec && value.is_object() ? value.get_object().if_contains("keys") : nullptr;
  if (!keys || !keys->is_array())
    throw core::Error(core::ErrorKind::bad_gateway, "the identity provider's JWKS is not a JWK Set");
  KeySet set;
  for (const auto& item : keys->get_array()) {
    if (!item.is_object()) continue;
    const auto& jwk = item.get_object();
    auto use = string_member(jwk, "use");
    if (!use.empty() && use != "sig") continue;
    auto kty = string_member(jwk, "kty");
    PkeyPtr pkey = kty == "RSA" ? rsa_key(jwk) : kty == "EC" ? p256_key(jwk) : nullptr;
    if (!pkey) continue;
    auto key = std::make_shared<Key>(Key{std::string(kty), std::string(string_member(jwk, "alg")), std::move(pkey)});
    set.keys_.emplace(std::string(string_member(jwk, "kid")), std::move(key));
  }
  return set;
}

KeySet::Check KeySet::verify(const std::string& kid, std::string_view alg, std::string_view input,
                             std::string_view signature) const {
  std::string_view kty = alg == "RS256" ? "RSA" : alg == "ES256" ? "EC" : "";
  if (kty.empty()) return Check::invalid;
  const Key* key = nullptr;
  if (auto it = keys_.find(kid); it != keys_.end()) {
    key = it->second.get();
  } else if (kid.empty()) {  // no kid: only unambiguous when one key of that type is published
    for (const auto& [_, candidate] : keys_) {
      if (candidate->kty != kty) continue;
      if (key) return Check::invalid;
      key = candidate.get();
    }
  }
  if (!key) return Check::unknown_key;
  if (key->kty != kty || (!key->alg.empty() && key->alg != alg)) return Check::invalid;
  std::string der;
  if (kty == "EC") {
    auto converted = ecdsa_der(signature);
    if (!converted) return Check::invalid;
    der = std::move(*converted);
    signature = der;
  }
  MdCtxPtr md(EVP_MD_CTX_new());
  if (!md || EVP_DigestVerifyInit(md.get(), nullptr, EVP_sha256(), nullptr, key->pkey.get()) != 1) return Check::invalid;
  bool ok = EVP_DigestVerify(md.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                             reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
  return ok ? Check::valid : Check::invalid;
}

json::object validate_id_token(std::string_view token, const KeySet& keys, const Expectations& expected) {
  if (token.size() > max_token_size) throw refused("the ID token is too large");
  auto first = token.find('.'), second = token.find('.', first == token.npos ? first : first + 1);
  if (first == token.npos || second == token.npos || token.find('.', second + 1) != token.npos)
    throw refused("the ID token is not a signed JWT (three parts)");
  auto header = json_part(token.substr(0, first), "header");
  auto alg = string_member(header, "alg");
  if (alg != "RS256" && alg != "ES256")
    throw refused("the ID token's algorithm " + core::quoted(alg) + " is not accepted (RS256 or ES256)");
  auto signature = base64url_decode(token.substr(second + 1));
  if (!signature) throw refused("the ID token's signature is not base64url");
  std::string kid(string_member(header, "kid"));
  switch (keys.verify(kid, alg, token.substr(0, second), *signature)) {
    case KeySet::Check::unknown_key: throw UnknownKey(kid);
    case KeySet::Check::invalid: throw refused("the ID token's signature does not verify");
    case KeySet::Check::valid: break;
  }
  auto claims = json_part(token.substr(first + 1, second - first - 1), "payload");
  if (string_member(claims, "iss") != expected.issuer) throw refused("the ID token's issuer is not the configured one");
  const auto* aud = claims.if_contains("aud");
  bool for_us = false;
  std::size_t audiences = 1;
  if (aud && aud->is_string()) {
    for_us = aud->get_string() == expected.client_id;
  } else if (aud && aud->is_array()) {
    audiences = aud->get_array().size();
    for (const auto& a : aud->get_array()) for_us = for_us || (a.is_string() && a.get_string() == expected.client_id);
  }
  if (!for_us) throw refused("the ID token is not meant for this client (aud)");
  auto azp = string_member(claims, "azp");
  if ((audiences > 1 || claims.contains("azp")) && azp != expected.client_id)
    throw refused("the ID token's authorized party (azp) is not this client");
  auto now = expected.now_seconds, leeway = expected.leeway_seconds;
  auto exp = numeric_date(claims, "exp"), iat = numeric_date(claims, "iat"), nbf = numeric_date(claims, "nbf");
  if (!exp || *exp + leeway <= now) throw refused("the ID token has expired");
  if (!iat || *iat - leeway > now) throw refused("the ID token was issued in the future (iat)");
  if (nbf && *nbf - leeway > now) throw refused("the ID token is not valid yet (nbf)");
  auto nonce = string_member(claims, "nonce");
  if (expected.nonce.empty() || !same_secret(nonce, expected.nonce))
    throw refused("the ID token's nonce is not the one of this login");
  auto sub = string_member(claims, "sub");
  if (sub.empty() || sub.size() > 255) throw refused("the ID token has no usable subject (sub)");
  return claims;
}

std::string pkce_challenge(std::string_view verifier) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(verifier.data()), verifier.size());
  char out[sodium_base64_ENCODED_LEN(crypto_hash_sha256_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(out, sizeof out, digest, sizeof digest, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return out;
}

model::RoleSet map_roles(const json::object& claims, std::string_view claim,
                         const std::vector<std::pair<std::string, std::string>>& role_map,
                         std::string_view default_role) {
  const json::value* value = nullptr;
  const json::object* scope = &claims;
  while (scope) {
    auto dot = claim.find('.');
    value = scope->if_contains(claim.substr(0, dot));
    if (dot == claim.npos || !value) break;
    claim.remove_prefix(dot + 1);
    scope = value->if_object();
    value = nullptr;
  }
  std::vector<std::string_view> names;
  if (value && value->is_string()) names.push_back(value->get_string());
  if (value && value->is_array())
    for (const auto& item : value->get_array())
      if (item.is_string()) names.push_back(item.get_string());
  model::RoleSet roles = 0;
  for (const auto& [name, role] : role_map)
    if (std::find(names.begin(), names.end(), name) != names.end())
      if (auto parsed = model::parse_role(role)) roles |= model::role_bit(*parsed);
  if (!roles && !default_role.empty())
    if (auto parsed = model::parse_role(default_role)) roles = model::role_bit(*parsed);
  return roles;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  std::string out(text.size() * 3 / 4 + 3, '\0');
  std::size_t length = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(), text.size(), nullptr,
                        &length, &end, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      end != text.data() + text.size())
    return std::nullopt;
  out.resize(length);
  return out;
}

}  // namespace de::auth::oidc
