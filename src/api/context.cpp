#include "api/context.hpp"

#include <fmt/format.h>

#include <charconv>
#include <chrono>

#include "auth/sessions.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"

namespace de::api {

auth::Principal authenticate(Context& ctx, const Request& request) {
  auto authorization = request.header("authorization");
  if (!authorization.empty()) {
    constexpr std::string_view scheme = "Bearer ";
    if (authorization.size() <= scheme.size() ||
        !std::equal(scheme.begin(), scheme.end(), authorization.begin(),
                    [](char a, char b) { return std::tolower(a) == std::tolower(b); }))
      throw core::Error(core::ErrorKind::unauthorized, "the Authorization header must be 'Bearer <token>'");
    auto claims = ctx.jwt.verify(std::string(authorization.substr(scheme.size())));
    if (!claims)
      throw core::Error(core::ErrorKind::unauthorized, "the access token is invalid or has expired");
    return {claims->user_id, claims->roles, std::nullopt};
  }
  auto key = request.header("x-api-key");
  if (!key.empty()) {
    auto record = ctx.db.read(
        [&](store::Connection& c) { return auth::find_api_key(c, std::string(key)); });
    if (!record) throw core::Error(core::ErrorKind::unauthorized, "the API key is invalid or revoked");
    // Recording last use is best effort and must not slow the request down.
    auto now = core::now_ms();
    if (!record->last_used_at || now - *record->last_used_at > 60000) {
      ctx.db.write([id = record->id, now](store::Tx& tx) { store::api_keys::touch(tx.connection, id, now); },
                   nullptr);
    }
    return {record->user_id, record->roles, record->id, record->rate_limit_per_minute};
  }
  throw core::Error(core::ErrorKind::unauthorized,
                    "credentials required: send 'Authorization: Bearer <token>' or 'X-API-Key'");
}

namespace {
// Counts the request against its API key (at the key's own limit when it has one), else its
// user; the state goes out on the answer, whatever it is (the three fields of
// draft-ietf-httpapi-ratelimit-headers up to draft 06).
void limit_rate(Context& ctx, const auth::Principal& who, Request& request) {
  int per_minute = who.rate_limit_per_minute.value_or(ctx.config.rate_limit_per_minute);
  if (per_minute <= 0) return;
  auto now = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch());
  auto decision = ctx.rate_limit.take(who.api_key_id ? *who.api_key_id : who.user_id, per_minute, now.count());
  request.response_headers.emplace_back("RateLimit-Limit", std::to_string(decision.limit));
  request.response_headers.emplace_back("RateLimit-Remaining", std::to_string(decision.remaining));
  request.response_headers.emplace_back("RateLimit-Reset", std::to_string(decision.reset_seconds));
  if (decision.allowed) return;
  core::Error error(core::ErrorKind::too_many_requests,
                    std::string(who.api_key_id ? "this API key" : "this user") + " has made more than " +
                        std::to_string(decision.limit) + " requests in a minute; retry after " +
                        std::to_string(decision.retry_after_seconds) + " s");
  error.retry_after_seconds = decision.retry_after_seconds;
  throw error;
}
}  // namespace

void secured(Context& ctx, http::Router& router, std::string method, std::string path,
             auth::Permission permission, AuthedHandler handler, std::size_t body_limit) {
  router.add(std::move(method), std::move(path),
             [&ctx, permission, handler = std::move(handler)](Request& request) -> asio::awaitable<Response> {
               auto principal = authenticate(ctx, request);
               limit_rate(ctx, principal, request);
               if (!auth::allowed(principal.roles, permission))
                 throw core::Error(core::ErrorKind::forbidden, "your role does not allow this action");
               co_return co_await handler(request, principal);
             },
             body_limit);
}

json::object json_body(const Request& request) {
  auto type = request.header("content-type");
  auto base = type.substr(0, type.find(';'));
  while (!base.empty() && base.back() == ' ') base.remove_suffix(1);
  bool is_json = base.size() >= 16 && std::equal(base.begin(), base.begin() + 16, "application/json",
                                                 [](char a, char b) { return std::tolower(a) == b; }) &&
                 base.size() == 16;
  if (!is_json)
    throw core::Error(core::ErrorKind::unsupported_media_type,
                      "send the body as JSON with 'Content-Type: application/json'");
  return core::parse_object(request.body);
}

std::int64_t time_query(const Request& request, const char* key, std::int64_t fallback) {
  auto text = request.query(key);
  if (!text) return fallback;
  auto t = core::parse_timestamp(*text);
  if (!t) throw core::Error(core::ErrorKind::bad_request, std::string(key) + " must be an RFC 3339 timestamp");
  return *t;
}

std::optional<std::int64_t> integer_query(const Request& request, const char* key, std::int64_t min, std::int64_t max) {
  auto text = request.query(key);
  if (!text) return std::nullopt;
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), n);
  if (ec != std::errc() || end != text->data() + text->size() || n < min || n > max)
    throw core::Error(core::ErrorKind::bad_request,
                      fmt::format("{} must be an integer from {} to {}", key, min, max));
  return n;
}

store::PageRequest page_request(const Request& request) {
  store::PageRequest page;
  page.limit = integer_query(request, "limit", 1, 500).value_or(page.limit);
  if (auto cursor = request.query("cursor"); cursor && !cursor->empty()) {
    if (!core::is_uuid(*cursor)) throw core::Error(core::ErrorKind::bad_request, "cursor is not valid");
    page.cursor = *cursor;
  }
  return page;
}

const std::string& id_param(const Request& request, std::string_view resource, std::string_view name) {
  const auto& id = request.param(name);
  if (!core::is_uuid(id)) throw core::not_found(resource, id);
  return id;
}

Decision read_decision(Context& ctx, const Request& request, const auth::Principal& who) {
  auto body = json_body(request);
  core::ObjectReader r(body);
  Decision d;
  d.approved = r.boolean("approved", true).value_or(false);
  d.comment = r.string("comment", false, 2000).value_or("");
  r.finish();
  auto user = ctx.db.read([&](store::Connection& c) { return store::users::find(c, who.user_id); });
  d.by = user ? user->email : who.user_id;
  return d;
}

void require_decider(const auth::Principal& who, std::string_view role) {
  auto needed = model::parse_role(role);
  if (needed && !who.has(*needed) && !who.has(model::Role::admin))
    throw core::Error(core::ErrorKind::forbidden, "this approval needs the " + std::string(role) + " role");
}

Response created(const json::value& body, const std::string& location) {
  return created(core::to_text(body), location);
}

Response created(std::string json_text, const std::string& location) {
  auto r = Response::json_text(201, std::move(json_text));
  r.set_header("Location", location);
  return r;
}

void check_attributes(const json::object& attributes, const std::string& field, std::vector<core::FieldError>& errors) {
  if (attributes.size() > most_attributes)
    errors.push_back({field, "must have at most " + std::to_string(most_attributes) + " attributes"});
  for (const auto& [key, value] : attributes) {
    if (value.is_object() || value.is_array())
      errors.push_back({field + "." + std::string(key), "must be a string, a number, a boolean or null"});
    else if (value.is_string() && value.get_string().size() > longest_attribute)
      errors.push_back({field + "." + std::string(key), "must be at most " + std::to_string(longest_attribute) + " characters"});
  }
}

Response redirect(std::string location) {
  Response response;
  response.status = 302;
  response.content_type.clear();
  response.set_header("Location", std::move(location));
  return response;
}

}  // namespace de::api
