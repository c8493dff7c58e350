// The sales pipeline (docs/sales.md, "Pipeline and forecast"): deals, their stage history, and
// the forecast. Readers read; operators, managers and admins change deals.
#include <array>
#include <charconv>

#include "agents/sales/forecast.hpp"
#include "api/audit.hpp"
#include "api/context.hpp"

namespace de::api {

namespace {
using auth::Permission;
namespace sales = agents::sales;

constexpr std::array<std::string_view, 5> sort_keys{"created_at", "updated_at", "amount", "expected_close", "name"};

core::Error bad_query(std::string field, std::string message) {
  auto detail = field + " " + message;
  return core::Error(core::ErrorKind::bad_request, detail, {{std::move(field), std::move(message)}});
}

store::deals::Filter read_filter(const Request& request, const sales::Stages& stages) {
  store::deals::Filter filter{request.query("stage"), request.query("owner"), std::nullopt};
  if (filter.stage && std::find(stages.all().begin(), stages.all().end(), *filter.stage) == stages.all().end())
    throw bad_query("stage", "must be one of the pipeline's stages (GET /api/v1/pipeline/forecast lists the open ones), won or lost");
  if (auto status = request.query("status")) {
    if (*status != "open" && *status != "closed") throw bad_query("status", "must be open or closed");
    filter.closed = *status == "closed";
  }
  return filter;
}

store::deals::Sort read_sort(const Request& request) {
  store::deals::Sort sort;
  auto given = request.query("sort");
  if (!given) return sort;
  std::string_view key = *given;
  sort.descending = key.starts_with('-');
  if (sort.descending) key.remove_prefix(1);
  auto it = std::find(sort_keys.begin(), sort_keys.end(), key);
  if (it == sort_keys.end())
    throw bad_query("sort", "must be one of created_at, updated_at, amount, expected_close, name, each with '-' for descending");
  sort.key = store::deals::SortKey(it - sort_keys.begin());
  return sort;
}

// The query as the options a task's input gives (stale_days a number when it is one).
sales::ForecastOptions read_forecast_query(const Request& request, int default_stale_days) {
  json::object input;
  for (const char* key : {"by", "currency", "stale_days"}) {
    auto value = request.query(key);
    if (!value) continue;
    std::int64_t n = 0;
    auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), n);
    if (std::string_view(key) == "stale_days" && ec == std::errc() && end == value->data() + value->size()) input[key] = n;
    else input[key] = *value;
  }
  try {
    return sales::read_forecast_options(input, default_stale_days);
  } catch (const core::Error& e) {
    throw core::Error(core::ErrorKind::bad_request, e.what(), e.fields());
  }
}

json::object deal_with_history(store::Connection& c, const std::string& id) {
  auto deal = store::deals::find(c, id);
  if (!deal) throw core::not_found("deal", id);
  auto o = sales::to_json(*deal);
  json::array history;
  for (const auto& change : store::deals::history(c, id)) history.push_back(sales::to_json(change));
  o["stage_history"] = std::move(history);
  return o;
}
}  // namespace

void add_deal_routes(Context& ctx, http::Router& router) {
  auto pipeline = std::make_shared<const sales::PipelineManager>(ctx.config.pipeline_stages);

  secured(ctx, router, "GET", "/api/v1/deals", Permission::read,
          [&ctx, pipeline](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            auto filter = read_filter(request, pipeline->stages());
            auto sort = read_sort(request);
            auto page = page_request(request);
            auto list = ctx.db.read([&](store::Connection& c) { return store::deals::list(c, filter, sort, page); });
            co_return Response::json(200, page_json(list, [](const sales::Deal& d) { return sales::to_json(d); }));
          });

  secured(ctx, router, "POST", "/api/v1/deals", Permission::manage_deals,
          [&ctx, pipeline](Request& request, const auth::Principal& who) -> asio::awaitable<Response> {
            auto body = json_body(request);
            auto deal = co_await write(ctx.db, [&](store::Tx& tx) { return pipeline->create(tx, body, who.user_id); });
            co_return created(sales::to_json(deal), "/api/v1/deals/" + deal.id);
          });

  secured(ctx, router, "GET", "/api/v1/deals/{id}", Permission::read,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "deal");
            co_return Response::json(200, ctx.db.read([&](store::Connection& c) { return deal_with_history(c, id); }));
          });

  secured(ctx, router, "PATCH", "/api/v1/deals/{id}", Permission::manage_deals,
          [&ctx, pipeline](Request& request, const auth::Principal& who) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "deal");
            auto body = json_body(request);
            auto deal = co_await write(ctx.db, [&](store::Tx& tx) { return pipeline->update(tx, id, body, who.user_id); });
            co_return Response::json(200, sales::to_json(deal));
          });

  secured(ctx, router, "DELETE", "/api/v1/deals/{id}", Permission::manage_deals,
          [&ctx, pipeline](Request& request, const auth::Principal& who) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "deal");
            co_await write(ctx.db, [&](store::Tx& tx) {
              pipeline->remove(tx, id);
              audit(tx, request, who, "deals.deleted", "deal", id);
            });
            co_return Response::no_content();
          });

  secured(ctx, router, "GET", "/api/v1/pipeline/forecast", Permission::read,
          [&ctx, pipeline](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            auto options = read_forecast_query(request, ctx.config.pipeline_stale_days);
            auto forecast = co_await on_cpu(ctx, [&] { return sales::forecast(ctx.db, pipeline->stages(), options); });
            co_return Response::json(200, forecast);
          });
}

}  // namespace de::api
