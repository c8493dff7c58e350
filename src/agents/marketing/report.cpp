#include "agents/marketing/report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "agents/marketing/campaigns.hpp"
#include "core/json.hpp"
#include "core/money.hpp"

namespace de::agents::marketing {

namespace json = boost::json;

namespace {
constexpr std::size_t movers = 3;

struct Period {
  std::int64_t first = 0, last = 0;  // day numbers, inclusive
};

Totals within(const std::vector<DayResult>& days, Period p) {
  std::vector<DayResult> in;
  for (const auto& d : days)
    if (auto n = day_number(d.day); n && *n >= p.first && *n <= p.last) in.push_back(d);
  return sum(in);
}

std::optional<double> change(double now, double before) {
  if (before == 0) return std::nullopt;
  return (now - before) / before;
}

json::value change_json(std::int64_t now, std::int64_t before) {
  auto c = change(double(now), double(before));
  return c ? json::value(std::round(*c * 10000) / 10000) : json::value(nullptr);
}

json::object period_json(const Totals& t, std::string_view currency) {
  return {{"days_with_results", t.days},
          {"spend", core::format_money(t.spend_minor, currency)},
          {"impressions", t.impressions},
          {"clicks", t.clicks},
          {"conversions", t.conversions},
          {"revenue", core::format_money(t.revenue_minor, currency)},
          {"metrics", metrics(t, currency)}};
}

json::object comparison(const Totals& now, const Totals& before, std::string_view currency) {
  return {{"current", period_json(now, currency)},
          {"previous", period_json(before, currency)},
          {"change",
           {{"spend", change_json(now.spend_minor, before.spend_minor)},
            {"clicks", change_json(now.clicks, before.clicks)},
            {"conversions", change_json(now.conversions, before.conversions)},
            {"revenue", change_json(now.revenue_minor, before.revenue_minor)}}}};
}

// "+12.5%" against the previous period, or "new" when it had none.
std::string movement(double now, double before) {
  auto c = change(now, before);
  if (!c) return now == 0 ? "unchanged at 0" : "none the period before";
  return fmt::format("{:+.1f}%", *c * 100);
}

std::string cpa_text(const Totals& t, std::string_view currency) {
  if (t.conversions == 0) return "no conversions";
  return core::format_money(std::llround(double(t.spend_minor) / double(t.conversions)), currency) + " " +
         std::string(currency);
}

std::string roi_text(const Totals& t) {
  if (t.spend_minor == 0) return "no spend";
  return fmt::format("{:.1f}%", 100.0 * double(t.revenue_minor - t.spend_minor) / double(t.spend_minor));
}

struct Row {
  const Campaign* campaign;
  Totals now, before;
};
}  // namespace

ReportOptions read_report_options(const json::object& input, const std::string& prefix) {
  core::ObjectReader r(input, prefix);
  ReportOptions o;
  if (auto days = r.integer("days", false, 1, 366)) o.days = *days;
  o.campaign_ids = r.strings("campaign_ids", false, 1000);
  r.finish();
  return o;
}

json::object campaign_report(store::Database& db, const ReportOptions& options) {
  struct Loaded {
    std::vector<Campaign> campaigns;
    std::vector<std::vector<DayResult>> results;
  };
  auto loaded = db.read([&](store::Connection& c) {
    Loaded l;
    if (options.campaign_ids) {
      for (std::size_t i = 0; i < options.campaign_ids->size(); ++i) {
        auto found = store::campaigns::find(c, (*options.campaign_ids)[i]);
        if (!found)
          throw core::validation_error(fmt::format("input_data.campaign_ids[{}]", i), "no campaign has this id");
        l.campaigns.push_back(*found);
      }
    } else {
      l.campaigns = store::campaigns::all(c);
    }
    for (const auto& campaign : l.campaigns) l.results.push_back(store::campaigns::results(c, campaign.id));
    return l;
  });
  std::int64_t last = -1;
  for (const auto& days : loaded.results)
    if (!days.empty()) last = std::max(last, *day_number(days.back().day));
  json::object out;
  out["days"] = options.days;
  if (last < 0) {
    out["period"] = nullptr;
    out["previous_period"] = nullptr;
    out["campaigns"] = json::array();
    out["changes"] = json::array();
    out["summary"] = fmt::format("None of the {} campaigns has daily results yet: there is nothing to report.",
                                 loaded.campaigns.size());
    return out;
  }
  Period now{last - options.days + 1, last}, before{last - 2 * options.days + 1, last - options.days};
  out["period"] = {{"from", date_of(now.first)}, {"to", date_of(now.last)}};
  out["previous_period"] = {{"from", date_of(before.first)}, {"to", date_of(before.last)}};

  std::vector<Row> rows;
  for (std::size_t i = 0; i < loaded.campaigns.size(); ++i)
    rows.push_back({&loaded.campaigns[i], within(loaded.results[i], now), within(loaded.results[i], before)});
  json::array campaigns;
  for (const auto& row : rows) {
    auto o = comparison(row.now, row.before, row.campaign->currency);
    o["id"] = row.campaign->id;
    o["name"] = row.campaign->name;
    o["channel"] = row.campaign->channel;
    o["currency"] = row.campaign->currency;
    campaigns.push_back(std::move(o));
  }
  out["campaigns"] = std::move(campaigns);

  // Totals only over one currency: the first campaign's, and the campaigns that share it.
  const std::string currency = rows.front().campaign->currency;
  Totals total_now, total_before;
  std::size_t counted = 0;
  for (const auto& row : rows) {
    if (row.campaign->currency != currency) continue;
    ++counted;
    for (auto [into, from] : {std::pair(&total_now, &row.now), std::pair(&total_before, &row.before)}) {
      into->days += from->days;
      into->spend_minor += from->spend_minor;
      into->impressions += from->impressions;
      into->clicks += from->clicks;
      into->conversions += from->conversions;
      into->revenue_minor += from->revenue_minor;
    }
  }
  out["currency"] = currency;
  out["totals"] = comparison(total_now, total_before, currency);

  json::array changes;
  changes.push_back(json::string(fmt::format(
      "Over {} to {} the {} {} campaigns spent {} {} ({} on the {} days before), got {} conversions ({}) and {} {} "
      "revenue ({}); CPA {} (was {}), ROI {} (was {}).",
      date_of(now.first), date_of(now.last), counted, currency, core::format_money(total_now.spend_minor, currency),
      currency, movement(double(total_now.spend_minor), double(total_before.spend_minor)), options.days,
      total_now.conversions, movement(double(total_now.conversions), double(total_before.conversions)),
      core::format_money(total_now.revenue_minor, currency), currency,
      movement(double(total_now.revenue_minor), double(total_before.revenue_minor)), cpa_text(total_now, currency),
      cpa_text(total_before, currency), roi_text(total_now), roi_text(total_before))));
  // The campaigns whose conversions moved most, then the best and the worst ROI.
  std::vector<const Row*> moved;
  for (const auto& row : rows)
    if (row.now.conversions != row.before.conversions) moved.push_back(&row);
  std::sort(moved.begin(), moved.end(), [](const Row* a, const Row* b) {
    return std::llabs(a->now.conversions - a->before.conversions) > std::llabs(b->now.conversions - b->before.conversions);
  });
  for (std::size_t i = 0; i < moved.size() && i < movers; ++i) {
    const auto& row = *moved[i];
    changes.push_back(json::string(fmt::format(
        "'{}' ({}): conversions {} → {} ({}), spend {} → {} {}, CPA {} (was {}).", row.campaign->name,
        row.campaign->channel, row.before.conversions, row.now.conversions,
        movement(double(row.now.conversions), double(row.before.conversions)),
        core::format_money(row.before.spend_minor, row.campaign->currency),
        core::format_money(row.now.spend_minor, row.campaign->currency), row.campaign->currency,
        cpa_text(row.now, row.campaign->currency), cpa_text(row.before, row.campaign->currency))));
  }
  std::vector<const Row*> spending;
  for (const auto& row : rows)
    if (row.now.spend_minor > 0) spending.push_back(&row);
  auto roi = [](const Row* r) { return double(r->now.revenue_minor - r->now.spend_minor) / double(r->now.spend_minor); };
  if (spending.size() >= 2) {
    auto [worst, best] = std::minmax_element(spending.begin(), spending.end(),
                                             [&](const Row* a, const Row* b) { return roi(a) < roi(b); });
    changes.push_back(json::string(fmt::format("Best ROI: '{}' at {}; worst: '{}' at {}.", (*best)->campaign->name,
                                               roi_text((*best)->now), (*worst)->campaign->name, roi_text((*worst)->now))));
  }
  std::string summary;
  for (const auto& sentence : changes) summary += (summary.empty() ? "" : " ") + std::string(sentence.as_string());
  if (counted < rows.size())
    summary += fmt::format(" {} campaigns in other currencies are in the per-campaign numbers only.", rows.size() - counted);
  out["changes"] = std::move(changes);
  out["summary"] = summary;
  return out;
}

}  // namespace de::agents::marketing
