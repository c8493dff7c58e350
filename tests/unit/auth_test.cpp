#include <gtest/gtest.h>
#include <jwt.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <map>

#include <algorithm>
#include <chrono>
#include <thread>

#include "auth/crypto.hpp"
#include "auth/jwt.hpp"
#include "auth/rate_limit.hpp"
#include "auth/rbac.hpp"
#include "auth/sessions.hpp"
#include "auth/throttle.hpp"
#include "core/clock.hpp"
#include "test_database.hpp"

using namespace de;
using model::Role;
using model::role_bit;

TEST(Auth, PasswordsHashWithArgon2idAndVerify) {
  auto hash = auth::hash_password("correct horse");
  EXPECT_TRUE(hash.starts_with("$argon2id$"));
  EXPECT_TRUE(auth::verify_password(hash, "correct horse"));
  EXPECT_FALSE(auth::verify_password(hash, "correct horse!"));
  EXPECT_NE(hash, auth::hash_password("correct horse")) << "salted";
}

TEST(Auth, RandomTokensAreUrlSafeAndUnique) {
  auto a = auth::random_token(32), b = auth::random_token(32);
  EXPECT_EQ(a.size(), 43u);
  EXPECT_NE(a, b);
  EXPECT_EQ(a.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), std::string::npos);
  EXPECT_EQ(auth::sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

namespace {
// A token with `claims` (a JSON object's text) and extra header fields, signed with `alg` and
// `secret` by libjwt: what an attacker holding (or guessing) a key could make.
std::string signed_token(const std::string& claims, const std::string& secret, jwt_alg_t alg = JWT_ALG_HS256,
                         const std::vector<std::pair<std::string, std::string>>& headers = {}) {
  jwt_t* jwt = nullptr;
  EXPECT_EQ(jwt_new(&jwt), 0);
  EXPECT_EQ(jwt_add_grants_json(jwt, claims.c_str()), 0);
  for (const auto& [name, value] : headers) EXPECT_EQ(jwt_add_header(jwt, name.c_str(), value.c_str()), 0);
  auto key = secret.empty() ? nullptr : reinterpret_cast<const unsigned char*>(secret.data());
  EXPECT_EQ(jwt_set_alg(jwt, alg, key, int(secret.size())), 0);
  char* text = jwt_encode_str(jwt);
  std::string token = text ? text : "";
  std::free(text);
  jwt_free(jwt);
  return token;
}

// The claims the server issues, with `changes` (JSON members' text) replacing or adding some.
std::string claims(std::int64_t now, const std::string& changes = "") {
  std::map<std::string, std::string> members = {
      {"iss", "\"digital-enterprise\""}, {"aud", "\"digital-enterprise-api\""}, {"sub", "\"user-1\""},
      {"iat", std::to_string(now)},       {"nbf", std::to_string(now)},         {"exp", std::to_string(now + 600)},
      {"roles", "[\"viewer\"]"}};
  auto parsed = boost::json::parse("{" + changes + "}").as_object();
  for (const auto& [key, value] : parsed) members[std::string(key)] = boost::json::serialize(value);
  std::string out = "{";
  for (const auto& [key, value] : members)
    if (value != "null") out += (out.size() > 1 ? "," : "") + ("\"" + key + "\":") + value;
  return out + "}";
}
}  // namespace

TEST(Auth, AccessTokensCheckIssuerAudienceAndTimes) {
  const std::string secret = "a-secret-of-sufficient-length-for-hs256";
  auth::JwtCodec codec(secret, 900);
  auto now = core::now_ms() / 1000;
  EXPECT_TRUE(codec.verify(signed_token(claims(now), secret))) << "the control: as the server issues";
  EXPECT_FALSE(codec.verify(signed_token(claims(now, R"("iss":"someone-else")"), secret))) << "another issuer";
  EXPECT_FALSE(codec.verify(signed_token(claims(now, R"("iss":null)"), secret))) << "no issuer";
  EXPECT_FALSE(codec.verify(signed_token(claims(now, R"("aud":"another-api")"), secret))) << "another audience";
  EXPECT_FALSE(codec.verify(signed_token(claims(now, R"("aud":null)"), secret))) << "no audience";
  EXPECT_FALSE(codec.verify(signed_token(claims(now, R"("aud":["digital-enterprise-api"])"), secret)));
  EXPECT_FALSE(codec.verify(signed_token(claims(now, R"("sub":"")"), secret))) << "no subject";
  EXPECT_FALSE(codec.verify(signed_token(claims(now, "\"nbf\":" + std::to_string(now + 3600)), secret)))
      << "not yet valid";
  EXPECT_FALSE(codec.verify(signed_token(claims(now, "\"iat\":" + std::to_string(now + 3600)), secret)))
      << "issued in the future";
  EXPECT_TRUE(codec.verify(signed_token(claims(now, "\"nbf\":" + std::to_string(now + 30)), secret)))
      << "a node's clock a little ahead is within the leeway";
  EXPECT_FALSE(codec.verify(signed_token(claims(now, "\"exp\":" + std::to_string(now - 1)), secret))) << "expired";
  EXPECT_FALSE(codec.verify(signed_token(claims(now, R"("exp":null)"), secret))) << "no expiry";
  EXPECT_FALSE(codec.verify(signed_token(claims(now, "\"exp\":\"" + std::to_string(now + 600) + "\""), secret)))
      << "an expiry that is not a number";
}

TEST(Auth, AccessTokensTakeOnlyHs256WithTheOneSecret) {
  const std::string secret = "a-secret-of-sufficient-length-for-hs256";
  auth::JwtCodec codec(secret, 900);
  auto now = core::now_ms() / 1000;
  EXPECT_FALSE(codec.verify(signed_token(claims(now), secret, JWT_ALG_HS512))) << "another HMAC, the right key";
  EXPECT_FALSE(codec.verify(signed_token(claims(now), secret, JWT_ALG_HS384)));
  EXPECT_FALSE(codec.verify(signed_token(claims(now), "", JWT_ALG_NONE))) << "alg none";
  // The header's key hints are never followed: an attacker's key named by kid, jku or x5u
  // does not verify, and the server's own tokens verify whatever they say.
  std::vector<std::pair<std::string, std::string>> hints = {
      {"kid", "../../../../dev/null"}, {"jku", "https://attacker.example/jwks.json"},
      {"x5u", "https://attacker.example/cert.pem"}};
  EXPECT_FALSE(codec.verify(signed_token(claims(now), "the-attackers-own-secret-of-good-length", JWT_ALG_HS256, hints)));
  EXPECT_TRUE(codec.verify(signed_token(claims(now), secret, JWT_ALG_HS256, hints)));
  // Over 4 KiB is refused before it is decoded, even when it is rightly signed.
  auto padded = claims(now, R"("pad":")" + std::string(5000, 'x') + "\"");
  EXPECT_FALSE(codec.verify(signed_token(padded, secret)));
}

