// Outbound webhook subscriptions (docs/integrations.md): admins only, since a subscription sends
// the platform's events to another system. The signing secret is shown once, when made or
// rotated; it is stored sealed under the master key.
#include "ai/http_client.hpp"
#include "api/audit.hpp"
#include "api/context.hpp"
#include "auth/crypto.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/outbound.hpp"
#include "integrations/webhooks.hpp"
#include "store/webhook_repository.hpp"

namespace de::api {

namespace {
using auth::Permission;
using store::webhooks::Delivery;
using store::webhooks::Subscription;

constexpr std::string_view statuses[] = {"active", "paused"};
constexpr std::string_view delivery_statuses[] = {"delivered", "retrying", "dead"};

json::object to_json(const Subscription& s) {
  json::array topics;
  for (const auto& t : s.topics) topics.emplace_back(t);
  return {{"id", s.id},
          {"url", s.url},
          {"description", s.description},
          {"topics", std::move(topics)},
          {"status", s.status},
          {"cursor", s.cursor},
          {"created_by", s.created_by ? json::value(*s.created_by) : json::value(nullptr)},
          {"created_at", core::format_timestamp(s.created_at)},
          {"updated_at", core::format_timestamp(s.updated_at)}};
}

json::object to_json(const Delivery& d) {
  return {{"id", d.id},
          {"subscription_id", d.subscription_id},
          {"event_id", d.event_id},
          {"webhook_id", "msg_" + std::to_string(d.event_id)},
          {"topic", d.topic},
          {"status", d.status},
          {"attempts", d.attempts},
          {"response_status", d.response_status ? json::value(*d.response_status) : json::value(nullptr)},
          {"error", d.error ? json::value(*d.error) : json::value(nullptr)},
          {"duration_ms", d.duration_ms},
          {"next_attempt_at", core::time_or_null(d.next_attempt_at)},
          {"created_at", core::format_timestamp(d.created_at)},
          {"updated_at", core::format_timestamp(d.updated_at)}};
}

// url, topics, description and status from a body; `creating` makes url and topics required.
void read_fields(core::ObjectReader& r, Subscription& s, bool creating) {
  if (auto url = r.string("url", creating, 2000)) {
    auto host = ai::url_host(*url);
    if (host.empty()) r.error("url", "must be an http:// or https:// URL with a host");
    else if (auto refusal = core::outbound::policy().refusal_for_host(host); !refusal.empty()) r.error("url", refusal);
    s.url = *url;
  }
  if (auto topics = r.strings("topics", creating, 50)) {
    auto valid = [](const std::string& t) {
      return !t.empty() && t.size() <= 200 && t.find_first_of(" \t\r\n") == std::string::npos;
    };
    if (topics->empty() || !std::all_of(topics->begin(), topics->end(), valid))
      r.error("topics", "must be 1 to 50 topic patterns as on /ws/notifications, such as deals.* or *");
    s.topics = std::move(*topics);
  }
  if (auto description = r.string("description", false, 500)) s.description = *description;
  if (auto status = r.choice("status", false, statuses)) s.status = *status;
  r.finish();
}

Subscription find_subscription(store::Connection& c, const std::string& id) {
  auto s = store::webhooks::find(c, id);
  if (!s) throw core::not_found("webhook subscription", id);
  return *s;
}

// The subscription with its secret, the one answer that holds it.
json::object with_secret(const Subscription& s, const std::string& secret) {
  auto o = to_json(s);
  o["secret"] = secret;
  return o;
}

json::value event_data(const Subscription& s) {
  auto o = to_json(s);
  o.erase("cursor");
  return o;
}
}  // namespace

void add_webhook_routes(Context& ctx, http::Router& router) {
  auto follow = [&ctx](const std::string& id) {
    if (ctx.webhooks) ctx.webhooks->reload(id);
  };

  secured(ctx, router, "GET", "/api/v1/webhook-subscriptions", Permission::admin,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            auto page = page_request(request);
            auto list = ctx.db.read([&](store::Connection& c) { return store::webhooks::list(c, page); });
            co_return Response::json(200, page_json(list, [](const auto& item) { return to_json(item); }));
          });

  secured(ctx, router, "POST", "/api/v1/webhook-subscriptions", Permission::admin,
          [&ctx, follow](Request& request, const auth::Principal& who) -> asio::awaitable<Response> {
            auto body = json_body(request);
            Subscription s;
            core::ObjectReader reader(body);
            read_fields(reader, s, true);
            auto secret = integrations::new_webhook_secret();
            s.id = core::new_id();
            s.secret_sealed = auth::seal(ctx.master_key, secret);
            s.created_by = who.user_id;
            s.created_at = s.updated_at = core::now_ms();
            // From now on: the events already in the log are not sent.
            s.cursor = ctx.bus.last_event_id();
            co_await write(ctx.db, [&](store::Tx& tx) {
              store::webhooks::insert(tx.connection, s);
              tx.emit("webhooks.subscription_created", event_data(s));
              audit(tx, request, who, "webhook_subscriptions.created", "webhook_subscription", s.id, {{"url", s.url}});
            });
            follow(s.id);
            co_return created(with_secret(s, secret), "/api/v1/webhook-subscriptions/" + s.id);
          });

