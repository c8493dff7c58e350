// CRM sync (docs/integrations.md, "CRM sync"): a run of an integration on demand (scheduled
// runs begin in crm::SyncRunner), its history, and the conflicts runs found, for a person to resolve. Managers and admins run and resolve
// (as they manage integrations); every reading role sees runs and conflicts.
#include "api/context.hpp"
#include "integrations/crm/runner.hpp"
#include "integrations/crm/sync.hpp"
#include "store/sync_repository.hpp"

namespace de::api {

namespace {
using auth::Permission;
namespace crm = integrations::crm;

constexpr std::string_view conflict_statuses[] = {"open", "resolved"};
constexpr std::string_view resolutions[] = {"local", "remote"};

store::sync::IntegrationRow find_integration(store::Connection& c, const std::string& id) {
  auto found = store::sync::integration(c, id);
  if (!found) throw core::not_found("integration", id);
  return *found;
}

}  // namespace

void add_sync_routes(Context& ctx, http::Router& router) {
  secured(ctx, router, "POST", "/api/v1/integrations/{id}/sync", Permission::manage_integrations,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "integration");
            auto run = co_await ctx.sync_runner->run_now(id);
            co_return Response::json(202, store::sync::to_json(run));
          });

  secured(ctx, router, "GET", "/api/v1/integrations/{id}/sync-runs", Permission::read,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "integration");
            auto page = page_request(request);
            auto runs = ctx.db.read([&](store::Connection& c) {
              find_integration(c, id);
              return store::sync::runs(c, id, page);
            });
            co_return Response::json(200, page_json(runs, [](const auto& r) { return store::sync::to_json(r); }));
          });

  secured(ctx, router, "GET", "/api/v1/sync-conflicts", Permission::read,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            auto status = request.query("status");
            if (status && std::find(std::begin(conflict_statuses), std::end(conflict_statuses), *status) == std::end(conflict_statuses))
              throw core::validation_error("status", "must be open or resolved");
            auto page = page_request(request);
            auto conflicts = ctx.db.read([&](store::Connection& c) { return store::sync::conflicts(c, status, page); });
            co_return Response::json(200, page_json(conflicts, [](const auto& x) { return store::sync::to_json(x); }));
          });

  secured(ctx, router, "POST", "/api/v1/sync-conflicts/{id}/resolve", Permission::manage_integrations,
          [&ctx](Request& request, const auth::Principal& who) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "sync conflict");
            auto body = json_body(request);
            core::ObjectReader reader(body);
            auto value = reader.choice("value", true, resolutions);
            reader.finish();
            auto resolved = co_await write(ctx.db, [&](store::Tx& tx) { return crm::resolve_conflict(tx, id, *value, who.user_id); });
            co_return Response::json(200, store::sync::to_json(resolved));
          });
}

}  // namespace de::api
