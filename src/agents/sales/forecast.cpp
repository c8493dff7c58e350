#include "agents/sales/forecast.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>

#include "core/clock.hpp"
#include "core/json.hpp"

namespace de::agents::sales {

namespace json = boost::json;

namespace {
constexpr std::int64_t day_ms = 86'400'000;
constexpr std::size_t stale_listed = 50;  // the longest-idle stale deals listed

struct Group {
  json::value key;
  std::int64_t count = 0, amount = 0;
  double weighted = 0;
};

json::object money_json(std::int64_t count, std::int64_t amount, double weighted, const std::string& currency) {
  return {{"count", count},
          {"amount", format_money(amount, currency)},
          {"weighted", format_money(std::llround(weighted), currency)}};
}

json::object group_json(const Group& g, const std::string& currency) {
  json::object o{{"key", g.key}};
  for (auto& field : money_json(g.count, g.amount, g.weighted, currency)) o.emplace(field.key(), std::move(field.value()));
  return o;
}

json::object stale_json(const DealAt& at, std::int64_t as_of) {
  const auto& d = at.history->deal;
  return {{"id", d.id},
          {"name", d.name},
          {"owner", d.owner},
          {"stage", at.stage},
          {"amount", format_money(d.amount_minor, d.currency)},
          {"days_in_stage", (as_of - at.stage_since) / day_ms}};
}

// Sort keys of the stage groups: their order in the pipeline.
std::string fmt_rank(std::size_t index) { return (index < 10 ? "0" : "") + std::to_string(index); }

json::value number_or_null(std::optional<double> v) { return v ? json::value(*v) : json::value(nullptr); }
}  // namespace

ForecastOptions read_forecast_options(const json::object& input, int default_stale_days) {
  static constexpr std::array<std::string_view, 3> groupings{"stage", "owner", "month"};
  ForecastOptions options;
  core::ObjectReader r(input);
  if (auto by = r.choice("by", false, groupings)) options.by = *by;
  if (auto currency = r.string("currency", false, 3)) {
    if (currency->size() == 3 && std::all_of(currency->begin(), currency->end(), [](char c) { return c >= 'A' && c <= 'Z'; }))
      options.currency = *currency;
    else r.error("currency", "must be a three-letter ISO 4217 code, such as USD");
  }
  options.stale_days = int(r.integer("stale_days", false, 1, 3650).value_or(default_stale_days));
  r.finish();
  return options;
}

double fixed_weight(int rank, std::size_t stages) { return double(rank) / double(stages + 1); }

std::optional<DealAt> deal_at(const store::deals::History& deal, const Stages& stages, std::int64_t as_of) {
  if (deal.deal.created_at > as_of || deal.changes.empty()) return std::nullopt;
  DealAt at{&deal, deal.changes.front().to_stage, deal.changes.front().changed_at, 0};
  for (const auto& change : deal.changes) {
    if (change.changed_at > as_of) break;
    at.stage = change.to_stage;
    at.stage_since = change.changed_at;
    at.max_rank = std::max(at.max_rank, stages.rank(change.to_stage));
  }
  at.max_rank = std::max(at.max_rank, stages.rank(at.stage));
  return at;
}

std::vector<StageProbability> learn_probabilities(const std::vector<store::deals::History>& deals, const Stages& stages,
                                                  std::int64_t as_of, double prior_strength) {
  const auto& open = stages.open();
  std::vector<StageProbability> out;
  for (const auto& s : open) out.push_back({s, 0, 0, 0});
  for (const auto& deal : deals) {
    auto at = deal_at(deal, stages, as_of);
    if (!at || !Stages::closed(at->stage)) continue;
    for (int rank = 1; rank <= at->max_rank; ++rank) {
      ++out[std::size_t(rank - 1)].reached;
      if (at->stage == "won") ++out[std::size_t(rank - 1)].won;
    }
  }
  for (std::size_t i = 0; i < out.size(); ++i) {
    double prior = fixed_weight(int(i) + 1, open.size());
    out[i].probability = (double(out[i].won) + prior_strength * prior) / (double(out[i].reached) + prior_strength);
  }
  return out;
}

json::object forecast(const std::vector<store::deals::History>& deals, const Stages& stages, const ForecastOptions& options) {
  auto learnt = learn_probabilities(deals, stages, options.as_of, options.prior_strength);
  std::int64_t won = 0, lost = 0, won_amount = 0, cycle_ms = 0;
  std::int64_t open_count = 0, open_amount = 0, stale_count = 0, stale_amount = 0;
  double open_weighted = 0;
  std::map<std::string, std::int64_t> other_currencies;
  std::vector<DealAt> stale;
  // Groups by their sort key: stage rank, owner, month ("~" after every month: unscheduled last).
  std::map<std::string, Group> groups;
  if (options.by == "stage")
    for (std::size_t i = 0; i < stages.open().size(); ++i) groups[fmt_rank(i)] = {json::string(stages.open()[i])};
  std::vector<DealAt> open;
  for (const auto& deal : deals) {
    auto at = deal_at(deal, stages, options.as_of);
    if (!at) continue;
    const auto& d = deal.deal;
    if (Stages::closed(at->stage)) {
      (at->stage == "won" ? won : lost) += 1;
      if (at->stage == "won") {
        cycle_ms += at->stage_since - d.created_at;
        if (d.currency == options.currency) won_amount += d.amount_minor;
      }
      continue;
    }
    if (d.currency != options.currency) {
      ++other_currencies[d.currency];
      continue;
    }
    open.push_back(*at);
  }
  std::optional<double> win_rate = won + lost ? std::optional(double(won) / double(won + lost)) : std::nullopt;
  for (const auto& at : open) {
    const auto& d = at.history->deal;
    int rank = stages.rank(at.stage);
    double p = d.probability ? *d.probability : rank ? learnt[std::size_t(rank - 1)].probability : win_rate.value_or(0);
    double weighted = double(d.amount_minor) * p;
    ++open_count;
    open_amount += d.amount_minor;
    open_weighted += weighted;
    std::string key;
    json::value shown;
    if (options.by == "stage") {
      key = rank ? fmt_rank(std::size_t(rank - 1)) : "~" + at.stage;
      shown = json::string(at.stage);
    } else if (options.by == "owner") {
      key = d.owner;
      shown = d.owner.empty() ? json::value(nullptr) : json::value(d.owner);
    } else {
      key = d.expected_close ? d.expected_close->substr(0, 7) : "~";
      shown = d.expected_close ? json::value(key) : json::value(nullptr);
    }
    auto& g = groups[key];
    g.key = shown;
    ++g.count;
    g.amount += d.amount_minor;
    g.weighted += weighted;
    if (options.as_of - at.stage_since > std::int64_t(options.stale_days) * day_ms) {
      ++stale_count;
      stale_amount += d.amount_minor;
      stale.push_back(at);
    }
  }
  std::sort(stale.begin(), stale.end(), [](const DealAt& a, const DealAt& b) { return a.stage_since < b.stage_since; });
  if (stale.size() > stale_listed) stale.resize(stale_listed);

  json::array group_items;
  for (const auto& [key, g] : groups) group_items.push_back(group_json(g, options.currency));
  json::array stage_items;
  for (std::size_t i = 0; i < learnt.size(); ++i)
    stage_items.push_back({{"stage", learnt[i].stage},
                           {"probability", learnt[i].probability},
                           {"fixed_weight", fixed_weight(int(i) + 1, learnt.size())},
                           {"reached", learnt[i].reached},
                           {"won", learnt[i].won}});
  json::array stale_items;
  for (const auto& at : stale) stale_items.push_back(stale_json(at, options.as_of));
  json::object others;
  for (const auto& [code, n] : other_currencies) others[code] = n;
  auto stale_summary = money_json(stale_count, stale_amount, 0, options.currency);
  stale_summary.erase("weighted");
  stale_summary["threshold_days"] = options.stale_days;
  stale_summary["deals"] = std::move(stale_items);
  return {{"as_of", core::format_timestamp(options.as_of)},
          {"by", options.by},
          {"currency", options.currency},
          {"open", money_json(open_count, open_amount, open_weighted, options.currency)},
          {"groups", std::move(group_items)},
          {"stage_probabilities", std::move(stage_items)},
          {"win_rate", number_or_null(win_rate)},
          {"closed", {{"won", won}, {"lost", lost}, {"won_amount", format_money(won_amount, options.currency)}}},
          {"average_cycle_days", number_or_null(won ? std::optional(double(cycle_ms) / double(won) / double(day_ms)) : std::nullopt)},
          {"stale", std::move(stale_summary)},
          {"other_currencies", std::move(others)}};
}

json::object forecast(store::Database& db, const Stages& stages, ForecastOptions options) {
  auto deals = db.read([](store::Connection& c) { return store::deals::all(c); });
  options.as_of = core::now_ms();
  return forecast(deals, stages, options);
}

}  // namespace de::agents::sales
