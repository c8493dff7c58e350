// Marketing campaigns, their daily results and the budget optimiser (docs/marketing.md).
// Readers read and ask the optimiser; operators, managers and admins change campaigns.
#include <algorithm>

#include "agents/marketing/campaigns.hpp"
#include "agents/marketing/optimizer.hpp"
#include "api/audit.hpp"
#include "api/context.hpp"
#include "core/money.hpp"
#include "model/model.hpp"

namespace de::api {

namespace {
using auth::Permission;
namespace marketing = agents::marketing;

constexpr std::size_t import_body_limit = 16 * 1024 * 1024;
const marketing::CampaignManager manager;

store::campaigns::Filter read_filter(const Request& request) {
  store::campaigns::Filter filter{request.query("channel"), request.query("status")};
  if (filter.status && std::find(marketing::campaign_statuses.begin(), marketing::campaign_statuses.end(), *filter.status) ==
                            marketing::campaign_statuses.end())
    throw core::Error(core::ErrorKind::bad_request, "status must be one of: draft, active, paused, completed",
                      {{"status", "must be one of: draft, active, paused, completed"}});
  return filter;
}

marketing::Campaign find_campaign(store::Connection& c, const std::string& id) {
  auto campaign = store::campaigns::find(c, id);
  if (!campaign) throw core::not_found("campaign", id);
  return *campaign;
}

json::object campaign_with_totals(store::Connection& c, const std::string& id) {
  auto campaign = find_campaign(c, id);
  return marketing::to_json(campaign, marketing::sum(store::campaigns::results(c, id)));
}

// Stores days read for `campaign` (its currency unchanged meanwhile) and answers what was stored.
asio::awaitable<Response> record(Context& ctx, const marketing::Campaign& campaign,
                                 const std::vector<marketing::DayResult>& days) {
  co_await write(ctx.db, [&](store::Tx& tx) {
    auto now = find_campaign(tx.connection, campaign.id);
    if (now.currency != campaign.currency)
      throw core::Error(core::ErrorKind::conflict, "the campaign's currency changed meanwhile: send the results again");
    manager.record(tx, campaign, days);
  });
  json::object answer;
  answer["campaign_id"] = campaign.id;
  answer["recorded"] = days.size();
  answer["from"] = days.front().day;
  answer["to"] = days.back().day;
  co_return Response::json(200, answer);
}
// A campaign's budget is a setting the budget optimiser and its people steer by: audited.
void audit_budget(store::Tx& tx, const Request& request, const auth::Principal& who, const marketing::Campaign& campaign) {
  audit(tx, request, who, "campaigns.budget_changed", "campaign", campaign.id,
        {{"name", campaign.name}, {"budget", core::format_money(campaign.budget_minor, campaign.currency)},
         {"currency", campaign.currency}});
}
}  // namespace

void add_campaign_routes(Context& ctx, http::Router& router) {
  secured(ctx, router, "GET", "/api/v1/campaigns", Permission::read,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            auto filter = read_filter(request);
            auto page = page_request(request);
            auto body = ctx.db.read([&](store::Connection& c) {
              auto list = store::campaigns::list(c, filter, page);
              auto totals = store::campaigns::totals(c);
              return page_json(list, [&](const marketing::Campaign& campaign) {
                auto it = totals.find(campaign.id);
                return marketing::to_json(campaign, it == totals.end() ? marketing::Totals{} : it->second);
              });
            });
            co_return Response::json(200, body);
          });

  secured(ctx, router, "POST", "/api/v1/campaigns", Permission::manage_campaigns,
          [&ctx](Request& request, const auth::Principal& who) -> asio::awaitable<Response> {
            auto body = json_body(request);
            auto campaign = co_await write(ctx.db, [&](store::Tx& tx) { return manager.create(tx, body, who.user_id); });
            co_return created(marketing::to_json(campaign, marketing::Totals{}), "/api/v1/campaigns/" + campaign.id);
          });

