#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <optional>

#include "api/audit.hpp"
#include "api/context.hpp"
#include "auth/crypto.hpp"
#include "auth/sessions.hpp"
#include "core/clock.hpp"

namespace de::api {

namespace {
// The dashboard keeps its refresh token in this cookie, out of reach of scripts: HttpOnly,
// SameSite=Strict, and sent only to the auth routes (refresh and logout read it).
constexpr std::string_view refresh_cookie = "de_refresh";
constexpr std::string_view refresh_cookie_path = "/api/v1/auth";
}  // namespace

bool came_over_tls(const Request& request) { return request.tls || request.header("x-forwarded-proto") == "https"; }

std::string refresh_cookie_header(const Request& request, std::string_view value, std::int64_t max_age) {
  auto header = fmt::format("{}={}; Path={}; Max-Age={}; HttpOnly; SameSite=Strict", refresh_cookie, value,
                            refresh_cookie_path, max_age);
  if (came_over_tls(request)) header += "; Secure";
  return header;
}

std::optional<std::string> cookie_value(const Request& request, std::string_view name) {
  std::string_view cookies = request.header("cookie");
  while (!cookies.empty()) {
    auto end = cookies.find(';');
    auto pair = cookies.substr(0, end);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    if (pair.starts_with(name) && pair.substr(name.size()).starts_with('='))
      return std::string(pair.substr(name.size() + 1));
    if (end == std::string_view::npos) break;
    cookies.remove_prefix(end + 1);
  }
  return std::nullopt;
}

namespace {
constexpr std::array<std::string_view, 2> session_kinds = {"body", "cookie"};


// A client that keeps the refresh token itself gets it in the answer; the dashboard asks
// for the cookie instead (`"session":"cookie"` at login, no token in the body afterwards).
Response token_answer(const Request& request, const auth::TokenPair& tokens, const model::User& user, bool in_cookie,
                      std::int64_t ttl_seconds) {
  json::object o{{"access_token", tokens.access_token},
                 {"token_type", "Bearer"},
                 {"expires_in", tokens.expires_in},
                 {"user", model::to_json(user)}};
  if (!in_cookie) o["refresh_token"] = tokens.refresh_token;
  auto response = Response::json(200, o);
  if (in_cookie) response.set_header("Set-Cookie", refresh_cookie_header(request, tokens.refresh_token, ttl_seconds));
  return response;
}

// The refresh token from the body (API clients) or else the cookie (the dashboard).
struct PresentedToken {
  std::string token;
  bool from_cookie = false;
};

// Without the cookie the body's refresh_token is required, as it always was; with neither a
// cookie nor a body (a browser that is not signed in) there is none.
std::optional<PresentedToken> presented_token(const Request& request) {
  auto cookie = cookie_value(request, refresh_cookie);
  if (!cookie && request.body.empty()) return std::nullopt;
  if (!request.body.empty() || !cookie) {
    auto body = json_body(request);
    core::ObjectReader reader(body);
    auto token = reader.string("refresh_token", !cookie, 200);
    reader.finish();
    if (token) return PresentedToken{*token, false};
  }
  return PresentedToken{*cookie, true};
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
    auto session = reader.choice("session", false, session_kinds);
    if (!email && !username) reader.error("email", "is required (or username)");
    reader.finish();
    std::string login = email ? *email : *username;
    std::transform(login.begin(), login.end(), login.begin(), [](unsigned char c) { return std::tolower(c); });
    const auto& address = request.remote_address;
    auto too_many = [](int wait) {
      core::Error error(core::ErrorKind::too_many_requests,
                        "too many failed logins; try again in " + std::to_string(wait) + " seconds");
      error.retry_after_seconds = wait;
      return error;
    };
    // Soft lock (auth/throttle.hpp): one attempt at a time, after a wait; a right password passes.
    int locked = ctx.throttle.locked_for(login, address, core::now_ms());
    // (The turn and the timer live at the coroutine's top level: GCC 12 mishandles locals of
    // nested blocks that live across a co_await.)
    std::optional<auth::LoginThrottle::Turn> turn;
    asio::steady_timer pause(co_await asio::this_coro::executor);
    if (locked) {
      turn = ctx.throttle.take_turn(login, address);
      if (!turn) throw too_many(locked);
      pause.expires_after(std::chrono::milliseconds(ctx.throttle.soft_delay_ms()));
      co_await pause.async_wait(asio::use_awaitable);
    }
    auto user = ctx.db.read([&](store::Connection& c) { return store::users::find_by_login(c, login); });
    bool match = co_await on_cpu(ctx, [&] {
      bool right = auth::verify_password(user ? user->password_hash : dummy_hash(), *password);
      return right && user;
    });
    // Every attempt whose password was checked is audited: the name tried and the address,
    // never the password. A failure is its own write, made before the answer.
    auto attempt = audit_entry(request, match ? "auth.login" : "auth.login_failed", "user", user ? user->id : "",
                               {{"login", login}, {"session", session.value_or("body")}});
    if (!match) {
      attempt.outcome = "failure";
      attempt.details["reason"] = locked ? "invalid_credentials_while_throttled" : "invalid_credentials";
      co_await write(ctx.db, [&](store::Tx& tx) { store::audit::append(tx.connection, attempt); });
      ctx.throttle.record_failure(login, address, core::now_ms());
      if (locked) throw too_many(std::max(1, ctx.throttle.locked_for(login, address, core::now_ms())));
      throw core::Error(core::ErrorKind::unauthorized, "invalid email or password");
    }
    act_as(attempt, *user);
    // Said only to who knows the password, so it tells nothing to someone guessing.
    if (!user->is_active) {
      attempt.action = "auth.login_failed";
      attempt.outcome = "failure";
      attempt.details["reason"] = "account_deactivated";
      co_await write(ctx.db, [&](store::Tx& tx) { store::audit::append(tx.connection, attempt); });
      throw core::Error(core::ErrorKind::account_deactivated,
                        "this account is deactivated; ask an administrator to activate it again");
    }
    ctx.throttle.succeeded(login, address);
    auto tokens = co_await write(ctx.db, [&](store::Tx& tx) {
      store::audit::append(tx.connection, attempt);
      return auth::issue_tokens(tx.connection, *user, ctx.jwt, ctx.config.refresh_token_ttl_seconds);
    });
    co_return token_answer(request, tokens, *user, session == "cookie", ctx.config.refresh_token_ttl_seconds);
  });

