#include "api/audit.hpp"
#include "api/context.hpp"
#include "auth/sessions.hpp"

namespace de::api {

namespace {
// A key's own request rate: a number of requests a minute (0: no limit), or null for the
// server's DE_RATE_LIMIT_PER_MINUTE. nullopt when the body does not name it.
std::optional<std::optional<int>> read_rate_limit(core::ObjectReader& r, const json::object& body) {
  auto given = body.if_contains("rate_limit_per_minute");
  auto limit = r.integer("rate_limit_per_minute", false, 0, 1'000'000'000);
  if (!given) return std::nullopt;
  return limit ? std::optional<int>(int(*limit)) : std::nullopt;
}
}  // namespace

void add_api_key_routes(Context& ctx, http::Router& router) {
  using auth::Permission;
  secured(ctx, router, "GET", "/api/v1/api-keys", Permission::admin,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            auto page = page_request(request);
            auto keys = ctx.db.read([&](store::Connection& c) { return store::api_keys::list(c, page); });
            co_return Response::json(200, page_json(keys));
          });

  secured(ctx, router, "POST", "/api/v1/api-keys", Permission::admin,
          [&ctx](Request& request, const auth::Principal& who) -> asio::awaitable<Response> {
            auto body = json_body(request);
            core::ObjectReader r(body);
            auto name = r.string("name", true, 100);
            auto roles = model::read_roles(r, "roles", true);
            auto rate_limit = read_rate_limit(r, body).value_or(std::nullopt);
            r.finish();
            auto created_key = co_await write(ctx.db, [&](store::Tx& tx) {
              auto made = auth::create_api_key(tx.connection, who.user_id, *name, *roles, rate_limit);
              auto shown = store::api_keys::to_json(made.record);
              audit(tx, request, who, "api_keys.created", "api_key", made.record.id,
                    {{"name", made.record.name}, {"prefix", made.record.prefix}, {"roles", shown.at("roles")},
                     {"rate_limit_per_minute", shown.at("rate_limit_per_minute")}});
              return made;
            });
            auto out = store::api_keys::to_json(created_key.record);
            out["key"] = created_key.key;
            co_return created(out, "/api/v1/api-keys/" + created_key.record.id);
          });

  secured(ctx, router, "PATCH", "/api/v1/api-keys/{id}", Permission::admin,
          [&ctx](Request& request, const auth::Principal& who) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "API key");
            auto body = json_body(request);
            core::ObjectReader r(body);
            auto name = r.string("name", false, 100);
            auto rate_limit = read_rate_limit(r, body);
            r.finish();
            auto changed = co_await write(ctx.db, [&](store::Tx& tx) {
              auto key = store::api_keys::find(tx.connection, id);
              if (!key) throw core::not_found("API key", id);
              if (name) key->name = *name;
              if (rate_limit) key->rate_limit_per_minute = *rate_limit;
              store::api_keys::update(tx.connection, id, key->name, key->rate_limit_per_minute);
              auto shown = store::api_keys::to_json(*key);
              audit(tx, request, who, "api_keys.updated", "api_key", id,
                    {{"name", key->name}, {"prefix", key->prefix},
                     {"rate_limit_per_minute", shown.at("rate_limit_per_minute")}});
              return shown;
            });
            co_return Response::json(200, changed);
          });

  secured(ctx, router, "DELETE", "/api/v1/api-keys/{id}", Permission::admin,
          [&ctx](Request& request, const auth::Principal& who) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "API key");
            co_await write(ctx.db, [&](store::Tx& tx) {
              auto key = store::api_keys::find(tx.connection, id);
              if (!key || !store::api_keys::remove(tx.connection, id)) throw core::not_found("API key", id);
              audit(tx, request, who, "api_keys.revoked", "api_key", id, {{"name", key->name}, {"prefix", key->prefix}});
            });
            co_return Response::no_content();
          });
}

}  // namespace de::api