TEST(Auth, RememberedTokensStillExpire) {
  // Two seconds: exp has whole seconds, so a token issued late in one expires early in the next.
  auth::JwtCodec codec("a-secret-of-sufficient-length-for-hs256", 2);
  auto token = codec.issue("user-1", role_bit(Role::viewer));
  ASSERT_TRUE(codec.verify(token));
  std::this_thread::sleep_for(std::chrono::milliseconds(3100));
  EXPECT_FALSE(codec.verify(token));
}

TEST(Auth, AccessTokensVerifyOnlyUntampered) {
  auth::JwtCodec codec("a-secret-of-sufficient-length-for-hs256", 900);
  auto roles = role_bit(Role::operator_) | role_bit(Role::viewer);
  auto token = codec.issue("user-1", roles);
  auto claims = codec.verify(token);
  ASSERT_TRUE(claims);
  EXPECT_EQ(claims->user_id, "user-1");
  EXPECT_EQ(claims->roles, roles);
  EXPECT_GT(claims->expires_at, core::now_ms() / 1000 + 800);

  auto again = codec.verify(token);  // from the cache of verified tokens
  ASSERT_TRUE(again);
  EXPECT_EQ(again->user_id, "user-1");
  EXPECT_EQ(again->roles, roles);

  auto tampered = token;
  tampered[tampered.size() - 3] = tampered[tampered.size() - 3] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(codec.verify(tampered));
  EXPECT_FALSE(auth::JwtCodec("another-secret-of-sufficient-length!!", 900).verify(token));
  EXPECT_FALSE(codec.verify("garbage"));
  EXPECT_FALSE(codec.verify(""));
  // alg "none" with the same claims is refused.
  auto dot = token.find('.');
  std::string none_header = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0";  // {"alg":"none","typ":"JWT"}
  auto payload = token.substr(dot + 1, token.rfind('.') - dot - 1);
  EXPECT_FALSE(codec.verify(none_header + "." + payload + "."));
}

