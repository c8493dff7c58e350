// The AI services layer's routes (docs/ai.md): prompt templates with immutable versions, and
// the usage report.
#include <array>

#include "ai/prompt.hpp"
#include "api/context.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"
#include "store/ai_repository.hpp"

namespace de::api {

namespace {
using auth::Permission;
constexpr std::array<std::string_view, 4> usage_groups{"agent", "model", "provider", "day"};

bool valid_prompt_name(std::string_view name) {
  return !name.empty() && name.size() <= 100 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
  });
}

// A version's template and variables from a body, checked against each other.
store::prompts::Version read_version(core::ObjectReader& r, const json::object& body, const auth::Principal& who) {
  store::prompts::Version v;
  v.template_text = r.string("template", true, ai::max_template_bytes).value_or("");
  std::vector<ai::PromptVariable> variables;
  if (const auto* given = r.any("variables", false)) variables = ai::read_variables(*given, "variables", r.errors());
  if (!body.contains("template")) return v;
  ai::check_template(v.template_text, variables, "template", r.errors());
  v.variables = ai::to_json(variables);
  v.created_by = who.user_id;
  v.created_at = core::now_ms();
  return v;
}

store::prompts::Prompt find_prompt(store::Connection& c, const std::string& id) {
  auto p = store::prompts::find(c, id);
  if (!p) throw core::not_found("prompt", id);
  return *p;
}

json::object with_versions(store::Connection& c, const store::prompts::Prompt& p) {
  auto o = store::prompts::to_json(p);
  json::array versions;
  for (const auto& v : store::prompts::versions(c, p.id)) versions.push_back(store::prompts::to_json(v, p.active_version));
  o["versions"] = std::move(versions);
  return o;
}

std::vector<ai::PromptVariable> variables_of(const store::prompts::Version& v) {
  std::vector<core::FieldError> stored_errors;  // stored versions were checked when written
  return ai::read_variables(v.variables, "variables", stored_errors);
}
}  // namespace

