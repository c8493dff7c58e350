#include "agents/marketing/optimizer.hpp"

#include <fmt/format.h>

#include <array>
#include <cmath>
#include <set>

#include "agents/marketing/campaigns.hpp"
#include "agents/marketing/response.hpp"
#include "core/json.hpp"
#include "core/money.hpp"

namespace de::agents::marketing {

namespace json = boost::json;

namespace {
constexpr std::array<std::string_view, 2> objectives{"conversions", "revenue"};
constexpr int resamples = 200;
constexpr std::uint64_t seed = 20261203;  // the same data gets the same intervals
constexpr std::size_t most_items = 200;
constexpr double observed_headroom = 1.5;

double rounded(double x) { return std::round(x * 100) / 100; }

json::array pair_json(std::pair<double, double> p) { return {rounded(p.first), rounded(p.second)}; }

// The campaigns to split the budget over, as the input names them (or the defaults).
std::vector<Campaign> items_of(store::Connection& c, core::ObjectReader& r) {
  auto ids = r.strings("items", false, most_items);
  const auto* report = r.any("report", false);
  std::vector<Campaign> out;
  if (ids) {
    std::set<std::string> seen;
    for (std::size_t i = 0; i < ids->size(); ++i) {
      auto key = fmt::format("items[{}]", i);
      if (!seen.insert((*ids)[i]).second) r.error(key, "is named twice");
      else if (auto found = store::campaigns::find(c, (*ids)[i])) out.push_back(*found);
      else r.error(key, "no campaign has the id '" + (*ids)[i] + "'");
    }
    if (ids->empty()) r.error("items", "must name at least one campaign");
    return out;
  }
  std::set<std::string> reported;
  if (report && report->is_object() && report->as_object().contains("campaigns") &&
      report->as_object().at("campaigns").is_array())
    for (const auto& entry : report->as_object().at("campaigns").as_array())
      if (entry.is_object() && entry.as_object().contains("id") && entry.as_object().at("id").is_string())
        reported.insert(std::string(entry.as_object().at("id").as_string()));
  for (auto& campaign : store::campaigns::all(c))
    if (campaign.status == "active" && (reported.empty() || reported.contains(campaign.id))) out.push_back(std::move(campaign));
  if (out.empty())
    r.error("items", reported.empty() ? "no campaign is active: name the campaigns to split the budget over"
                                      : "none of the report's campaigns is active");
  return out;
}

std::optional<std::int64_t> money_field(core::ObjectReader& r, const char* key, std::string_view currency) {
  const auto* value = r.any(key, false);
  if (!value) return std::nullopt;
  std::string problem;
  auto minor = core::parse_money(*value, currency, problem);
  if (!minor) r.error(key, problem);
  return minor;
}

// What the answer says in words: the numbers below, nothing more.
std::string explanation(const json::array& allocations, double total, std::pair<double, double> range,
                        const std::optional<double>& current, const std::string& objective, const std::string& currency) {
  std::string text = fmt::format("This split is expected to bring {:.1f} {} a day (90% interval {:.1f} to {:.1f})",
                                 total, objective, range.first, range.second);
  if (current) {
    double gain = total - *current;
    text += fmt::format(", {:.1f} {} than the current budgets ({:.1f}, {:+.1f}%)", std::abs(gain),
                        gain >= 0 ? "more" : "less", *current, *current > 0 ? 100 * gain / *current : 0.0);
  }
  text += ".";
  // The largest move from the current budgets.
  const json::object* moved = nullptr;
  double largest = 0;
  for (const auto& a : allocations) {
    double change = std::abs(std::stod(std::string(a.at("spend").as_string())) -
                             std::stod(std::string(a.at("current_spend").as_string())));
    if (change > largest) {
      largest = change;
      moved = &a.as_object();
    }
  }
  if (moved)
    text += fmt::format(" The largest change: '{}' from {} to {} {}; there each further unit of spend is expected to bring {:.4f} {}.",
                        std::string(moved->at("name").as_string()), std::string(moved->at("current_spend").as_string()),
                        std::string(moved->at("spend").as_string()), currency, moved->at("marginal_return").as_double(),
                        objective);
  return text;
}

// Without a given max, no item gets more than `observed_headroom` times the highest daily
// spend it was seen at (an item without spend: the highest of all), since past that only the
// curve's shape speaks; unless those caps together cannot hold the budget, then none holds.
void cap_to_observed(const std::vector<ItemCurve>& curves, double minor_per_unit, std::int64_t budget,
                     std::vector<Bounds>& bounds, json::array& notes) {
  double highest = 0;
  for (const auto& c : curves) highest = std::max(highest, c.largest_spend);
  std::vector<std::int64_t> caps;
  std::int64_t together = 0;
  for (std::size_t i = 0; i < curves.size(); ++i) {
    double seen = curves[i].largest_spend > 0 ? curves[i].largest_spend : highest;
    caps.push_back(std::max<std::int64_t>(bounds[i].min, std::llround(std::floor(observed_headroom * seen * minor_per_unit))));
    together += caps.back();
  }
  if (together < budget) {
    notes.push_back(json::string(fmt::format(
        "the budget is more than {} times the campaigns' highest observed daily spends together: the split goes past "
        "what was observed, where only the curves' shape speaks",
        observed_headroom)));
    return;
  }
  for (std::size_t i = 0; i < curves.size(); ++i) bounds[i].max = caps[i];
}
}  // namespace

json::object optimize_budget(store::Database& db, const json::object& input, const std::string& prefix) {
  core::ObjectReader r(input, prefix);
  auto objective = r.choice("objective", false, objectives).value_or("conversions");
  struct Loaded {
    std::vector<Campaign> campaigns;
    std::vector<std::vector<DayResult>> results;
  };
  auto loaded = db.read([&](store::Connection& c) {
    Loaded l;
    l.campaigns = items_of(c, r);
    for (const auto& campaign : l.campaigns) l.results.push_back(store::campaigns::results(c, campaign.id));
    return l;
  });
  std::string currency = loaded.campaigns.empty() ? "USD" : loaded.campaigns.front().currency;
  for (const auto& campaign : loaded.campaigns)
    if (campaign.currency != currency) {
      r.error("items", "the campaigns must share one currency (" + currency + " and " + campaign.currency + ")");
      break;
    }
  auto budget = money_field(r, "budget", currency);
  auto min = money_field(r, "min", currency);
  auto max = money_field(r, "max", currency);
  r.finish();

  const double minor_per_unit = std::pow(10.0, core::currency_exponent(currency));
  std::int64_t current_total = 0;
  for (const auto& campaign : loaded.campaigns) current_total += campaign.budget_minor;
  std::int64_t total_budget = budget.value_or(current_total);
  if (total_budget <= 0) throw core::validation_error(prefix.empty() ? "budget" : prefix + ".budget", "give a budget above 0 (the campaigns' budgets sum to 0)");

  std::vector<std::vector<Point>> points;
  bool any_data = false;
  for (const auto& days : loaded.results) {
    auto& item = points.emplace_back();
    for (const auto& d : days) {
      double outcome = objective == "revenue" ? double(d.revenue_minor) / minor_per_unit : double(d.conversions);
      item.push_back({double(d.spend_minor) / minor_per_unit, outcome});
      any_data = any_data || d.spend_minor > 0;
    }
  }
  if (!any_data)
    throw core::validation_error(prefix.empty() ? "items" : prefix + ".items",
                                 "none of the campaigns has results with spend: record daily results first");
  auto curves = fit_items(points, resamples, seed);
  std::vector<Curve> fitted;
  std::vector<Bounds> bounds;
  for (const auto& c : curves) {
    fitted.push_back(c.curve);
    bounds.push_back({min.value_or(0), max.value_or(std::numeric_limits<std::int64_t>::max())});
  }
  json::array notes;
  if (!max) cap_to_observed(curves, minor_per_unit, total_budget, bounds, notes);
  std::vector<std::int64_t> spend;
  try {
    spend = allocate(fitted, total_budget, bounds, minor_per_unit);
  } catch (const core::Error& e) {  // named as the input names them
    auto field = e.fields().empty() ? std::string("budget") : e.fields().front().field;
    throw core::validation_error(prefix.empty() ? field : prefix + "." + field,
                                 e.fields().empty() ? e.what() : e.fields().front().message);
  }

  json::array allocations;
  double expected_total = 0, current_expected = 0;
  std::vector<double> totals(resamples, 0.0);
  for (std::size_t i = 0; i < curves.size(); ++i) {
    const auto& item = curves[i];
    const auto& campaign = loaded.campaigns[i];
    double units = double(spend[i]) / minor_per_unit;
    std::vector<double> at;
    for (std::size_t k = 0; k < item.resampled.size(); ++k) {
      at.push_back(item.resampled[k].at(units));
      totals[k] += at.back();
    }
    double expected = item.curve.at(units);
    expected_total += expected;
    current_expected += item.curve.at(double(campaign.budget_minor) / minor_per_unit);
    json::object a;
    a["item"] = campaign.id;
    a["name"] = campaign.name;
    a["spend"] = core::format_money(spend[i], currency);
    a["share"] = rounded(double(spend[i]) / double(total_budget) * 100) / 100;
    a["expected"] = rounded(expected);
    a["interval"] = pair_json(interval(at, 0.05, 0.95));
    a["marginal_return"] = item.curve.marginal(units);
    a["current_spend"] = core::format_money(campaign.budget_minor, currency);
    a["curve"] = {{"source", to_string(item.source)},
                  {"days", item.points},
                  {"base", item.curve.base},
                  {"scale", item.curve.scale},
                  {"rate", item.curve.rate}};
    // Spend far past what was ever observed rests on the curve's shape alone.
    a["extrapolated"] = units > observed_headroom * item.largest_spend;
    if (item.source != CurveSource::own)
      notes.push_back(json::string(fmt::format(
          "'{}' has {} days with spend, fewer than {}: its curve is {}", campaign.name,
          std::count_if(points[i].begin(), points[i].end(), [](const Point& p) { return p.spend > 0; }), fewest_points,
          item.source == CurveSource::pooled ? "the curve of all the campaigns' days, scaled to its own results"
                                             : "a straight line through its outcome per unit of spend")));
    allocations.push_back(std::move(a));
  }
  auto total_interval = interval(totals, 0.05, 0.95);
  std::optional<double> current;
  if (current_total > 0) current = current_expected;
  json::object out;
  out["objective"] = objective;
  out["currency"] = currency;
  out["budget"] = core::format_money(total_budget, currency);
  out["allocations"] = allocations;
  out["expected_total"] = rounded(expected_total);
  out["interval"] = pair_json(total_interval);
  out["current_expected"] = current ? json::value(rounded(*current)) : json::value(nullptr);
  out["expected_gain"] = current ? json::value(rounded(expected_total - *current)) : json::value(nullptr);
  out["notes"] = std::move(notes);
  out["explanation"] = explanation(allocations, expected_total, total_interval, current, objective, currency);
  out["method"] = fmt::format(
      "per campaign: outcome = base + scale * (1 - exp(-rate * spend)) fitted by least squares on its daily results; "
      "the budget given in small steps, each to the campaign gaining most from it; 90% intervals from {} bootstrap "
      "refits",
      resamples);
  return out;
}

}  // namespace de::agents::marketing
