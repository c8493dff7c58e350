#include <algorithm>

#include "api/context.hpp"
#include "auth/crypto.hpp"
#include "auth/sessions.hpp"
#include "core/clock.hpp"

namespace de::api {

namespace {
json::object token_json(const auth::TokenPair& tokens, const model::User& user) {
  return {{"access_token", tokens.access_token},
          {"token_type", "Bearer"},
          {"expires_in", tokens.expires_in},
          {"refresh_token", tokens.refresh_token},
          {"user", model::to_json(user)}};
}

std::string read_refresh_token(const Request& request) {
  auto body = json_body(request);
  core::ObjectReader reader(body);
  auto token = reader.string("refresh_token", true, 200);
  reader.finish();
  return *token;
}

// Verifying against a fixed hash when the account does not exist keeps the timing the same.
const std::string& dummy_hash() {
  static const std::string hash = auth::hash_password("not a real password, only for timing");
  return hash;
}
}  // namespace

void add_auth_routes(Context& ctx, http::Router& router) {
  router.add("POST", "/api/v1/auth/login", [&ctx](Request& request) -> asio::awaitable<Response> {
    auto body = json_body(request);
    core::ObjectReader reader(body);
    auto email = reader.string("email", false, 254);
    auto username = reader.string("username", false, 64);
    auto password = reader.string("password", true, 1024);
    if (!email && !username) reader.error("email", "is required (or username)");
    reader.finish();
    std::string login = email ? *email : *username;
    std::transform(login.begin(), login.end(), login.begin(), [](unsigned char c) { return std::tolower(c); });
    std::string throttle_key = login + "|" + request.remote_address;
    if (int wait = ctx.throttle.retry_after(throttle_key, core::now_ms())) {
      core::Error error(core::ErrorKind::too_many_requests,
                        "too many failed logins; try again in " + std::to_string(wait) + " seconds");
      error.retry_after_seconds = wait;
      throw error;
    }
    auto user = ctx.db.read([&](store::Connection& c) { return store::users::find_by_login(c, login); });
    bool ok = co_await on_cpu(ctx, [&] {
      bool match = auth::verify_password(user ? user->password_hash : dummy_hash(), *password);
      return match && user && user->is_active;
    });
    if (!ok) {
      ctx.throttle.record_failure(throttle_key, core::now_ms());
      throw core::Error(core::ErrorKind::unauthorized, "invalid email or password");
    }
    ctx.throttle.reset(throttle_key);
    auto tokens = co_await write(ctx.db, [&](store::Tx& tx) {
      return auth::issue_tokens(tx.connection, *user, ctx.jwt, ctx.config.refresh_token_ttl_seconds);
    });
    co_return Response::json(200, token_json(tokens, *user));
  });

  router.add("POST", "/api/v1/auth/refresh", [&ctx](Request& request) -> asio::awaitable<Response> {
    auto token = read_refresh_token(request);
    auto outcome = co_await write(ctx.db, [&](store::Tx& tx) {
      return auth::rotate_refresh_token(tx.connection, token, ctx.jwt, ctx.config.refresh_token_ttl_seconds);
    });
    if (outcome.status == auth::RefreshStatus::reused)
      throw core::Error(core::ErrorKind::unauthorized,
                        "this refresh token was already used; its session has been revoked");
    if (outcome.status != auth::RefreshStatus::ok)
      throw core::Error(core::ErrorKind::unauthorized, "the refresh token is invalid or has expired");
    co_return Response::json(200, token_json(*outcome.tokens, *outcome.user));
  });

  router.add("POST", "/api/v1/auth/logout", [&ctx](Request& request) -> asio::awaitable<Response> {
    auto token = read_refresh_token(request);
    co_await write(ctx.db, [&](store::Tx& tx) { auth::revoke_refresh_token(tx.connection, token); });
    co_return Response::no_content();
  });

  secured(ctx, router, "GET", "/api/v1/users/me", auth::Permission::authenticated,
          [&ctx](Request&, const auth::Principal& who) -> asio::awaitable<Response> {
            auto user = ctx.db.read([&](store::Connection& c) { return store::users::find(c, who.user_id); });
            if (!user) throw core::Error(core::ErrorKind::unauthorized, "this account no longer exists");
            co_return Response::json(200, model::to_json(*user));
          });
}

}  // namespace de::api