  secured(ctx, router, "GET", "/api/v1/webhook-subscriptions/{id}", Permission::admin,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "webhook subscription");
            auto o = ctx.db.read([&](store::Connection& c) {
              auto s = to_json(find_subscription(c, id));
              s["retrying"] = store::webhooks::count_retrying(c, id);
              return s;
            });
            co_return Response::json(200, o);
          });

  secured(ctx, router, "PATCH", "/api/v1/webhook-subscriptions/{id}", Permission::admin,
          [&ctx, follow](Request& request, const auth::Principal& who) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "webhook subscription");
            auto body = json_body(request);
            auto s = co_await write(ctx.db, [&](store::Tx& tx) {
              auto s = find_subscription(tx.connection, id);
              core::ObjectReader reader(body);
              read_fields(reader, s, false);
              s.updated_at = core::now_ms();
              store::webhooks::update(tx.connection, s);
              tx.emit("webhooks.subscription_updated", event_data(s));
              json::array fields;
              for (const auto& field : body) fields.emplace_back(field.key());
              audit(tx, request, who, "webhook_subscriptions.updated", "webhook_subscription", id,
                    {{"url", s.url}, {"fields", std::move(fields)}});
              return s;
            });
            follow(id);
            co_return Response::json(200, to_json(s));
          });

  secured(ctx, router, "DELETE", "/api/v1/webhook-subscriptions/{id}", Permission::admin,
          [&ctx, follow](Request& request, const auth::Principal& who) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "webhook subscription");
            co_await write(ctx.db, [&](store::Tx& tx) {
              if (!store::webhooks::remove(tx.connection, id)) throw core::not_found("webhook subscription", id);
              tx.emit("webhooks.subscription_deleted", json::object{{"id", id}});
              audit(tx, request, who, "webhook_subscriptions.deleted", "webhook_subscription", id);
            });
            follow(id);
            co_return Response::no_content();
          });

  secured(ctx, router, "POST", "/api/v1/webhook-subscriptions/{id}/rotate-secret", Permission::admin,
          [&ctx, follow](Request& request, const auth::Principal& who) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "webhook subscription");
            auto secret = integrations::new_webhook_secret();
            auto s = co_await write(ctx.db, [&](store::Tx& tx) {
              auto s = find_subscription(tx.connection, id);
              s.secret_sealed = auth::seal(ctx.master_key, secret);
              s.updated_at = core::now_ms();
              store::webhooks::update(tx.connection, s);
              tx.emit("webhooks.subscription_updated", event_data(s));
              audit(tx, request, who, "webhook_subscriptions.secret_rotated", "webhook_subscription", id, {{"url", s.url}});
              return s;
            });
            follow(id);
            co_return Response::json(200, with_secret(s, secret));
          });

  secured(ctx, router, "GET", "/api/v1/webhook-subscriptions/{id}/deliveries", Permission::admin,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "webhook subscription");
            auto status = request.query("status");
            if (status && std::find(std::begin(delivery_statuses), std::end(delivery_statuses), *status) ==
                              std::end(delivery_statuses))
              throw core::Error(core::ErrorKind::bad_request, "status must be delivered, retrying or dead",
                                {{"status", "must be delivered, retrying or dead"}});
            auto page = page_request(request);
            auto list = ctx.db.read([&](store::Connection& c) {
              find_subscription(c, id);
              return store::webhooks::deliveries(c, id, status, page);
            });
            co_return Response::json(200, page_json(list, [](const auto& item) { return to_json(item); }));
          });

  secured(ctx, router, "POST", "/api/v1/webhook-subscriptions/{id}/deliveries/{delivery_id}/redeliver",
          Permission::admin, [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "webhook subscription");
            const auto& delivery_id = id_param(request, "webhook delivery", "delivery_id");
            auto d = co_await write(ctx.db, [&](store::Tx& tx) {
              auto d = store::webhooks::find_delivery(tx.connection, delivery_id);
              if (!d || d->subscription_id != id) throw core::not_found("webhook delivery", delivery_id);
              d->status = "retrying";
              d->next_attempt_at = d->updated_at = core::now_ms();
              store::webhooks::record(tx.connection, {*d});
              return *d;
            });
            if (ctx.webhooks) ctx.webhooks->wake_retries();
            co_return Response::json(202, to_json(d));
          });
}

}  // namespace de::api
