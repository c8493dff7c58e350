#include "api/audit.hpp"
#include "api/context.hpp"
#include "auth/sessions.hpp"

namespace de::api {

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
            r.finish();
            auto created_key = co_await write(ctx.db, [&](store::Tx& tx) {
              auto made = auth::create_api_key(tx.connection, who.user_id, *name, *roles);
              audit(tx, request, who, "api_keys.created", "api_key", made.record.id,
                    {{"name", made.record.name}, {"prefix", made.record.prefix},
                     {"roles", store::api_keys::to_json(made.record).at("roles")}});
              return made;
            });
            auto out = store::api_keys::to_json(created_key.record);
            out["key"] = created_key.key;
            co_return created(out, "/api/v1/api-keys/" + created_key.record.id);
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