  secured(ctx, router, "POST", "/api/v1/campaigns/budgets", Permission::manage_campaigns,
          [&ctx](Request& request, const auth::Principal& who) -> asio::awaitable<Response> {
            auto body = json_body(request);
            auto changed = co_await write(ctx.db, [&](store::Tx& tx) {
              auto changed = manager.set_budgets(tx, body);
              for (const auto& campaign : changed) audit_budget(tx, request, who, campaign);
              return changed;
            });
            auto answer = ctx.db.read([&](store::Connection& c) {
              json::array items;
              for (const auto& campaign : changed) items.push_back(campaign_with_totals(c, campaign.id));
              return json::object{{"updated", changed.size()}, {"items", std::move(items)}};
            });
            co_return Response::json(200, answer);
          });

  secured(ctx, router, "GET", "/api/v1/campaigns/{id}", Permission::read,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "campaign");
            co_return Response::json(200, ctx.db.read([&](store::Connection& c) { return campaign_with_totals(c, id); }));
          });

  secured(ctx, router, "PATCH", "/api/v1/campaigns/{id}", Permission::manage_campaigns,
          [&ctx](Request& request, const auth::Principal& who) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "campaign");
            auto body = json_body(request);
            co_await write(ctx.db, [&](store::Tx& tx) {
              auto campaign = manager.update(tx, id, body);
              if (body.contains("budget")) audit_budget(tx, request, who, campaign);
            });
            co_return Response::json(200, ctx.db.read([&](store::Connection& c) { return campaign_with_totals(c, id); }));
          });

  secured(ctx, router, "DELETE", "/api/v1/campaigns/{id}", Permission::manage_campaigns,
          [&ctx](Request& request, const auth::Principal& who) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "campaign");
            co_await write(ctx.db, [&](store::Tx& tx) {
              manager.remove(tx, id);
              audit(tx, request, who, "campaigns.deleted", "campaign", id);
            });
            co_return Response::no_content();
          });

  secured(ctx, router, "GET", "/api/v1/campaigns/{id}/results", Permission::read,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "campaign");
            auto body = ctx.db.read([&](store::Connection& c) {
              auto campaign = find_campaign(c, id);
              auto days = store::campaigns::results(c, id);
              json::array items;
              for (const auto& day : days) items.push_back(marketing::to_json(day, campaign.currency));
              auto totals = marketing::sum(days);
              json::object o;
              o["campaign_id"] = id;
              o["currency"] = campaign.currency;
              o["items"] = std::move(items);
              o["totals"] = marketing::to_json(campaign, totals).at("totals");
              o["metrics"] = marketing::metrics(totals, campaign.currency);
              return o;
            });
            co_return Response::json(200, body);
          });

  secured(ctx, router, "POST", "/api/v1/campaigns/{id}/results", Permission::manage_campaigns,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "campaign");
            auto body = json_body(request);
            auto campaign = ctx.db.read([&](store::Connection& c) { return find_campaign(c, id); });
            auto days = marketing::read_results(body, campaign.currency);
            co_return co_await record(ctx, campaign, days);
          });

  secured(
      ctx, router, "POST", "/api/v1/campaigns/{id}/results/import", Permission::manage_campaigns,
      [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
        const auto& id = id_param(request, "campaign");
        auto type = model::lower(std::string(request.header("content-type")));
        if (!type.starts_with("text/csv"))
          throw core::Error(core::ErrorKind::unsupported_media_type, "send the results as CSV with 'Content-Type: text/csv'");
        auto campaign = ctx.db.read([&](store::Connection& c) { return find_campaign(c, id); });
        auto days = co_await on_cpu(ctx, [&] { return marketing::read_results_csv(request.body, campaign.currency); });
        co_return co_await record(ctx, campaign, days);
      },
      import_body_limit);

  secured(ctx, router, "POST", "/api/v1/campaigns/optimize", Permission::read,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            auto body = json_body(request);
            auto answer = co_await on_cpu(ctx, [&] { return marketing::optimize_budget(ctx.db, body, ""); });
            co_return Response::json(200, answer);
          });
}

}  // namespace de::api