void add_ai_routes(Context& ctx, http::Router& router) {
  secured(ctx, router, "GET", "/api/v1/prompts", Permission::read,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            auto page = page_request(request);
            auto list = ctx.db.read([&](store::Connection& c) { return store::prompts::list(c, page); });
            co_return Response::json(200, page_json(list));
          });

  secured(ctx, router, "POST", "/api/v1/prompts", Permission::manage_prompts,
          [&ctx](Request& request, const auth::Principal& who) -> asio::awaitable<Response> {
            auto body = json_body(request);
            core::ObjectReader r(body);
            store::prompts::Prompt p;
            p.name = r.string("name", true, 100).value_or("");
            if (body.contains("name") && body.at("name").is_string() && !valid_prompt_name(p.name))
              r.error("name", "lowercase letters, digits, '_', '.' and '-', at most 100 characters");
            p.description = r.string("description", false, 2000).value_or("");
            p.active = read_version(r, body, who);
            r.finish();
            p.id = core::new_id();
            p.created_by = who.user_id;
            p.created_at = p.updated_at = p.active.created_at;
            auto created_prompt = co_await write(ctx.db, [&](store::Tx& tx) {
              if (store::prompts::find_by_name(tx.connection, p.name))
                throw core::Error(core::ErrorKind::conflict, "a prompt named '" + p.name + "' exists: add a version to it");
              store::prompts::insert(tx.connection, p);
              tx.emit("prompts.created", json::object{{"id", p.id}, {"name", p.name}, {"version", 1}});
              return with_versions(tx.connection, p);
            });
            co_return created(created_prompt, "/api/v1/prompts/" + p.id);
          });

  secured(ctx, router, "GET", "/api/v1/prompts/{id}", Permission::read,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "prompt");
            co_return Response::json(200, ctx.db.read([&](store::Connection& c) { return with_versions(c, find_prompt(c, id)); }));
          });

  secured(ctx, router, "DELETE", "/api/v1/prompts/{id}", Permission::manage_prompts,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "prompt");
            co_await write(ctx.db, [&](store::Tx& tx) {
              if (!store::prompts::remove(tx.connection, id)) throw core::not_found("prompt", id);
              tx.emit("prompts.deleted", json::object{{"id", id}});
            });
            co_return Response::no_content();
          });

  // A new version, immutable like every other; active only when asked ("activate": true).
  secured(ctx, router, "POST", "/api/v1/prompts/{id}/versions", Permission::manage_prompts,
          [&ctx](Request& request, const auth::Principal& who) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "prompt");
            auto body = json_body(request);
            core::ObjectReader r(body);
            auto version = read_version(r, body, who);
            bool activate = r.boolean("activate", false).value_or(false);
            r.finish();
            auto prompt = co_await write(ctx.db, [&](store::Tx& tx) {
              find_prompt(tx.connection, id);
              auto number = store::prompts::add_version(tx.connection, id, version);
              if (activate) store::prompts::activate(tx.connection, id, number, version.created_at);
              tx.emit("prompts.updated", json::object{{"id", id}, {"version", number}, {"activated", activate}});
              return with_versions(tx.connection, find_prompt(tx.connection, id));
            });
            co_return Response::json(201, prompt);
          });

  secured(ctx, router, "POST", "/api/v1/prompts/{id}/activate", Permission::manage_prompts,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "prompt");
            auto body = json_body(request);
            core::ObjectReader r(body);
            auto version = r.integer("version", true, 1, 1000000);
            r.finish();
            auto prompt = co_await write(ctx.db, [&](store::Tx& tx) {
              find_prompt(tx.connection, id);
              if (!store::prompts::activate(tx.connection, id, *version, core::now_ms()))
                throw core::Error(core::ErrorKind::validation, "the prompt has no version " + std::to_string(*version),
                                  {{"version", "no such version"}});
              tx.emit("prompts.updated", json::object{{"id", id}, {"version", *version}, {"activated", true}});
              return with_versions(tx.connection, find_prompt(tx.connection, id));
            });
            co_return Response::json(200, prompt);
          });

  // A preview: the active version (or "version") rendered with the variables given.
  secured(ctx, router, "POST", "/api/v1/prompts/{id}/render", Permission::read,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "prompt");
            auto body = json_body(request);
            core::ObjectReader r(body);
            const auto* values = r.object("variables", true);
            auto number = r.integer("version", false, 1, 1000000);
            r.finish();
            auto [name, version] = ctx.db.read([&](store::Connection& c) {
              auto p = find_prompt(c, id);
              auto v = number ? store::prompts::version(c, id, *number) : std::optional(p.active);
              if (!v) throw core::not_found("prompt version", std::to_string(*number));
              return std::make_pair(p.name, *v);
            });
            auto text = ai::render(version.template_text, variables_of(version), *values);
            co_return Response::json(200, {{"name", name}, {"version", version.version}, {"text", text}});
          });

  secured(ctx, router, "GET", "/api/v1/ai/usage", Permission::read,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            auto group = request.query("group_by").value_or("model");
            auto known = std::find(usage_groups.begin(), usage_groups.end(), group);
            if (known == usage_groups.end())
              throw core::Error(core::ErrorKind::bad_request, "group_by must be agent, model, provider or day");
            auto to = time_query(request, "to", core::now_ms() + 1);
            auto from = time_query(request, "from", to - 30LL * 24 * 3600 * 1000);
            if (from >= to) throw core::Error(core::ErrorKind::bad_request, "from must be before to");
            auto by = static_cast<store::ai_calls::GroupBy>(known - usage_groups.begin());
            auto rows = ctx.db.read([&](store::Connection& c) { return store::ai_calls::usage(c, by, from, to); });
            json::array items;
            store::ai_calls::UsageRow total;
            double latency_sum = 0;
            for (const auto& row : rows) {
              items.push_back({{"key", row.key ? json::value(*row.key) : json::value(nullptr)},
                               {"requests", row.requests},
                               {"errors", row.errors},
                               {"input_tokens", row.input_tokens},
                               {"output_tokens", row.output_tokens},
                               {"cost_usd", row.cost_usd},
                               {"latency_ms_avg", row.latency_ms_avg}});
              total.requests += row.requests;
              total.errors += row.errors;
              total.input_tokens += row.input_tokens;
              total.output_tokens += row.output_tokens;
              total.cost_usd += row.cost_usd;
              latency_sum += row.latency_ms_avg * double(row.requests);
            }
            json::object totals{{"requests", total.requests},
                                {"errors", total.errors},
                                {"input_tokens", total.input_tokens},
                                {"output_tokens", total.output_tokens},
                                {"cost_usd", total.cost_usd},
                                {"latency_ms_avg", total.requests ? latency_sum / double(total.requests) : 0.0}};
            co_return Response::json(200, {{"group_by", group},
                                           {"from", core::format_timestamp(from)},
                                           {"to", core::format_timestamp(to)},
                                           {"items", std::move(items)},
                                           {"totals", std::move(totals)}});
          });
}

}  // namespace de::api
