#pragma once
// What every API handler works with, and the helpers they share.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <memory>
#include <type_traits>

#include "agents/sales/scoring.hpp"
#include "ai/registry.hpp"
#include "ai/service.hpp"
#include "analytics/registry.hpp"
#include "api/messaging.hpp"
#include "auth/jwt.hpp"
#include "auth/rate_limit.hpp"
#include "auth/oidc_client.hpp"
#include "auth/rbac.hpp"
#include "auth/throttle.hpp"
#include "bus/router.hpp"
#include "core/config.hpp"
#include "core/json.hpp"
#include "http/router.hpp"
#include "hub/hub.hpp"
#include "workflow/engine.hpp"
#include "store/database.hpp"
#include "store/write.hpp"
#include "store/repositories.hpp"

namespace de::integrations {
class WebhookDispatcher;
class Connectors;
namespace crm {
class SyncRunner;
}
}

namespace de::api {

namespace asio = boost::asio;
namespace json = boost::json;
using http::Request;
using http::Response;

struct Context {
  const core::Config& config;
  store::Database& db;
  bus::MessageRouter& bus;
  // What WebSocket clients get: this node's events on SQLite, every node's on PostgreSQL.
  bus::MessageRouter& notifications;
  hub::OrchestrationHub& hub;
  workflow::WorkflowEngine& workflows;
  analytics::Registry& registry;
  asio::thread_pool& cpu;  // Argon2id and other CPU-heavy work, off the I/O threads
  auth::JwtCodec jwt;
  auth::LoginThrottle throttle;
  AgentConnections connections;
  // Requests per user or API key and minute (DE_RATE_LIMIT_PER_MINUTE), behind `secured`.
  auth::RateLimiter rate_limit;
  // The AI services layer, set by serve (absent where a context only lists the routes).
  ai::AiService* ai = nullptr;
  ai::ProviderRegistry* ai_providers = nullptr;
  std::string master_key;  // seals provider keys stored through the API
  // Lead scores and models (absent where a context only lists the routes).
  agents::sales::LeadScoring* leads = nullptr;
  // Outbound webhooks: told when a subscription changes (absent where a context only lists the routes).
  integrations::WebhookDispatcher* webhooks = nullptr;
  // The vendor clients: credential checks and actions (absent where a context only lists the routes).
  integrations::Connectors* connectors = nullptr;
  // CRM sync runs, on demand and scheduled (absent where a context only lists the routes).
  integrations::crm::SyncRunner* sync_runner = nullptr;
  // Single sign-on's identity provider: set by serve when DE_OIDC_ISSUER is (docs/security.md).
  auth::oidc::Client* oidc = nullptr;
};

// The vendor clients, or 503 where they are not running.
integrations::Connectors& connectors(Context& ctx);

// A handler that runs after authentication and the permission check.
using AuthedHandler = std::function<asio::awaitable<Response>(Request&, const auth::Principal&)>;

// Registers `handler` behind authentication, the caller's rate limit and `permission`;
// missing or bad credentials give 401, a spent rate limit 429, a role without the permission 403.
// `body_limit`: as http::Router::add.
void secured(Context& ctx, http::Router& router, std::string method, std::string path,
             auth::Permission permission, AuthedHandler handler, std::size_t body_limit = 0);

// The caller from `Authorization: Bearer` or `X-API-Key`; throws unauthorized.
auth::Principal authenticate(Context& ctx, const Request& request);

// The JSON object body; 415 when not JSON, 400 when malformed.
json::object json_body(const Request& request);
// A query parameter that is an RFC 3339 timestamp (ms since the epoch), `fallback` when absent;
// 400 naming it when malformed.
std::int64_t time_query(const Request& request, const char* key, std::int64_t fallback);
// An integer query parameter from `min` to `max`, nullopt when absent; 400 naming it otherwise.
std::optional<std::int64_t> integer_query(const Request& request, const char* key, std::int64_t min, std::int64_t max);
// ?limit= and ?cursor=
store::PageRequest page_request(const Request& request);
// A path id that must be a UUID, else 404 naming the resource.
const std::string& id_param(const Request& request, std::string_view resource,
                            std::string_view name = "id");
// A person's decision on an approval ({"approved", "comment"}), with who made it (their email).
struct Decision {
  bool approved = false;
  std::string comment, by;
};
Decision read_decision(Context& ctx, const Request& request, const auth::Principal& who);
// Forbidden unless `who` has `role` (the approval's deciding role) or is an admin.
void require_decider(const auth::Principal& who, std::string_view role);

Response created(const json::value& body, const std::string& location);
Response created(std::string json_text, const std::string& location);

// `view` makes each item's JSON (a caller's view of it, such as one without its secrets).
template <class T, class View>
json::object page_json(const store::Page<T>& page, View view) {
  json::array items;
  for (const auto& item : page.items) items.push_back(view(item));
  return {{"items", std::move(items)},
          {"next_cursor", page.next_cursor ? json::value(*page.next_cursor) : json::value(nullptr)}};
}

template <class T>
json::object page_json(const store::Page<T>& page) {
  return page_json(page, [](const T& item) { return to_json(item); });
}

using store::write;

// Runs `fn` on the CPU pool and comes back to the caller's executor.
template <class F>
asio::awaitable<std::invoke_result_t<F>> on_cpu(Context& ctx, F fn) {
  auto executor = co_await asio::this_coro::executor;
  co_await asio::post(ctx.cpu, asio::use_awaitable);
  std::exception_ptr error;
  using R = std::invoke_result_t<F>;
  if constexpr (std::is_void_v<R>) {
    try {
      fn();
    } catch (...) {
      error = std::current_exception();
    }
    co_await asio::post(executor, asio::use_awaitable);
    if (error) std::rethrow_exception(error);
  } else {
    std::optional<R> result;
    try {
      result.emplace(fn());
    } catch (...) {
      error = std::current_exception();
    }
    co_await asio::post(executor, asio::use_awaitable);
    if (error) std::rethrow_exception(error);
    co_return std::move(*result);
  }
}

// Whether the client came over TLS: to this server (DE_TLS_CERT_FILE), or to a TLS proxy in
// front of it, which says so with X-Forwarded-Proto. Cookies are Secure then.
bool came_over_tls(const Request& request);
// The dashboard's session cookie (the refresh token, HttpOnly) as a Set-Cookie value;
// `max_age` 0 makes the browser forget it.
std::string refresh_cookie_header(const Request& request, std::string_view value, std::int64_t max_age);
// The value of the cookie `name` the request carries.
std::optional<std::string> cookie_value(const Request& request, std::string_view name);

// A 302 to `location` (the browser's next page). Edge adds Cache-Control: no-store and
// Referrer-Policy: no-referrer to every API answer, so the page the browser leaves, which may
// carry a provider's code, is not sent on.
Response redirect(std::string location);

// A record's free-form attributes (leads, companies): at most 500, each a string of up to
// 10,000 characters, a number, a boolean or null. Adds an error per problem, named under `field`.
inline constexpr std::size_t most_attributes = 500, longest_attribute = 10000;
void check_attributes(const json::object& attributes, const std::string& field, std::vector<core::FieldError>& errors);

// Route groups.
void add_system_routes(Context& ctx, http::Router& router);
void add_auth_routes(Context& ctx, http::Router& router);
void add_oidc_routes(Context& ctx, http::Router& router);
void add_user_routes(Context& ctx, http::Router& router);
void add_api_key_routes(Context& ctx, http::Router& router);
void add_agent_routes(Context& ctx, http::Router& router);
void add_task_routes(Context& ctx, http::Router& router);
void add_analytics_routes(Context& ctx, http::Router& router);
void add_message_routes(Context& ctx, http::Router& router);
void add_workflow_routes(Context& ctx, http::Router& router);
void add_ai_routes(Context& ctx, http::Router& router);
void add_webhook_routes(Context& ctx, http::Router& router);
void add_integration_routes(Context& ctx, http::Router& router);
void add_sync_routes(Context& ctx, http::Router& router);
void add_deal_routes(Context& ctx, http::Router& router);
void add_lead_routes(Context& ctx, http::Router& router);
void add_company_routes(Context& ctx, http::Router& router);
void add_content_routes(Context& ctx, http::Router& router);
void add_campaign_routes(Context& ctx, http::Router& router);
void add_requirement_routes(Context& ctx, http::Router& router);
void add_stakeholder_routes(Context& ctx, http::Router& router);
void add_websocket_routes(Context& ctx, http::Router& router);
void add_audit_routes(Context& ctx, http::Router& router);

}  // namespace de::api