TEST(Auth, RolesGrantWhatDocsApiMdSays) {
  using auth::Permission;
  auto can = [](Role r, Permission p) { return auth::allowed(role_bit(r), p); };
  EXPECT_TRUE(can(Role::admin, Permission::admin));
  EXPECT_FALSE(can(Role::manager, Permission::admin));
  EXPECT_TRUE(can(Role::manager, Permission::manage_agents));
  EXPECT_FALSE(can(Role::operator_, Permission::manage_agents));
  EXPECT_TRUE(can(Role::operator_, Permission::control_agents));
  EXPECT_TRUE(can(Role::operator_, Permission::run_tasks));
  EXPECT_FALSE(can(Role::viewer, Permission::run_tasks));
  EXPECT_TRUE(can(Role::viewer, Permission::read));
  EXPECT_FALSE(can(Role::agent, Permission::read));
  EXPECT_TRUE(can(Role::agent, Permission::agent_protocol));
  EXPECT_TRUE(can(Role::agent, Permission::authenticated));
  EXPECT_FALSE(auth::allowed(0, Permission::authenticated));
}

// GCRA at 60 a minute: the whole minute at once, then one a second; each principal on its own.
TEST(Auth, RateLimiterSpendsAMinuteAtOnceThenRefillsEvenly) {
  auth::RateLimiter limiter;
  constexpr std::int64_t second = 1'000'000'000;
  std::int64_t now = 5 * second;
  for (int i = 0; i < 60; ++i) {
    auto d = limiter.take("user-a", 60, now);
    ASSERT_TRUE(d.allowed) << i;
    EXPECT_EQ(d.limit, 60);
    EXPECT_EQ(d.remaining, 59 - i);
    EXPECT_EQ(d.reset_seconds, i + 1);
  }
  auto refused = limiter.take("user-a", 60, now);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.remaining, 0);
  EXPECT_EQ(refused.retry_after_seconds, 1);
  EXPECT_EQ(refused.reset_seconds, 60);
  EXPECT_TRUE(limiter.take("user-b", 60, now).allowed) << "another principal has its own quota";
  EXPECT_FALSE(limiter.take("user-a", 60, now + second / 2).allowed);
  auto later = limiter.take("user-a", 60, now + second);
  EXPECT_TRUE(later.allowed);
  EXPECT_EQ(later.remaining, 0);
  auto rested = limiter.take("user-a", 60, now + 61 * second);
  EXPECT_TRUE(rested.allowed);
  EXPECT_EQ(rested.remaining, 59) << "after a quiet minute the whole quota is back";
}

