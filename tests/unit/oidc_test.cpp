// ID token validation (auth/oidc): keys made here with OpenSSL, tokens signed here, every check
// shown to refuse what it must. The flow against a real provider is tests/contract/test_oidc.py.
#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>
#include <sodium.h>

#include <memory>

#include "auth/oidc.hpp"
#include "core/json.hpp"

namespace {
using namespace de;
using auth::oidc::Expectations;
using auth::oidc::KeySet;
using auth::oidc::UnknownKey;
namespace json = boost::json;

std::string b64url(std::string_view bytes) {
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(out.find('\0'));
  return out;
}

std::string bn_param(EVP_PKEY* key, const char* name, int pad = 0) {
  BIGNUM* bn = nullptr;
  EVP_PKEY_get_bn_param(key, name, &bn);
  std::string out(std::max(BN_num_bytes(bn), pad), '\0');
  if (pad) BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), pad);
  else BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  BN_free(bn);
  return out;
}

struct TestKey {
  std::shared_ptr<EVP_PKEY> pkey;
  std::string kid, alg;

  static TestKey rsa(std::string kid, unsigned bits = 2048) {
    return {std::shared_ptr<EVP_PKEY>(EVP_RSA_gen(bits), EVP_PKEY_free), std::move(kid), "RS256"};
  }
  static TestKey p256(std::string kid) {
    return {std::shared_ptr<EVP_PKEY>(EVP_EC_gen("P-256"), EVP_PKEY_free), std::move(kid), "ES256"};
  }
  json::object jwk() const {
    json::object o{{"kid", kid}, {"use", "sig"}, {"alg", alg}};
    if (alg == "RS256") {
      o["kty"] = "RSA";
      o["n"] = b64url(bn_param(pkey.get(), OSSL_PKEY_PARAM_RSA_N));
      o["e"] = b64url(bn_param(pkey.get(), OSSL_PKEY_PARAM_RSA_E));
    } else {
      o["kty"] = "EC";
      o["crv"] = "P-256";
      o["x"] = b64url(bn_param(pkey.get(), OSSL_PKEY_PARAM_EC_PUB_X, 32));
      o["y"] = b64url(bn_param(pkey.get(), OSSL_PKEY_PARAM_EC_PUB_Y, 32));
    }
    return o;
  }
  std::string sign(std::string_view input) const {
    EVP_MD_CTX* md = EVP_MD_CTX_new();
    EVP_DigestSignInit(md, nullptr, EVP_sha256(), nullptr, pkey.get());
    std::size_t size = 0;
    EVP_DigestSign(md, nullptr, &size, reinterpret_cast<const unsigned char*>(input.data()), input.size());
    std::string sig(size, '\0');
    EVP_DigestSign(md, reinterpret_cast<unsigned char*>(sig.data()), &size,
                   reinterpret_cast<const unsigned char*>(input.data()), input.size());
    EVP_MD_CTX_free(md);
    sig.resize(size);
    if (alg == "RS256") return sig;
    // DER to JWS's r || s
    const unsigned char* p = reinterpret_cast<const unsigned char*>(sig.data());
    ECDSA_SIG* ecdsa = d2i_ECDSA_SIG(nullptr, &p, long(sig.size()));
    std::string rs(64, '\0');
    BN_bn2binpad(ECDSA_SIG_get0_r(ecdsa), reinterpret_cast<unsigned char*>(rs.data()), 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(ecdsa), reinterpret_cast<unsigned char*>(rs.data()) + 32, 32);
    ECDSA_SIG_free(ecdsa);
    return rs;
  }
};

KeySet key_set(std::initializer_list<const TestKey*> keys) {
  json::array list;
  for (auto* k : keys) list.push_back(k->jwk());
  return KeySet::parse(core::to_text(json::object{{"keys", list}}));
}

constexpr std::int64_t now = 1'800'000'000;
const Expectations expected{"https://idp.example.com", "de-client", "nonce-123", now, 60};

json::object good_claims() {
  return {{"iss", "https://idp.example.com"}, {"aud", "de-client"}, {"sub", "user-1"}, {"nonce", "nonce-123"},
          {"iat", now - 5}, {"exp", now + 300}, {"email", "a@example.com"}};
}

std::string token(const TestKey& key, const json::object& claims, json::object header = {}) {
  if (!header.contains("alg")) header["alg"] = key.alg;
  if (!header.contains("kid")) header["kid"] = key.kid;
  auto input = b64url(core::to_text(header)) + "." + b64url(core::to_text(claims));
  return input + "." + b64url(key.sign(input));
}

std::string refusal(const std::string& id_token, const KeySet& keys, const Expectations& e = expected) {
  try {
    auth::oidc::validate_id_token(id_token, keys, e);
  } catch (const UnknownKey&) {
    return "unknown key";
  } catch (const core::Error& error) {
    EXPECT_EQ(error.kind(), core::ErrorKind::unauthorized);
    return error.what();
  }
  return "";
}

