#include "api/context.hpp"
#include "core/ids.hpp"

namespace de::api {

void add_message_routes(Context& ctx, http::Router& router) {
  using auth::Permission;
  secured(ctx, router, "GET", "/api/v1/messages", Permission::read,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            auto page = page_request(request);
            auto agent = request.query("agent_id");
            if (agent && !core::is_uuid(*agent))
              throw core::Error(core::ErrorKind::bad_request, "agent_id must be an agent id (UUID)");
            auto messages = ctx.db.read([&](store::Connection& c) { return store::messages::list(c, agent, page); });
            co_return Response::json(200, page_json(messages));
          });

  secured(ctx, router, "POST", "/api/v1/messages", Permission::run_tasks,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            auto message = read_message(json_body(request), std::nullopt);
            co_await write(ctx.db, [&](store::Tx& tx) { store_message(tx, message); });
            deliver(ctx.db, ctx.connections, message);
            co_return created(model::to_json(message), "/api/v1/messages/" + message.id);
          });
}

}  // namespace de::api