  router.add("POST", "/api/v1/auth/refresh", [&ctx](Request& request) -> asio::awaitable<Response> {
    auto presented = presented_token(request);
    if (!presented)
      throw core::Error(core::ErrorKind::unauthorized,
                        "no refresh token: send the refresh cookie or {\"refresh_token\": ...}, or sign in");
    auto outcome = co_await write(ctx.db, [&](store::Tx& tx) {
      auto outcome =
          auth::rotate_refresh_token(tx.connection, presented->token, ctx.jwt, ctx.config.refresh_token_ttl_seconds);
      // A token that names nobody is not audited: it tested nothing but a random string.
      if (outcome.status != auth::RefreshStatus::invalid) {
        bool reused = outcome.status == auth::RefreshStatus::reused;
        auto entry = audit_entry(request, reused ? "auth.refresh_reused" : "auth.refresh", "user", *outcome.user_id);
        if (reused) entry.outcome = "failure";
        else act_as(entry, *outcome.user);
        store::audit::append(tx.connection, entry);
      }
      return outcome;
    });
    if (outcome.status == auth::RefreshStatus::reused)
      throw core::Error(core::ErrorKind::unauthorized,
                        "this refresh token was already used; its session has been revoked");
    if (outcome.status != auth::RefreshStatus::ok)
      throw core::Error(core::ErrorKind::unauthorized, "the refresh token is invalid or has expired");
    co_return token_answer(request, *outcome.tokens, *outcome.user, presented->from_cookie,
                           ctx.config.refresh_token_ttl_seconds);
  });

  router.add("POST", "/api/v1/auth/logout", [&ctx](Request& request) -> asio::awaitable<Response> {
    // Signed out already (no cookie, no token): nothing to revoke.
    if (auto presented = presented_token(request))
      co_await write(ctx.db, [&](store::Tx& tx) {
        auto user_id = auth::revoke_refresh_token(tx.connection, presented->token);
        if (!user_id) return;
        auto entry = audit_entry(request, "auth.logout", "user", *user_id);
        if (auto user = store::users::find(tx.connection, *user_id)) act_as(entry, *user);
        store::audit::append(tx.connection, entry);
      });
    auto response = Response::no_content();
    response.set_header("Set-Cookie", refresh_cookie_header(request, "", 0));  // the browser forgets it
    co_return response;
  });

  secured(ctx, router, "GET", "/api/v1/users/me", auth::Permission::authenticated,
          [&ctx](Request&, const auth::Principal& who) -> asio::awaitable<Response> {
            auto user = ctx.db.read([&](store::Connection& c) { return store::users::find(c, who.user_id); });
            if (!user) throw core::Error(core::ErrorKind::unauthorized, "this account no longer exists");
            co_return Response::json(200, model::to_json(*user));
          });
}

}  // namespace de::api
