#include <chrono>
#include <cmath>
#include <mutex>

#include "agents/sales/forecast.hpp"
#include "analytics/summary.hpp"
#include "api/context.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"

namespace de::api {

namespace {
constexpr double max_metric_value = 1e15;

// The summary's forecast, kept while no deal has changed (at most `max_age`).
class PipelineValues {
 public:
  std::optional<json::object> get() {
    std::lock_guard lock(mutex_);
    if (forecast_ && std::chrono::steady_clock::now() - kept_at_ > max_age) forecast_.reset();
    return forecast_;
  }
  void keep(json::object forecast) {
    std::lock_guard lock(mutex_);
    forecast_ = std::move(forecast);
    kept_at_ = std::chrono::steady_clock::now();
  }
  void forget() {
    std::lock_guard lock(mutex_);
    forecast_.reset();
  }

 private:
  static constexpr std::chrono::seconds max_age{10};
  std::mutex mutex_;
  std::optional<json::object> forecast_;
  std::chrono::steady_clock::time_point kept_at_;
};

// The open pipeline in USD, as the pipeline forecast has it (docs/sales.md).
void add_pipeline_values(json::object& summary, const json::object& forecast) {
  const auto& open = forecast.at("open").as_object();
  summary["pipeline_value"] = std::stod(std::string(open.at("amount").as_string()));
  summary["weighted_pipeline_value"] = std::stod(std::string(open.at("weighted").as_string()));
}
}  // namespace

void add_analytics_routes(Context& ctx, http::Router& router) {
  using auth::Permission;
  secured(ctx, router, "GET", "/api/v1/analytics/metrics", Permission::read,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            store::metrics::Query q;
            auto name = request.query("name");
            if (!name || name->empty()) throw core::Error(core::ErrorKind::bad_request, "name is required");
            q.name = *name;
            q.agent_id = request.query("agent_id");
            if (q.agent_id && !core::is_uuid(*q.agent_id))
              throw core::Error(core::ErrorKind::bad_request, "agent_id must be an agent id (UUID)");
            auto now = core::now_ms();
            q.to = time_query(request, "to", now + 1);
            q.from = time_query(request, "from", q.to - 24 * 3600 * 1000);
            if (q.from >= q.to) throw core::Error(core::ErrorKind::bad_request, "from must be before to");
            auto bucket = request.query("bucket").value_or("1m");
            if (bucket == "1m") q.bucket_ms = 60000;
            else if (bucket == "1h") q.bucket_ms = 3600000;
            else if (bucket == "1d") q.bucket_ms = 86400000;
            else throw core::Error(core::ErrorKind::bad_request, "bucket must be 1m, 1h or 1d");
            q.agg = request.query("agg").value_or("sum");
            if (q.agg != "sum" && q.agg != "avg" && q.agg != "min" && q.agg != "max" && q.agg != "count")
              throw core::Error(core::ErrorKind::bad_request, "agg must be sum, avg, min, max or count");
            if ((q.to - q.from) / q.bucket_ms > 10000)
              throw core::Error(core::ErrorKind::bad_request, "the range holds more than 10000 buckets; use a larger bucket");
            auto points = ctx.db.read([&](store::Connection& c) { return store::metrics::series(c, q); });
            json::array series;
            for (const auto& p : points)
              series.push_back({{"t", core::format_timestamp(p.t)},
                                {"value", std::isfinite(p.value) ? json::value(p.value) : json::value(nullptr)}});
            co_return Response::json(200, {{"name", q.name}, {"bucket", bucket}, {"agg", q.agg}, {"series", series}});
          });

  secured(ctx, router, "POST", "/api/v1/analytics/metrics", Permission::record_metrics,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            auto body = json_body(request);
            core::ObjectReader r(body);
            model::Metric m;
            m.name = r.string("name", true, 200).value_or("");
            m.value = r.number("value", true).value_or(0);
            // Bounded so that sums over any realistic series stay finite on both backends.
            if (std::fabs(m.value) > max_metric_value) r.error("value", "must be between -1e15 and 1e15");
            m.agent_id = r.string("agent_id", false, 36);
            if (m.agent_id && !core::is_uuid(*m.agent_id)) r.error("agent_id", "must be a UUID");
            if (const auto* tags = r.object("tags", false)) m.tags = *tags;
            auto at = r.string("recorded_at", false, 40);
            if (at && !core::parse_timestamp(*at)) r.error("recorded_at", "must be an RFC 3339 timestamp");
            r.finish();
            m.recorded_at = at ? *core::parse_timestamp(*at) : core::now_ms();
            co_await write(ctx.db, [&](store::Tx& tx) { store::metrics::insert(tx.connection, m); });
            json::object out{{"name", m.name},
                             {"value", m.value},
                             {"agent_id", m.agent_id ? json::value(*m.agent_id) : json::value(nullptr)},
                             {"tags", m.tags},
                             {"recorded_at", core::format_timestamp(m.recorded_at)}};
            co_return Response::json(201, out);
          });

  // The forecast reads every deal and its history: kept until a deal changes on this node, or
  // for 10 s (a change made on another node), so the summary stays cheap to poll.
  auto pipeline = std::make_shared<PipelineValues>();
  ctx.bus.subscribe({"deals.*"}, [pipeline](const model::Event&) { pipeline->forget(); });
  secured(ctx, router, "GET", "/api/v1/analytics/summary", Permission::read,
          [&ctx, pipeline](Request&, const auth::Principal&) -> asio::awaitable<Response> {
            auto s = ctx.db.read([](store::Connection& c) { return analytics::summary(c); });
            auto forecast = pipeline->get();
            if (!forecast) {
              agents::sales::ForecastOptions options;
              options.stale_days = ctx.config.pipeline_stale_days;
              forecast = co_await on_cpu(ctx, [&] {
                return agents::sales::forecast(ctx.db, agents::sales::Stages(ctx.config.pipeline_stages), options);
              });
              pipeline->keep(*forecast);
            }
            add_pipeline_values(s, *forecast);
            co_return Response::json(200, s);
          });
}

}  // namespace de::api
