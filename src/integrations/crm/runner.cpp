#include "integrations/crm/runner.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "core/clock.hpp"
#include "core/duration.hpp"
#include "core/error.hpp"
#include "core/json.hpp"
#include "integrations/crm/sync.hpp"
#include "store/write.hpp"

namespace de::integrations::crm {

namespace asio = boost::asio;
using store::Tx;
using store::sync::IntegrationRow;
using store::sync::Run;

namespace {
// The integration's schedule, when its config sets one (checked when it was saved).
std::optional<std::int64_t> every_ms(const IntegrationRow& integration) {
  const auto* every = integration.config.if_contains("sync_every");
  if (!every || !every->is_string()) return std::nullopt;
  return core::parse_duration_ms(every->get_string());
}
}  // namespace

SyncRunner::SyncRunner(asio::io_context& io, store::Database& db, std::string master_key, RunnerOptions options)
    : io_(io), db_(db), master_key_(std::move(master_key)), options_(std::move(options)) {}

void SyncRunner::start() {
  if (options_.single_node)
    db_.write_sync([](Tx& tx) { store::sync::interrupt_running(tx.connection, true, core::now_ms()); });
  asio::co_spawn(io_, run_schedule(), asio::detached);
}

// What a run calls: throws bad_request for an integration without usable credentials or base URL.
struct SyncRunner::Prepared {
  Endpoint endpoint;
  std::unique_ptr<Client> client;
};

SyncRunner::Prepared SyncRunner::prepare(const IntegrationRow& integration) {
  Prepared prepared{endpoint_for(integration, master_key_), nullptr};
  prepared.client = make_client(io_.get_executor(), prepared.endpoint);
  return prepared;
}

asio::awaitable<Run> SyncRunner::run_now(const std::string& integration_id) {
  auto integration = db_.read([&](store::Connection& c) { return store::sync::integration(c, integration_id); });
  if (!integration) throw core::not_found("integration", integration_id);
  if (!integration->is_active) throw core::Error(core::ErrorKind::conflict, "the integration is not active");
  auto prepared = std::make_shared<Prepared>(prepare(*integration));  // before a run is recorded
  RunStart start{"manual", options_.node_id, options_.lease.count(), std::nullopt};
  auto begin = [&](Tx& tx) { return begin_run(tx, integration_id, start); };
  auto run = co_await store::write(db_, begin);
  asio::co_spawn(io_, run_and_hold(std::move(prepared), *run), asio::detached);
  co_return *run;
}

asio::awaitable<void> SyncRunner::run_schedule() {
  asio::steady_timer timer(io_);
  std::vector<IntegrationRow> scheduled;
  for (;;) {
    timer.expires_after(options_.tick);
    co_await timer.async_wait(asio::use_awaitable);
    // Read first: a write (begin_run, which checks again in its transaction) only for what is due.
    try {
      scheduled = db_.read([](store::Connection& c) {
        std::vector<IntegrationRow> due;
        auto now = core::now_ms();
        for (auto& integration : store::sync::active_crm_integrations(c))
          if (auto every = every_ms(integration); every && sync_due(c, integration.id, *every, now))
            due.push_back(std::move(integration));
        return due;
      });
    } catch (const std::exception& e) {
      scheduled.clear();
      spdlog::warn(R"("msg":"sync schedule: could not read the integrations","error":{})", core::quoted(e.what()));
    }
    for (std::size_t i = 0; i < scheduled.size(); ++i) co_await run_if_due(scheduled[i]);
  }
}

asio::awaitable<void> SyncRunner::run_if_due(const IntegrationRow& integration) {
  RunStart start{"schedule", options_.node_id, options_.lease.count(), every_ms(integration)};
  std::optional<Run> run;
  auto begin = [&](Tx& tx) { return begin_run(tx, integration.id, start); };
  try {
    run = co_await store::write(db_, begin);
  } catch (const std::exception& e) {
    // A conflict: a run of it goes on (here, or begun by another node a moment ago); the next tick looks again.
    const auto* error = dynamic_cast<const core::Error*>(&e);
    if (!error || error->kind() != core::ErrorKind::conflict)
      spdlog::warn(R"("msg":"sync schedule: could not begin a run","integration":{},"error":{})",
                   core::quoted(integration.id), core::quoted(e.what()));
  }
  if (!run) co_return;
  std::shared_ptr<Prepared> prepared;
  std::optional<std::string> error;
  try {
    prepared = std::make_shared<Prepared>(prepare(integration));
  } catch (const std::exception& e) {
    error = e.what();  // its credentials went bad since it was saved: the run says so
  }
  if (prepared) {
    asio::co_spawn(io_, run_and_hold(std::move(prepared), std::move(*run)), asio::detached);
    co_return;
  }
  auto finishing = finish_run(db_, std::move(*run), std::move(error));
  co_await std::move(finishing);
}

asio::awaitable<void> SyncRunner::run_and_hold(std::shared_ptr<Prepared> prepared, Run run) {
  using namespace asio::experimental::awaitable_operators;
  SyncOptions sync_options;
  sync_options.stages = options_.stages;
  auto run_id = run.id;
  auto syncing = run_sync(db_, *prepared->client, prepared->endpoint, std::move(run), std::move(sync_options));
  auto holding = renew(std::move(run_id));
  auto either = std::move(syncing) || std::move(holding);
  co_await std::move(either);
}

asio::awaitable<void> SyncRunner::renew(std::string run_id) {
  asio::steady_timer timer(io_);
  std::int64_t until = 0;
  auto extend = [&](Tx& tx) { return store::sync::renew_lease(tx.connection, run_id, options_.node_id, until); };
  for (;;) {
    timer.expires_after(options_.lease / 3);
    co_await timer.async_wait(asio::use_awaitable);
    until = core::now_ms() + options_.lease.count();
    try {
      if (!co_await store::write(db_, extend))
        spdlog::warn(R"("msg":"a sync run's lease was lost (the node stalled past it): another run may begin","run":{})",
                     core::quoted(run_id));
    } catch (const std::exception& e) {
      spdlog::warn(R"("msg":"could not renew a sync run's lease","run":{},"error":{})", core::quoted(run_id),
                   core::quoted(e.what()));
    }
  }
}

}  // namespace de::integrations::crm