// A key whose limit changes keeps its state, a time: when its quota is whole again. Ten requests
// at 10 a minute put it a minute ahead; a second later that is too far ahead at 10 or 1 a
// minute, and just within the burst at 600 a minute.
TEST(Auth, RateLimiterReadsAPrincipalsStateAtAnyLimit) {
  auth::RateLimiter limiter;
  constexpr std::int64_t second = 1'000'000'000;
  std::int64_t now = 5 * second;
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(limiter.take("key", 10, now).allowed) << i;
  EXPECT_FALSE(limiter.take("key", 10, now).allowed);
  EXPECT_FALSE(limiter.take("key", 10, now + second).allowed);
  EXPECT_FALSE(limiter.take("key", 1, now + second).allowed);
  auto raised = limiter.take("key", 600, now + second);
  EXPECT_TRUE(raised.allowed);
  EXPECT_EQ(raised.limit, 600);
  EXPECT_EQ(raised.remaining, 9);
}

TEST(Auth, ThrottleLocksAnAccountAndAddressAfterFiveFailuresUntilTheMinuteEnds) {
  auth::LoginThrottle throttle;
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(throttle.locked_for("ann", "1.2.3.4", 1000 + i), 0);
    throttle.record_failure("ann", "1.2.3.4", 1000 + i);
  }
  EXPECT_EQ(throttle.locked_for("ann", "1.2.3.4", 2000), 59);
  EXPECT_EQ(throttle.locked_for("ann", "5.6.7.8", 2000), 0) << "another address";
  EXPECT_EQ(throttle.locked_for("bob", "1.2.3.4", 2000), 0) << "another account";
  EXPECT_EQ(throttle.locked_for("ann", "1.2.3.4", 61000), 0);
  throttle.succeeded("ann", "1.2.3.4");
  EXPECT_EQ(throttle.locked_for("ann", "1.2.3.4", 2000), 0);
}

// A guesser spread over many addresses locks the account everywhere (softly: the owner's right
// password still passes, see the route), and one address trying many accounts locks itself.
TEST(Auth, ThrottleCountsAnAccountOverAddressesAndAnAddressOverAccounts) {
  auth::LoginThrottle throttle(auth::LoginThrottle::Limits{5, 20, 30, 60'000, 1'000});
  for (int i = 0; i < 20; ++i) throttle.record_failure("ann", "10.0.0." + std::to_string(i), 1000);
  EXPECT_EQ(throttle.locked_for("ann", "192.0.2.1", 2000), 59) << "an address that never failed";
  for (int i = 0; i < 30; ++i) throttle.record_failure("user" + std::to_string(i), "198.51.100.7", 1000);
  EXPECT_EQ(throttle.locked_for("someone-else", "198.51.100.7", 2000), 59);
  EXPECT_EQ(throttle.locked_for("someone-else", "198.51.100.8", 2000), 0);
}

TEST(Auth, ThrottleGivesOneTurnAtATimePerAccountAndAddress) {
  auth::LoginThrottle throttle;
  {
    auto turn = throttle.take_turn("ann", "1.2.3.4");
    ASSERT_TRUE(turn);
    EXPECT_FALSE(throttle.take_turn("ann", "1.2.3.4")) << "a second attempt at the same time";
    EXPECT_TRUE(throttle.take_turn("ann", "5.6.7.8"));
  }
  EXPECT_TRUE(throttle.take_turn("ann", "1.2.3.4")) << "released when the attempt ended";
}

namespace {
class Sessions : public de::testing::BackendTest {};
DE_BACKENDS(Sessions);
}  // namespace