class IdToken : public ::testing::Test {
 protected:
  TestKey rsa = TestKey::rsa("rsa-1");
  TestKey ec = TestKey::p256("ec-1");
  KeySet keys = key_set({&rsa, &ec});
};

TEST_F(IdToken, RS256AndES256TokensOfThePublishedKeysAreAccepted) {
  auto claims = auth::oidc::validate_id_token(token(rsa, good_claims()), keys, expected);
  EXPECT_EQ(claims.at("sub"), "user-1");
  EXPECT_EQ(claims.at("email"), "a@example.com");
  EXPECT_EQ(refusal(token(ec, good_claims()), keys), "");
}

TEST_F(IdToken, TamperedPayloadOrSignatureIsRefused) {
  auto good = token(rsa, good_claims());
  auto first = good.find('.'), second = good.rfind('.');
  auto other = good_claims();
  other["sub"] = "admin";
  auto swapped = good.substr(0, first + 1) + b64url(core::to_text(other)) + good.substr(second);
  EXPECT_EQ(refusal(swapped, keys), "the ID token's signature does not verify");
  auto flipped = good;
  flipped[second + 5] = flipped[second + 5] == 'A' ? 'B' : 'A';
  EXPECT_EQ(refusal(flipped, keys), "the ID token's signature does not verify");
  EXPECT_EQ(refusal(good.substr(0, second), keys), "the ID token is not a signed JWT (three parts)");
  EXPECT_EQ(refusal(good + ".x", keys), "the ID token is not a signed JWT (three parts)");
}

TEST_F(IdToken, AlgNoneAndHmacWithThePublicKeyAreRefused) {
  auto claims = b64url(core::to_text(good_claims()));
  auto none = b64url(R"({"alg":"none","kid":"rsa-1"})") + "." + claims + ".";
  EXPECT_EQ(refusal(none, keys), "the ID token's algorithm \"none\" is not accepted (RS256 or ES256)");
  // The classic confusion: HS256 keyed with the RSA public key the attacker knows.
  auto input = b64url(R"({"alg":"HS256","kid":"rsa-1"})") + "." + claims;
  auto public_key = core::to_text(rsa.jwk());
  unsigned char mac[32];
  unsigned int size = 0;
  HMAC(EVP_sha256(), public_key.data(), int(public_key.size()), reinterpret_cast<const unsigned char*>(input.data()),
       input.size(), mac, &size);
  auto hs = input + "." + b64url(std::string(reinterpret_cast<char*>(mac), size));
  EXPECT_EQ(refusal(hs, keys), "the ID token's algorithm \"HS256\" is not accepted (RS256 or ES256)");
  // An EC key's kid in a token that says RS256 (and the reverse) does not verify.
  EXPECT_EQ(refusal(token(rsa, good_claims(), {{"kid", "ec-1"}}), keys), "the ID token's signature does not verify");
  EXPECT_EQ(refusal(token(ec, good_claims(), {{"kid", "rsa-1"}}), keys), "the ID token's signature does not verify");
}

TEST_F(IdToken, IssuerAudienceAndAuthorizedPartyAreChecked) {
  auto claims = good_claims();
  claims["iss"] = "https://idp.example.com/";
  EXPECT_EQ(refusal(token(rsa, claims), keys), "the ID token's issuer is not the configured one");
  claims = good_claims();
  claims["aud"] = "another-client";
  EXPECT_EQ(refusal(token(rsa, claims), keys), "the ID token is not meant for this client (aud)");
  claims["aud"] = json::array{"another-client", "de-client"};
  EXPECT_EQ(refusal(token(rsa, claims), keys), "the ID token's authorized party (azp) is not this client");
  claims["azp"] = "another-client";
  EXPECT_EQ(refusal(token(rsa, claims), keys), "the ID token's authorized party (azp) is not this client");
  claims["azp"] = "de-client";
  EXPECT_EQ(refusal(token(rsa, claims), keys), "");
  claims = good_claims();
  claims.erase("aud");
  EXPECT_EQ(refusal(token(rsa, claims), keys), "the ID token is not meant for this client (aud)");
}

TEST_F(IdToken, TimesAreCheckedWithTheLeeway) {
  auto claims = good_claims();
  claims["exp"] = now - 61;
  EXPECT_EQ(refusal(token(rsa, claims), keys), "the ID token has expired");
  claims["exp"] = now - 30;  // within the leeway (clock skew)
  EXPECT_EQ(refusal(token(rsa, claims), keys), "");
  claims.erase("exp");
  EXPECT_EQ(refusal(token(rsa, claims), keys), "the ID token has expired");
  claims["exp"] = 1e300;  // out of range: refused, never converted (undefined behaviour)
  EXPECT_EQ(refusal(token(rsa, claims), keys), "the ID token's exp is not a number");
  claims = good_claims();
  claims["iat"] = now + 120;
  EXPECT_EQ(refusal(token(rsa, claims), keys), "the ID token was issued in the future (iat)");
  claims.erase("iat");
  EXPECT_EQ(refusal(token(rsa, claims), keys), "the ID token was issued in the future (iat)");
  claims = good_claims();
  claims["nbf"] = now + 120;
  EXPECT_EQ(refusal(token(rsa, claims), keys), "the ID token is not valid yet (nbf)");
  claims["nbf"] = "soon";
  EXPECT_EQ(refusal(token(rsa, claims), keys), "the ID token's nbf is not a number");
}

