#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/thread_pool.hpp>
#include <spdlog/spdlog.h>

#include <chrono>
#include <iostream>
#include <thread>

#include "agents/assistant.hpp"
#include "agents/builtin.hpp"
#include "agents/marketing/generator.hpp"
#include "agents/marketing/marketing_agent.hpp"
#include "agents/product/analyzer.hpp"
#include "agents/product/product_agent.hpp"
#include "agents/sales/sales_agent.hpp"
#include "api/routes.hpp"
#include "app/commands.hpp"
#include "app/platform_tools.hpp"
#include "app/setup.hpp"
#include "core/ids.hpp"
#include "core/json.hpp"
#include "core/log.hpp"
#include "core/outbound.hpp"
#include "http/server.hpp"
#include "http/static_files.hpp"
#include "integrations/connectors.hpp"
#include "integrations/crm/runner.hpp"
#include "integrations/webhooks.hpp"
#include "store/ai_repository.hpp"
#include "store/retention.hpp"

namespace de::app {

int serve(const core::Config& config) {
  auto started = std::chrono::steady_clock::now();
  core::outbound::set_policy(core::outbound::Policy::parse(config.outbound_allow));
  analytics::Registry registry;  // first: the commit thread counts events into it until the database closes
  // Before the database: the writer thread may drop the last reference to an engine's state
  // (a commit callback) while the database closes, and that state's timers need the I/O
  // context's services alive (ThreadSanitizer found the use after free at shutdown).
  boost::asio::io_context io(config.threads);
  auto db = open_database(config, std::size_t(config.threads) + 2);
  first_admin(*db, config);
  bus::MessageRouter bus(*db);
  // Several nodes may share a PostgreSQL database: their WebSocket clients get every node's events.
  std::optional<bus::MessageRouter> cluster_events;
  if (db->dialect() == store::Dialect::postgres)
    cluster_events.emplace(*db, bus::MessageRouter::Source::log, std::chrono::milliseconds(config.event_poll_ms));
  if (db->dialect() == store::Dialect::postgres && (config.jwt_secret.empty() || config.master_key.empty()))
    spdlog::warn(R"("msg":"DE_JWT_SECRET or DE_MASTER_KEY is not set: this node keeps its own in its data folder, so )"
                 R"(other nodes on this database cannot accept its tokens or unseal its secrets; give every node the same")");
  auto& notifications = cluster_events ? *cluster_events : bus;
  boost::asio::thread_pool cpu(std::max(1, config.threads / 2));
  boost::asio::thread_pool workers(std::max(2, config.threads));  // built-in agents' work

  hub::HubOptions hub_options;
  hub_options.node_id = core::new_id().substr(24);
  hub_options.lease = std::chrono::seconds(config.task_lease_seconds);
  hub_options.queue_window = std::size_t(config.queue_window);
  hub_options.single_node = db->dialect() == store::Dialect::sqlite;
  auto ai = start_ai(config, *db);
  agents::sales::LeadScoring leads(*db);
  agents::marketing::register_offline_copywriter();
  // The vendor clients: integration actions of workflows, the API and the agents.
  integrations::Connectors connectors;
  integrations::crm::RunnerOptions sync_options;
  sync_options.node_id = hub_options.node_id;
  sync_options.single_node = hub_options.single_node;
  sync_options.stages.assign(config.pipeline_stages.begin(), config.pipeline_stages.end());
  sync_options.stages.emplace_back("won");
  sync_options.stages.emplace_back("lost");
  // CRM sync runs: on demand (the API, the sales agent's sales.sync_crm) and by schedule.
  integrations::crm::SyncRunner sync_runner(io, *db, ai.master_key, sync_options);
  // Filled once the workflow engine exists, before any task runs (the I/O threads start last).
  std::vector<agents::PlatformTool> tools;
  // Called once the hub runs (start()), for each agent it loads: the hub exists by then.
  hub::OrchestrationHub hub(io, *db, bus, hub_options, [&](const model::Agent& agent) -> std::shared_ptr<hub::Executor> {
    if (agent.type == "assistant") return agents::make_assistant(agent.id, {io, *db, hub, *ai.service, tools});
    if (agent.type == "sales")
      return agents::make_executor(
          agents::sales::make_sales_agent(leads, *db, config, agents::sales::CrmSync{io, sync_runner}), workers);
    if (agent.type == "marketing")
      return agents::make_executor(
          agents::marketing::make_marketing_agent(io, *db, *ai.service, &connectors, ai.master_key), workers);
    if (agent.type == "product_manager")
      return agents::make_executor(agents::make_product_agent(
          agents::ProductServices{*db, ai.service.get(), &connectors, ai.master_key}), workers);
    auto implementation = agents::make_agent(agent.type);
    return implementation ? agents::make_executor(std::move(implementation), workers) : nullptr;
  });
  // Housekeeping that nothing at start waits for: the first batch carries it (a failure is
  // logged by the writer, as for every write nobody waits for).
  db->write([](store::Tx& tx) { store::assistant_runs::remove_finished(tx.connection); }, nullptr);
  hub.start();
  workflow::WorkflowEngine workflows(io, *db, bus, hub, ai.service.get());
  workflows.use_integrations(connectors, ai.master_key);
  workflows.start();
  tools = platform_tools(workflows);
  integrations::WebhookOptions webhook_options;
  webhook_options.retry_ms = config.webhook_retry_ms;
  integrations::WebhookDispatcher webhooks(io, *db, bus, ai.master_key, webhook_options);
  webhooks.start();
  sync_runner.start();
  store::RetentionOptions retention_options;
  retention_options.tasks_days = config.retention_tasks_days;
  retention_options.events_days = config.retention_events_days;
  retention_options.workflow_executions_days = config.retention_workflow_executions_days;
  retention_options.messages_days = config.retention_messages_days;
  retention_options.ai_calls_days = config.retention_ai_calls_days;
  retention_options.archive_dir = config.retention_archive_dir;
  retention_options.interval = std::chrono::seconds(config.retention_interval_seconds);
  store::Retention retention(*db, retention_options);
  retention.start();