TEST_P(Sessions, RefreshRotatesAndReuseRevokesTheFamily) {
  auth::JwtCodec codec("a-secret-of-sufficient-length-for-hs256", 900);
  model::User user;
  user.id = core::new_id();
  user.email = "ann@example.com";
  user.username = "ann";
  user.password_hash = "x";
  user.roles = role_bit(Role::viewer);
  user.created_at = user.updated_at = core::now_ms();
  auto first = db().write_sync([&](store::Tx& tx) {
    store::users::insert(tx.connection, user);
    return auth::issue_tokens(tx.connection, user, codec, 3600);
  });
  auto rotate = [&](const std::string& token) {
    return db().write_sync([&](store::Tx& tx) { return auth::rotate_refresh_token(tx.connection, token, codec, 3600); });
  };
  auto second = rotate(first.refresh_token);
  ASSERT_EQ(second.status, auth::RefreshStatus::ok);
  EXPECT_TRUE(codec.verify(second.tokens->access_token));
  EXPECT_EQ(rotate(first.refresh_token).status, auth::RefreshStatus::reused);
  EXPECT_EQ(rotate(second.tokens->refresh_token).status, auth::RefreshStatus::invalid) << "family revoked";
  EXPECT_EQ(rotate("rt_unknown").status, auth::RefreshStatus::invalid);

  // A stolen token replayed at the same moment as its owner's refresh: one of them wins, the
  // other is a reuse, and the family (the winner's new token too) is revoked.
  auto third = db().write_sync([&](store::Tx& tx) { return auth::issue_tokens(tx.connection, user, codec, 3600); });
  std::vector<auth::RefreshOutcome> outcomes(6);
  std::vector<std::thread> racers;
  for (auto& outcome : outcomes) racers.emplace_back([&] { outcome = rotate(third.refresh_token); });
  for (auto& racer : racers) racer.join();
  auto winners = std::count_if(outcomes.begin(), outcomes.end(), [](auto& o) { return o.status == auth::RefreshStatus::ok; });
  EXPECT_EQ(winners, 1);
  // The first loser is a reuse and revokes the family; those after it find the token revoked.
  EXPECT_GE(std::count_if(outcomes.begin(), outcomes.end(), [](auto& o) { return o.status == auth::RefreshStatus::reused; }), 1);
  for (auto& outcome : outcomes) {
    if (outcome.tokens) {
      EXPECT_EQ(rotate(outcome.tokens->refresh_token).status, auth::RefreshStatus::invalid);
    }
  }
}

TEST_P(Sessions, ApiKeysAreStoredHashedAndFoundByKey) {
  model::User user;
  user.id = core::new_id();
  user.email = "bob@example.com";
  user.username = "bob";
  user.password_hash = "x";
  user.roles = role_bit(Role::admin);
  user.created_at = user.updated_at = core::now_ms();
  auto created = db().write_sync([&](store::Tx& tx) {
    store::users::insert(tx.connection, user);
    return auth::create_api_key(tx.connection, user.id, "ci", role_bit(Role::operator_));
  });
  EXPECT_TRUE(created.key.starts_with("de_"));
  auto stored = db().read([&](store::Connection& c) {
    return c.query("SELECT key_hash FROM api_keys WHERE id = ?", {std::string_view(created.record.id)});
  });
  EXPECT_EQ(stored.rows.at(0).text(0), auth::sha256_hex(created.key));
  auto found = db().read([&](store::Connection& c) { return auth::find_api_key(c, created.key); });
  ASSERT_TRUE(found);
  EXPECT_EQ(found->roles, role_bit(Role::operator_));
  EXPECT_FALSE(db().read([&](store::Connection& c) { return auth::find_api_key(c, created.key + "x"); }));
}

// Provider keys at rest: sealed text opens with its master key only, and any change is refused.
TEST(Crypto, SealedSecretsOpenWithTheirMasterKeyOnly) {
  auto sealed = de::auth::seal("master-one", "sk-secret-value");
  EXPECT_EQ(sealed.find("sk-secret"), std::string::npos);
  EXPECT_NE(sealed, de::auth::seal("master-one", "sk-secret-value")) << "a fresh nonce each time";
  EXPECT_EQ(de::auth::unseal("master-one", sealed), "sk-secret-value");
  EXPECT_FALSE(de::auth::unseal("master-two", sealed));
  auto altered = sealed;
  altered[altered.size() / 2] = altered[altered.size() / 2] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(de::auth::unseal("master-one", altered));
  EXPECT_FALSE(de::auth::unseal("master-one", "not base64!"));
  EXPECT_FALSE(de::auth::unseal("master-one", ""));
}