TEST_F(IdToken, TheNonceMustBeThisLoginAttempts) {
  auto claims = good_claims();
  claims["nonce"] = "nonce-124";
  EXPECT_EQ(refusal(token(rsa, claims), keys), "the ID token's nonce is not the one of this login");
  claims.erase("nonce");
  EXPECT_EQ(refusal(token(rsa, claims), keys), "the ID token's nonce is not the one of this login");
  auto no_nonce_expected = expected;
  no_nonce_expected.nonce.clear();
  EXPECT_EQ(refusal(token(rsa, claims), keys, no_nonce_expected), "the ID token's nonce is not the one of this login");
}

TEST_F(IdToken, AnUnknownKidIsReportedSoThatTheKeysAreFetchedAgain) {
  auto rotated = TestKey::rsa("rsa-2");
  EXPECT_EQ(refusal(token(rotated, good_claims()), keys), "unknown key");
  // After the rotation the provider publishes only the new key: the old kid's tokens fail.
  auto after = key_set({&rotated});
  EXPECT_EQ(refusal(token(rotated, good_claims()), after), "");
  EXPECT_EQ(refusal(token(rsa, good_claims()), after), "unknown key");
  // The right kid with another key's signature is a bad signature, not a rotation.
  auto forged = TestKey::rsa("rsa-2");
  EXPECT_EQ(refusal(token(forged, good_claims()), after), "the ID token's signature does not verify");
}

TEST_F(IdToken, WithoutKidOnlyASingleKeyOfTheTypeIsUsed) {
  // One RSA key published: a token without kid uses it.
  EXPECT_EQ(refusal(token(rsa, good_claims(), {{"kid", nullptr}}), keys), "");
  // Two RSA keys: which one is meant cannot be told.
  auto second = TestKey::rsa("rsa-2");
  auto two = key_set({&rsa, &second, &ec});
  EXPECT_EQ(refusal(token(rsa, good_claims(), {{"kid", nullptr}}), two), "the ID token's signature does not verify");
}

TEST(OidcKeySet, WeakOrForeignKeysAreSkipped) {
  auto weak = TestKey::rsa("weak", 1024);
  auto good = TestKey::rsa("good");
  auto enc = good.jwk();
  enc["kid"] = "enc";
  enc["use"] = "enc";
  json::object hs{{"kty", "oct"}, {"kid", "hmac"}, {"k", "c2VjcmV0"}};
  auto set = KeySet::parse(core::to_text(json::object{{"keys", json::array{weak.jwk(), good.jwk(), enc, hs}}}));
  EXPECT_EQ(set.size(), 1u);
  EXPECT_TRUE(set.has("good"));
  EXPECT_THROW(KeySet::parse("{\"no\":1}"), core::Error);
  EXPECT_THROW(KeySet::parse("not json"), core::Error);
}

TEST(OidcPkce, ChallengeIsRfc7636AppendixB) {
  EXPECT_EQ(auth::oidc::pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

TEST(OidcRoles, ClaimValuesMapToRolesOrTheDefault) {
  using model::Role;
  using model::role_bit;
  const std::vector<std::pair<std::string, std::string>> map{{"admins", "admin"}, {"sales", "operator"},
                                                             {"sales", "viewer"}};
  json::object claims{{"groups", json::array{"staff", "sales"}}, {"realm_access", {{"roles", json::array{"admins"}}}},
                      {"role", "admins"}};
  EXPECT_EQ(auth::oidc::map_roles(claims, "groups", map, ""), role_bit(Role::operator_) | role_bit(Role::viewer));
  EXPECT_EQ(auth::oidc::map_roles(claims, "realm_access.roles", map, ""), role_bit(Role::admin));
  EXPECT_EQ(auth::oidc::map_roles(claims, "role", map, ""), role_bit(Role::admin));
  EXPECT_EQ(auth::oidc::map_roles(claims, "missing", map, ""), 0);
  EXPECT_EQ(auth::oidc::map_roles(claims, "missing", map, "viewer"), role_bit(Role::viewer));
  EXPECT_EQ(auth::oidc::map_roles(claims, "realm_access.nothing", map, ""), 0);
  claims["groups"] = json::array{"staff"};
  EXPECT_EQ(auth::oidc::map_roles(claims, "groups", map, ""), 0);
}
}  // namespace
