// Marketing content, its A/B results and analysis, and the brand voice (docs/marketing.md).
#include "agents/marketing/ab_test.hpp"
#include "agents/marketing/generator.hpp"
#include "api/audit.hpp"
#include "api/context.hpp"
#include "core/clock.hpp"
#include "store/content_repository.hpp"

namespace de::api {

namespace {
using auth::Permission;
namespace marketing = agents::marketing;
using store::content::Content;

constexpr std::int64_t most_count = 1000000000;

Content find_content(store::Connection& c, const std::string& id) {
  auto found = store::content::find(c, id);
  if (!found) throw core::not_found("content", id);
  return *found;
}

struct ResultsRow {
  std::int64_t variant = 0;
  marketing::VariantResults counts;
};

// {"results":[{"variant","sends","opens","clicks","conversions"}]}: counts to add.
std::vector<ResultsRow> read_results(const json::object& body) {
  core::ObjectReader r(body);
  std::vector<ResultsRow> rows;
  const auto* results = r.any("results", true);
  if (results && (!results->is_array() || results->get_array().empty() || results->get_array().size() > 100))
    r.error("results", "must be an array of 1 to 100 objects {variant, sends, opens, clicks, conversions}");
  else if (results)
    for (std::size_t i = 0; i < results->get_array().size(); ++i) {
      const auto& item = results->get_array()[i];
      auto field = "results[" + std::to_string(i) + "]";
      if (!item.is_object()) {
        r.error(field, "must be an object {variant, sends, opens, clicks, conversions}");
        continue;
      }
      core::ObjectReader v(item.get_object(), r.field_name(field));
      ResultsRow row;
      row.variant = v.integer("variant", true, 0, marketing::most_variants - 1).value_or(0);
      row.counts.sends = v.integer("sends", false, 0, most_count).value_or(0);
      row.counts.opens = v.integer("opens", false, 0, most_count).value_or(0);
      row.counts.clicks = v.integer("clicks", false, 0, most_count).value_or(0);
      row.counts.conversions = v.integer("conversions", false, 0, most_count).value_or(0);
      for (auto& e : v.take_errors()) r.errors().push_back(std::move(e));
      rows.push_back(row);
    }
  r.finish();
  return rows;
}

// Adds the rows to the stored counts; a variant the piece lacks, or totals where opens,
// clicks or conversions would exceed sends, reject the whole request.
void add_results(store::Tx& tx, const std::string& id, const std::vector<ResultsRow>& rows) {
  auto content = find_content(tx.connection, id);
  std::vector<core::FieldError> errors;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& row = rows[i];
    auto field = "results[" + std::to_string(i) + "]";
    if (row.variant >= std::int64_t(content.variants.size())) {
      errors.push_back({field + ".variant", "this piece has " + std::to_string(content.variants.size()) + " variant(s)"});
      continue;
    }
    if (!store::content::add_results(tx.connection, id, row.variant, row.counts.sends, row.counts.opens,
                                     row.counts.clicks, row.counts.conversions))
      throw core::not_found("content", id);
  }
  core::throw_if_errors(std::exchange(errors, {}));  // errors stays usable (empty) below
  for (const auto& v : find_content(tx.connection, id).variants)
    if (v.opens > v.sends || v.clicks > v.sends || v.conversions > v.sends)
      errors.push_back({"results", "variant " + std::to_string(v.index) +
                                       " would have more opens, clicks or conversions than sends in total"});
  core::throw_if_errors(std::move(errors));
  json::object event{{"id", id}, {"variants", rows.size()}};
  tx.emit("content.results_recorded", std::move(event));
}

json::object analysis_of(const Content& content) {
  std::vector<marketing::VariantResults> results;
  for (const auto& v : content.variants) results.push_back({v.sends, v.opens, v.clicks, v.conversions});
  auto analysis = marketing::analyse(results);
  analysis["id"] = content.id;
  return analysis;
}

ai::AiService& ai_service(Context& ctx) {
  if (!ctx.ai) throw core::Error(core::ErrorKind::unavailable, "the AI services layer is not running");
  return *ctx.ai;
}
}  // namespace

void add_content_routes(Context& ctx, http::Router& router) {
  secured(ctx, router, "GET", "/api/v1/content", Permission::read,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            auto page = page_request(request);
            auto list = ctx.db.read([&](store::Connection& c) { return store::content::list(c, page); });
            co_return Response::json(200, page_json(list, [](const Content& c) { return store::content::to_json(c); }));
          });

  secured(ctx, router, "POST", "/api/v1/content", Permission::manage_content,
          [&ctx](Request& request, const auth::Principal& who) -> asio::awaitable<Response> {
            auto body = json_body(request);
            auto spec = ctx.db.read([&](store::Connection& c) { return marketing::read_content_request(body, c); });
            auto generation = marketing::generation_context(ctx.db, ai_service(ctx), who.user_id);
            auto content = co_await marketing::generate_content(generation, spec);
            co_return created(store::content::to_json(content), "/api/v1/content/" + content.id);
          });

  secured(ctx, router, "GET", "/api/v1/content/{id}", Permission::read,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "content");
            auto content = ctx.db.read([&](store::Connection& c) { return find_content(c, id); });
            co_return Response::json(200, store::content::to_json(content));
          });

  secured(ctx, router, "POST", "/api/v1/content/{id}/results", Permission::manage_content,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "content");
            auto rows = read_results(json_body(request));
            co_await write(ctx.db, [&](store::Tx& tx) { add_results(tx, id, rows); });
            auto content = ctx.db.read([&](store::Connection& c) { return find_content(c, id); });
            co_return Response::json(200, store::content::to_json(content));
          });

  secured(ctx, router, "GET", "/api/v1/content/{id}/analysis", Permission::read,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "content");
            auto content = ctx.db.read([&](store::Connection& c) { return find_content(c, id); });
            auto analysis = co_await on_cpu(ctx, [&] { return analysis_of(content); });
            co_return Response::json(200, analysis);
          });

  secured(ctx, router, "GET", "/api/v1/brand-voice", Permission::read,
          [&ctx](Request&, const auth::Principal&) -> asio::awaitable<Response> {
            auto voice = ctx.db.read([](store::Connection& c) { return marketing::load_brand_voice(c); });
            co_return Response::json(200, marketing::to_json(voice));
          });

  secured(ctx, router, "PUT", "/api/v1/brand-voice", Permission::manage_brand_voice,
          [&ctx](Request& request, const auth::Principal& who) -> asio::awaitable<Response> {
            auto voice = marketing::read_brand_voice(json_body(request));
            auto settings = marketing::to_json(voice);
            co_await write(ctx.db, [&](store::Tx& tx) {
              store::brand_voice::save(tx.connection, settings, who.user_id, core::now_ms());
              tx.emit("content.brand_voice_updated", settings);
              audit(tx, request, who, "brand_voice.changed", "brand_voice", "", {{"settings", settings}});
            });
            co_return Response::json(200, settings);
          });
}

}  // namespace de::api