  api::Context ctx{config, *db, bus, notifications, hub, workflows, registry, cpu,
                   auth::JwtCodec(jwt_secret(config), config.access_token_ttl_seconds),
                   auth::LoginThrottle()};
  ctx.ai = ai.service.get();
  ctx.ai_providers = ai.providers.get();
  ctx.master_key = ai.master_key;
  ctx.leads = &leads;
  ctx.webhooks = &webhooks;
  ctx.connectors = &connectors;
  ctx.sync_runner = &sync_runner;
  std::optional<auth::oidc::Client> oidc;
  if (!config.oidc_issuer.empty()) {
    oidc.emplace(auth::oidc::Settings{config.oidc_issuer, config.oidc_client_id, config.oidc_client_secret,
                                      config.oidc_redirect_uri, config.oidc_scopes,
                                      std::chrono::seconds(config.oidc_keys_refresh_floor_seconds)});
    ctx.oidc = &*oidc;
  }
  http::Router router;
  api::add_routes(ctx, router);
  router.set_fallback(http::static_files(config.web_root));

  http::ServerOptions options;
  options.listen = config.listen;
  options.timeout = std::chrono::seconds(config.http_timeout_seconds);
  options.cors_origins = config.cors_origins;
  options.trusted_proxies = core::net::parse_networks(config.trusted_proxies, "DE_TRUSTED_PROXIES");
  options.tls_cert_file = config.tls_cert_file;
  options.tls_key_file = config.tls_key_file;
  std::vector<analytics::RouteLabel> slots;
  for (auto& slot : router.slots()) slots.push_back({std::move(slot.method), std::move(slot.path)});
  registry.set_routes(slots);
  options.on_request = [&registry](const http::Request& request, const http::Response& response, double seconds) {
    registry.observe_request(request.slot, response.status, seconds);
  };
  options.on_websocket = [&registry](std::size_t slot, http::ServerOptions::WebSocketChange change) {
    using enum http::ServerOptions::WebSocketChange;
    if (change == opened) registry.websocket_opened(slot);
    else if (change == closed) registry.websocket_closed(slot);
    else registry.websocket_dropped(slot);
  };
  // Tasks by type and status, workflow executions by status: this node's commits.
  bus.subscribe({"tasks.*", "workflows.*"}, [&registry](const model::Event& event) { registry.count_event(event); });
  http::Server server(io, router, options);
  auto port = server.start();
  // The requirement classifier trains now (about 0.2 s of CPU), rather than in the first request,
  // and not before the port is open: on two cores it would take one from the start.
  boost::asio::post(cpu, [] { product::RequirementAnalyzer::shared(); });

  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int signal) {
    spdlog::info(R"("msg":"stopping","signal":{})", signal);
    server.stop();
    io.stop();
  });

  double startup_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  spdlog::info(R"("msg":"listening","address":{},"port":{},"threads":{},"startup_ms":{:.1f})",
               core::quoted(config.listen.host), port, config.threads, startup_ms);
  std::cout << "Digital Enterprise is serving on " << (config.tls_cert_file.empty() ? "http://" : "https://")
            << config.listen.host << ":" << port << std::endl;

  std::vector<std::thread> threads;
  for (int i = 1; i < config.threads; ++i)
    threads.emplace_back([&] {
      core::name_this_thread("de-io");
      io.run();
    });
  core::name_this_thread("de-io");
  io.run();
  for (auto& t : threads) t.join();
  retention.stop();
  workflows.stop();
  hub.stop();
  workers.join();
  cpu.join();
  return 0;
}

}  // namespace de::app
