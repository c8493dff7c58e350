// Single sign-on with OpenID Connect (docs/security.md, "Single sign-on (OIDC)"):
// GET /auth/providers, GET /auth/oidc/login, GET /auth/oidc/callback.
#include <boost/asio/this_coro.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>

#include "api/audit.hpp"
#include "api/context.hpp"
#include "auth/crypto.hpp"
#include "auth/sessions.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"
#include "store/oidc_repository.hpp"

namespace de::api {

namespace {
constexpr std::string_view login_path = "/api/v1/auth/oidc/login";
// The browser's half of a login attempt: the state, in a cookie only the callback reads. A
// callback whose state is not this browser's (login CSRF: someone else's code) is refused.
// SameSite=Lax: the callback is a cross-site navigation from the provider.
constexpr std::string_view state_cookie = "de_oidc_state";
constexpr std::string_view state_cookie_path = "/api/v1/auth/oidc";
constexpr std::int64_t attempt_ttl_seconds = 600;
// Serialises the creation of accounts from SSO across nodes (PostgreSQL advisory lock).
constexpr std::int64_t sso_account_lock = 7400521;
// What a user created by SSO has for a password hash: no password verifies against it.
constexpr std::string_view no_password = "!sso";

std::string state_cookie_header(const Request& request, std::string_view value, std::int64_t max_age) {
  auto header = fmt::format("{}={}; Path={}; Max-Age={}; HttpOnly; SameSite=Lax", state_cookie, value,
                            state_cookie_path, max_age);
  if (came_over_tls(request)) header += "; Secure";
  return header;
}

// Back to the dashboard's login page with a code it turns into a message (never the
// provider's text: a forged callback could make it say anything). Why is logged. The state
// cookie is cleared once the attempt is spent, not before: a forged callback must not cancel
// the browser's own attempt.
enum class StateCookie { pending, spent };
Response refused(const Request& request, StateCookie attempt, std::string_view code, std::string_view why) {
  spdlog::warn(R"("msg":"single sign-on refused","reason":"{}","detail":{},"request_id":"{}")", code,
               core::quoted(why), request.request_id);
  auto response = redirect(fmt::format("/?sso_error={}", code));
  if (attempt == StateCookie::spent) response.set_header("Set-Cookie", state_cookie_header(request, "", 0));
  return response;
}

core::Error not_configured() {
  return core::Error(core::ErrorKind::not_found, "single sign-on is not configured (DE_OIDC_ISSUER)");
}

std::string claim(const json::object& claims, std::string_view name) {
  auto* v = claims.if_contains(name);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

// A free user name from the provider's preferred_username or the email's local part.
std::string free_username(store::Connection& c, const json::object& claims, const std::string& email) {
  auto wanted = claim(claims, "preferred_username");
  if (wanted.empty()) wanted = email.substr(0, email.find('@'));
  std::string base;
  for (char ch : wanted)
    if (std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '.' || ch == '-') base += ch;
  base = model::lower(base.substr(0, 48));
  if (base.size() < 3) base = "user-" + base;
  auto name = base;
  for (int n = 2; store::users::find_by_login(c, name); ++n) name = base + "-" + std::to_string(n);
  return name;
}

struct SignIn {
  std::string refusal, why;  // a code for the dashboard and the detail for the log; empty: signed in
  std::optional<auth::TokenPair> tokens;
};

// The user of this identity: linked before, or the account of the same verified email (then
// linked), or a new account. Its roles are the mapped ones, at every login: the provider says
// who is in which group.
// Audited as a password login is (docs/security.md, "Audit log"): `auth.login` or
// `auth.login_failed` with the method, the issuer and the subject; an account made here is
// `users.created`, a role the provider changed `users.role_changed`.
SignIn sign_in(Context& ctx, store::Connection& c, const Request& request, const json::object& claims,
               model::RoleSet roles) {
  const auto& issuer = ctx.config.oidc_issuer;
  auto subject = claim(claims, "sub");
  auto now = core::now_ms();
  auto attempt = audit_entry(request, "auth.login", "user", "", {{"method", "sso"}, {"issuer", issuer}, {"subject", subject}});
  auto refuse = [&](std::string refusal, std::string why) {
    attempt.action = "auth.login_failed";
    attempt.outcome = "failure";
    attempt.details["reason"] = refusal;
    store::audit::append(c, attempt);
    return SignIn{std::move(refusal), std::move(why), {}};
  };
  auto linked_user = [&]() -> std::optional<model::User> {
    auto linked = store::oidc::linked_user(c, issuer, subject);
    return linked ? store::users::find(c, *linked) : std::nullopt;
  };
  auto user = linked_user();
  if (!user) {
    // Only a login that may make or link an account waits for the others (and looks again).
    store::lock_until_commit(c, sso_account_lock);
    user = linked_user();
  }
  if (!user) {
    auto email = model::lower(claim(claims, "email"));
    if (!model::email_problem(email).empty())
      return refuse("email", "the ID token has no usable email claim (ask for the email scope)");
    auto existing = store::users::find_by_login(c, email);
    if (existing && existing->email == email) {
      auto* verified = claims.if_contains("email_verified");
      if (!verified || !verified->is_bool() || !verified->get_bool())
        return refuse("email", "an account with this email exists and the provider does not say the email is verified");
      user = std::move(existing);
    } else if (existing) {
      return refuse("email", "the email is another account's user name");
    } else {
      user = model::User{core::new_id(), email, free_username(c, claims, email), std::string(no_password), roles,
                         true, now, now};
      store::users::insert(c, *user);
      auto created = audit_entry(request, "users.created", "user", user->id, {{"method", "sso"}, {"roles", roles_json(roles)}});
      act_as(created, *user);
      store::audit::append(c, created);
    }
    store::oidc::link(c, issuer, subject, user->id, now);
  }
  attempt.target_id = user->id;
  act_as(attempt, *user);
  if (!user->is_active) return refuse("deactivated", "the account is deactivated");
  if (user->roles != roles) {
    auto changed = audit_entry(request, "users.role_changed", "user", user->id,
                               {{"method", "sso"}, {"from", roles_json(user->roles)}, {"to", roles_json(roles)}});
    act_as(changed, *user);
    store::audit::append(c, changed);
    user->roles = roles;
    user->updated_at = now;
    store::users::update(c, *user);
  }
  store::oidc::touch(c, issuer, subject, now);
  store::audit::append(c, attempt);
  return {"", "", auth::issue_tokens(c, *user, ctx.jwt, ctx.config.refresh_token_ttl_seconds)};
}

}  // namespace

void add_oidc_routes(Context& ctx, http::Router& router) {
  router.add("GET", "/api/v1/auth/providers", [&ctx](Request&) -> asio::awaitable<Response> {
    json::object answer{{"password", true}, {"oidc", ctx.oidc != nullptr}};
    answer["oidc_login_url"] = ctx.oidc ? json::value(login_path) : json::value(nullptr);
    co_return Response::json(200, answer);
  });

  router.add("GET", std::string(login_path), [&ctx](Request& request) -> asio::awaitable<Response> {
    if (!ctx.oidc) throw not_configured();
    auto attempt = auth::oidc::new_attempt();
    auto executor = co_await asio::this_coro::executor;
    std::string location;
    std::string failure;
    try {
      location = co_await ctx.oidc->authorization_url(executor, attempt);
    } catch (const core::Error& e) {
      failure = e.what();
    }
    if (!failure.empty()) co_return refused(request, StateCookie::pending, "provider", failure);
    auto now = core::now_ms();
    store::oidc::LoginAttempt stored{attempt.nonce, attempt.code_verifier, now + attempt_ttl_seconds * 1000};
    auto state_hash = auth::sha256_hex(attempt.state);
    co_await write(ctx.db, [&](store::Tx& tx) { store::oidc::insert_attempt(tx.connection, state_hash, stored, now); });
    auto response = redirect(std::move(location));
    response.set_header("Set-Cookie", state_cookie_header(request, attempt.state, attempt_ttl_seconds));
    co_return response;
  });

  router.add("GET", "/api/v1/auth/oidc/callback", [&ctx](Request& request) -> asio::awaitable<Response> {
    if (!ctx.oidc) throw not_configured();
    auto state = request.query("state").value_or("");
    auto cookie = cookie_value(request, state_cookie).value_or("");
    if (state.empty() || cookie.empty() || !auth::same_secret(state, cookie))
      co_return refused(request, StateCookie::pending, "state",
                        cookie.empty() ? "no login attempt in this browser (state cookie)"
                                       : "the state is not this browser's login attempt");
    auto state_hash = auth::sha256_hex(state);
    auto now = core::now_ms();
    auto stored = co_await write(ctx.db, [&](store::Tx& tx) {
      return store::oidc::take_attempt(tx.connection, state_hash, now);
    });
    if (!stored) co_return refused(request, StateCookie::spent, "state", "the login attempt is unknown, used or expired");
    if (auto error = request.query("error"))
      co_return refused(request, StateCookie::spent, *error == "access_denied" ? "denied" : "provider",
                        "the identity provider answered " + error->substr(0, 64));
    // RFC 9207: a provider that names itself must be ours (a mix-up with another provider).
    if (auto iss = request.query("iss"); iss && *iss != ctx.config.oidc_issuer)
      co_return refused(request, StateCookie::spent, "provider", "the callback's iss is another issuer");
    auto code = request.query("code").value_or("");
    if (code.empty() || code.size() > 2048)
      co_return refused(request, StateCookie::spent, "provider", "the callback has no code");

    auth::oidc::Attempt attempt{state, stored->nonce, stored->code_verifier};
    auto executor = co_await asio::this_coro::executor;
    std::optional<json::object> claims;
    std::string failure, failure_code;
    try {
      claims = co_await ctx.oidc->redeem(executor, code, attempt);
    } catch (const core::Error& e) {
      failure = e.what();
      failure_code = e.kind() == core::ErrorKind::unauthorized ? "token" : "provider";
    }
    if (!claims) co_return refused(request, StateCookie::spent, failure_code, failure);
    auto roles = auth::oidc::map_roles(*claims, ctx.config.oidc_role_claim, ctx.config.oidc_role_map,
                                       ctx.config.oidc_default_role);
    if (!roles)
      co_return refused(request, StateCookie::spent, "no_role",
                        "no value of the claim " + ctx.config.oidc_role_claim + " is in DE_OIDC_ROLE_MAP");
    auto outcome = co_await write(ctx.db, [&](store::Tx& tx) { return sign_in(ctx, tx.connection, request, *claims, roles); });
    if (!outcome.tokens) co_return refused(request, StateCookie::spent, outcome.refusal, outcome.why);
    // The dashboard's session as after a password login: the refresh token in its HttpOnly
    // cookie, which the dashboard exchanges for an access token when it loads. No token in a URL.
    auto response = redirect("/");
    response.headers.emplace_back("Set-Cookie", state_cookie_header(request, "", 0));
    response.headers.emplace_back(
        "Set-Cookie", refresh_cookie_header(request, outcome.tokens->refresh_token, ctx.config.refresh_token_ttl_seconds));
    co_return response;
  });
}

}  // namespace de::api
