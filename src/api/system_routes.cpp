#include <fstream>

#include "analytics/summary.hpp"
#include "api/context.hpp"
#include "api/openapi.hpp"
#include "http/static_files.hpp"
#include "store/repositories.hpp"
#include "store/migrations.hpp"

namespace de::api {

namespace {
double resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return double(resident) * 4096.0;
}

void prometheus_tasks_and_agents(store::Connection& c, std::string& out) {
  auto s = analytics::summary(c);
  out += "# HELP de_tasks Tasks by status.\n# TYPE de_tasks gauge\n";
  for (const auto& [status, n] : s["tasks_by_status"].as_object())
    analytics::sample(out, "de_tasks", "status=" + analytics::label_value(status), n.to_number<double>());
  out += "# HELP de_agents Agents by status.\n# TYPE de_agents gauge\n";
  for (const auto& [status, n] : s["agents_by_status"].as_object())
    analytics::sample(out, "de_agents", "status=" + analytics::label_value(status), n.to_number<double>());
  out += "# HELP de_queue_depth Tasks waiting for an agent.\n# TYPE de_queue_depth gauge\n";
  analytics::sample(out, "de_queue_depth", "", s["queue_depth"].to_number<double>());
  analytics::family(out, "de_tasks_waiting", "gauge", "Tasks waiting for an agent (pending or queued), by type.");
  for (const auto& [type, n] : store::tasks::waiting_by_type(c))
    analytics::sample(out, "de_tasks_waiting", "type=" + analytics::label_value(type), double(n));
}

// The store's writer, commit and sync latencies and its read pool.
void store_metrics(store::Database& db, std::string& out) {
  analytics::family(out, "de_store_batches_total", "counter", "Write transactions committed (group commit).");
  analytics::sample(out, "de_store_batches_total", "", double(db.batches_committed()));
  analytics::family(out, "de_store_writes_total", "counter", "Write operations committed.");
  analytics::sample(out, "de_store_writes_total", "", double(db.jobs_committed()));
  analytics::family(out, "de_db_commit_duration_seconds", "histogram", "Time of each COMMIT of the writer's transactions.");
  analytics::histogram(out, "de_db_commit_duration_seconds", "", db.commit_seconds());
  analytics::family(out, "de_db_wal_sync_duration_seconds", "histogram",
                    "Time of each flush of the write-ahead log, one per round of commits (SQLite: fdatasync; "
                    "PostgreSQL: the syncer's synchronous commit).");
  analytics::histogram(out, "de_db_wal_sync_duration_seconds", "", db.sync_seconds());
  auto pool = db.pool_stats();
  analytics::family(out, "de_db_pool_connections", "gauge", "Read connections of the pool, by state (in_use, idle).");
  analytics::sample(out, "de_db_pool_connections", "state=\"in_use\"", double(pool.open - pool.idle));
  analytics::sample(out, "de_db_pool_connections", "state=\"idle\"", double(pool.idle));
  analytics::family(out, "de_db_pool_max_connections", "gauge", "The most read connections the pool opens.");
  analytics::sample(out, "de_db_pool_max_connections", "", double(pool.limit));
  analytics::family(out, "de_db_pool_waits_total", "counter", "Reads that waited for a free connection.");
  analytics::sample(out, "de_db_pool_waits_total", "", double(pool.waits));
}

// The AI services' counters by provider and model (requests sent, failed, tokens, cost).
void ai_metrics(const ai::AiService& service, std::string& out) {
  auto counters = service.usage();
  auto family = [&](const char* name, const char* type, const char* help, auto value, const char* extra = "") {
    out.append("# HELP ").append(name).append(" ").append(help).append("\n# TYPE ").append(name).append(" ").append(type).append("\n");
    for (const auto& c : counters) {
      std::string labels = "provider=" + analytics::label_value(c.provider) + ",model=" + analytics::label_value(c.model);
      value(labels + extra, c);
    }
  };
  family("de_ai_requests_total", "counter", "Requests sent to AI providers.",
         [&](const std::string& labels, const ai::UsageCounter& c) { analytics::sample(out, "de_ai_requests_total", labels, double(c.requests)); });
  family("de_ai_errors_total", "counter", "Requests to AI providers that failed.",
         [&](const std::string& labels, const ai::UsageCounter& c) { analytics::sample(out, "de_ai_errors_total", labels, double(c.errors)); });
  family("de_ai_tokens_total", "counter", "Tokens sent to and received from AI providers.",
         [&](const std::string& labels, const ai::UsageCounter& c) {
           analytics::sample(out, "de_ai_tokens_total", labels + ",direction=\"input\"", double(c.input_tokens));
           analytics::sample(out, "de_ai_tokens_total", labels + ",direction=\"output\"", double(c.output_tokens));
         });
  family("de_ai_cost_usd_total", "counter", "What AI calls cost, from the price table.",
         [&](const std::string& labels, const ai::UsageCounter& c) { analytics::sample(out, "de_ai_cost_usd_total", labels, c.cost_usd); });
}
}  // namespace

void add_system_routes(Context& ctx, http::Router& router) {
  router.add("GET", "/healthz", [](Request&) -> asio::awaitable<Response> {
    co_return Response::json(200, {{"status", "ok"}});
  });

  // Ready: the database answers and holds every migration this binary knows (a node started
  // on a schema that an operator rolled back, or restored from an older backup, is not).
  router.add("GET", "/readyz", [&ctx](Request&) -> asio::awaitable<Response> {
    std::vector<int> missing;
    try {
      missing = ctx.db.read([](store::Connection& c) { return store::missing_migrations(c); });
    } catch (const std::exception& e) {
      throw core::Error(core::ErrorKind::unavailable, std::string("database unreachable: ") + e.what());
    }
    if (!missing.empty()) {
      std::string versions;
      for (int v : missing) versions += (versions.empty() ? "" : ", ") + std::to_string(v);
      throw core::Error(core::ErrorKind::unavailable,
                        "the database lacks migrations " + versions + ": run `digital-enterprise migrate`");
    }
    co_return Response::json(200, {{"status", "ready"}});
  });

  router.add("GET", "/metrics", [&ctx](Request&) -> asio::awaitable<Response> {
    std::string out;
    ctx.registry.render(out);
    ctx.db.read([&](store::Connection& c) { prometheus_tasks_and_agents(c, out); });
    store_metrics(ctx.db, out);
    analytics::family(out, "de_task_lease_takeovers_total", "counter",
                      "Running tasks this node put back (or failed) because their lease ran out: a crashed node's, a vanished agent's.");
    analytics::sample(out, "de_task_lease_takeovers_total", "", double(ctx.hub.lease_takeovers()));
    out += "# HELP de_events_last_id Id of the newest published event.\n# TYPE de_events_last_id gauge\n";
    analytics::sample(out, "de_events_last_id", "", double(ctx.bus.last_event_id()));
    if (ctx.ai) ai_metrics(*ctx.ai, out);
    out += "# HELP process_resident_memory_bytes Resident memory.\n# TYPE process_resident_memory_bytes gauge\n";
    analytics::sample(out, "process_resident_memory_bytes", "", resident_bytes());
    Response r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = std::move(out);
    co_return r;
  });

  // The interactive API reference (Swagger UI on the document above), a page of the web build.
  router.add("GET", "/api/docs", http::static_page(ctx.config.web_root, "api-docs.html"));

  router.add("GET", "/api/v1/openapi.json", [](Request&) -> asio::awaitable<Response> {
    Response r;
    r.body = std::string(openapi_document());
    co_return r;
  });
}

}  // namespace de::api
