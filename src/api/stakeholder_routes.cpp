// Stakeholders, their place on the power/interest grid, and the update drafts made for them from
// the event log (docs/product.md, "Stakeholders"). Every role that reads may read them; writing
// needs manage_stakeholders.
#include "agents/product/product_services.hpp"
#include "agents/product/publishing.hpp"
#include "agents/product/text.hpp"
#include "api/audit.hpp"
#include "api/context.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"
#include "store/product_repository.hpp"

namespace de::api {

namespace {
using auth::Permission;
using store::stakeholders::Stakeholder;

constexpr std::size_t most_topics = 20;

json::object stakeholder_json(const Stakeholder& s) {
  auto o = store::stakeholders::to_json(s);
  o["quadrant"] = product::quadrant_of(int(s.influence), int(s.interest));
  return o;
}

// A stakeholder's fields from a POST (name, influence and interest required) or PATCH body.
void read_stakeholder(const json::object& body, Stakeholder& s, bool creating) {
  core::ObjectReader r(body);
  if (auto name = r.string("name", creating, 200)) {
    if (product::trim(*name).empty()) r.error("name", "must not be empty");
    s.name = *name;
  }
  if (auto role = r.string("role", false, 200)) s.role = *role;
  if (auto influence = r.integer("influence", creating, product::lowest_rating, product::highest_rating)) s.influence = *influence;
  if (auto interest = r.integer("interest", creating, product::lowest_rating, product::highest_rating)) s.interest = *interest;
  if (auto channel = r.choice("channel", false, product::channels)) s.channel = *channel;
  if (const auto* contact = r.any("contact", false)) {
    if (contact->is_null()) s.contact.reset();
    else if (auto text = r.string("contact", false, 320)) s.contact = *text;
  }
  if (auto topics = r.strings("topics", false, most_topics)) s.topics = *topics;
  auto errors = r.take_errors();
  if (s.channel == "email" && s.contact && s.contact->find('@') == std::string::npos)
    errors.push_back({"contact", "must be an email address when the channel is email"});
  core::throw_if_errors(std::move(errors));
}

Stakeholder find_stakeholder(store::Connection& c, const std::string& id) {
  auto s = store::stakeholders::find(c, id);
  if (!s) throw core::not_found("stakeholder", id);
  return *s;
}

store::stakeholder_updates::Update find_update(store::Connection& c, const std::string& id) {
  auto u = store::stakeholder_updates::find(c, id);
  if (!u) throw core::not_found("stakeholder update", id);
  return *u;
}
}  // namespace

void add_stakeholder_routes(Context& ctx, http::Router& router) {
  secured(ctx, router, "GET", "/api/v1/stakeholders", Permission::read,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            auto page = page_request(request);
            auto list = ctx.db.read([&](store::Connection& c) { return store::stakeholders::list(c, page); });
            co_return Response::json(200, page_json(list, stakeholder_json));
          });

  secured(ctx, router, "POST", "/api/v1/stakeholders", Permission::manage_stakeholders,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            Stakeholder s;
            read_stakeholder(json_body(request), s, true);
            s.id = core::new_id();
            s.created_at = s.updated_at = core::now_ms();
            auto data = stakeholder_json(s);
            co_await write(ctx.db, [&](store::Tx& tx) {
              store::stakeholders::insert(tx.connection, s);
              tx.emit("stakeholders.created", data);
            });
            co_return created(data, "/api/v1/stakeholders/" + s.id);
          });

  secured(ctx, router, "GET", "/api/v1/stakeholders/{id}", Permission::read,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "stakeholder");
            co_return Response::json(200, stakeholder_json(ctx.db.read([&](store::Connection& c) { return find_stakeholder(c, id); })));
          });

  secured(ctx, router, "PATCH", "/api/v1/stakeholders/{id}", Permission::manage_stakeholders,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "stakeholder");
            auto body = json_body(request);
            auto s = ctx.db.read([&](store::Connection& c) { return find_stakeholder(c, id); });
            read_stakeholder(body, s, false);
            s.updated_at = core::now_ms();
            auto data = stakeholder_json(s);
            co_await write(ctx.db, [&](store::Tx& tx) {
              if (!store::stakeholders::find(tx.connection, id)) throw core::not_found("stakeholder", id);
              store::stakeholders::update(tx.connection, s);
              tx.emit("stakeholders.updated", data);
            });
            co_return Response::json(200, data);
          });

  secured(ctx, router, "DELETE", "/api/v1/stakeholders/{id}", Permission::manage_stakeholders,
          [&ctx](Request& request, const auth::Principal& who) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "stakeholder");
            co_await write(ctx.db, [&](store::Tx& tx) {
              if (!store::stakeholders::remove(tx.connection, id)) throw core::not_found("stakeholder", id);
              tx.emit("stakeholders.deleted", json::object{{"id", id}});
              audit(tx, request, who, "stakeholders.deleted", "stakeholder", id);
            });
            co_return Response::no_content();
          });

  // Drafts: a person reads them, then sends them (below).
  secured(ctx, router, "POST", "/api/v1/stakeholders/updates", Permission::manage_stakeholders,
          [&ctx](Request& request, const auth::Principal& who) -> asio::awaitable<Response> {
            auto input = agents::read_update_request(json_body(request), core::now_ms());
            std::optional<std::string> created_by = who.user_id;
            auto answer = co_await agents::draft_stakeholder_updates(ctx.db, ctx.ai, input, created_by);
            co_return Response::json(200, answer);
          });

  secured(ctx, router, "GET", "/api/v1/stakeholders/updates", Permission::read,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            auto page = page_request(request);
            auto stakeholder_id = request.query("stakeholder_id");
            if (stakeholder_id && !core::is_uuid(*stakeholder_id))
              throw core::Error(core::ErrorKind::bad_request, "stakeholder_id must be a stakeholder's id (a UUID)");
            auto list = ctx.db.read([&](store::Connection& c) { return store::stakeholder_updates::list(c, stakeholder_id, page); });
            co_return Response::json(200, page_json(list, [](const store::stakeholder_updates::Update& u) {
                                       return store::stakeholder_updates::to_json(u);
                                     }));
          });

  // An update goes out by the stakeholder's channel (email or Slack) through the integration
  // named, or the only active one of that type; the draft becomes sent with the vendor's answer.
  secured(ctx, router, "POST", "/api/v1/stakeholders/updates/{id}/send", Permission::manage_stakeholders,
          [&ctx](Request& request, const auth::Principal& who) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "stakeholder update");
            auto body = request.body.empty() ? json::object() : json_body(request);
            core::ObjectReader r(body);
            agents::SendRequest send{id, r.string("integration", false, 200)};
            r.finish();
            agents::ProductServices services{ctx.db, ctx.ai, &connectors(ctx), ctx.master_key};
            auto data = co_await agents::send_stakeholder_update(services, send, [&](store::Tx& tx) {
              audit(tx, request, who, "stakeholders.update_sent", "stakeholder_update", id);
            });
            co_return Response::json(200, data);
          });

  secured(ctx, router, "GET", "/api/v1/stakeholders/updates/{id}", Permission::read,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "stakeholder update");
            auto u = ctx.db.read([&](store::Connection& c) { return find_update(c, id); });
            co_return Response::json(200, store::stakeholder_updates::to_json(u));
          });
}

}  // namespace de::api
