// CRM sync (docs/integrations.md, "CRM sync"): a run of an integration on demand, its history,
// and the conflicts runs found, for a person to resolve. Managers and admins run and resolve
// (as they manage integrations); every reading role sees runs and conflicts.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <mutex>
#include <set>

#include "api/context.hpp"
#include "integrations/crm/sync.hpp"
#include "store/sync_repository.hpp"

namespace de::api {

namespace {
using auth::Permission;
namespace crm = integrations::crm;

constexpr std::string_view conflict_statuses[] = {"open", "resolved"};
constexpr std::string_view resolutions[] = {"local", "remote"};

// The integrations with a run in this process: one at a time each.
struct Running {
  std::mutex mutex;
  std::set<std::string> ids;
  bool claim(const std::string& id) {
    std::lock_guard lock(mutex);
    return ids.insert(id).second;
  }
  void release(const std::string& id) {
    std::lock_guard lock(mutex);
    ids.erase(id);
  }
};

store::sync::IntegrationRow find_integration(store::Connection& c, const std::string& id) {
  auto found = store::sync::integration(c, id);
  if (!found) throw core::not_found("integration", id);
  return *found;
}

asio::awaitable<void> run_in_background(Context& ctx, std::shared_ptr<Running> running, std::unique_ptr<crm::Client> client,
                                        crm::Endpoint endpoint, store::sync::Run run) {
  // However the run ends, the integration may run again.
  auto release = std::shared_ptr<void>(nullptr, [running, id = endpoint.integration_id](void*) { running->release(id); });
  crm::SyncOptions options;
  options.stages.assign(ctx.config.pipeline_stages.begin(), ctx.config.pipeline_stages.end());
  options.stages.emplace_back("won");
  options.stages.emplace_back("lost");
  co_await crm::run_sync(ctx.db, *client, endpoint, std::move(run), std::move(options));
}
}  // namespace

void add_sync_routes(Context& ctx, http::Router& router) {
  auto running = std::make_shared<Running>();

  secured(ctx, router, "POST", "/api/v1/integrations/{id}/sync", Permission::manage_integrations,
          [&ctx, running](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "integration");
            auto integration = ctx.db.read([&](store::Connection& c) { return find_integration(c, id); });
            if (!integration.is_active) throw core::Error(core::ErrorKind::conflict, "the integration is not active");
            auto endpoint = crm::endpoint_for(integration, ctx.master_key);
            auto executor = co_await asio::this_coro::executor;
            auto client = crm::make_client(executor, endpoint);  // a bad base URL or credentials: 400 now
            if (!running->claim(id)) throw core::Error(core::ErrorKind::conflict, "a sync of this integration is running");
            std::optional<store::sync::Run> run;
            try {
              run = co_await write(ctx.db, [&](store::Tx& tx) { return crm::begin_run(tx, id); });
            } catch (...) {
              running->release(id);
              throw;
            }
            asio::co_spawn(executor, run_in_background(ctx, running, std::move(client), std::move(endpoint), *run),
                           asio::detached);
            co_return Response::json(202, store::sync::to_json(*run));
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
