#include "agents/marketing/campaigns.hpp"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <cmath>
#include <map>
#include <set>

#include "core/clock.hpp"
#include "core/csv.hpp"
#include "core/ids.hpp"
#include "core/json.hpp"
#include "core/money.hpp"
#include "model/model.hpp"

namespace de::agents::marketing {

namespace json = boost::json;

namespace {
constexpr std::int64_t day_ms = 86'400'000;
constexpr std::array<std::string_view, 4> goals{"conversions", "revenue", "clicks", "impressions"};
constexpr std::int64_t most_count = 1'000'000'000'000;
constexpr std::size_t most_days = 100000;

json::value text_or_null(const std::optional<std::string>& text) { return text ? json::value(*text) : json::value(nullptr); }

void read_date(core::ObjectReader& r, const char* key, bool required, std::optional<std::string>& into) {
  if (auto date = r.string(key, required, 10)) {
    if (day_number(*date)) into = *date;
    else r.error(key, "must be a date, YYYY-MM-DD");
  }
}

// The fields of `body` into `c` (`creating`: name, channel and budget are required).
void read_campaign(const json::object& body, Campaign& c, bool creating) {
  core::ObjectReader r(body);
  for (auto [key, into] : {std::pair("name", &c.name), std::pair("channel", &c.channel)})
    if (auto text = r.string(key, creating, 200)) {
      if (text->empty()) r.error(key, "must not be empty");
      else *into = *text;
    }
  if (auto status = r.choice("status", false, campaign_statuses)) c.status = *status;
  if (auto goal = r.choice("goal", false, goals)) c.goal = *goal;
  auto old_currency = c.currency;
  if (auto currency = r.string("currency", false, 3)) {
    if (core::valid_currency(*currency)) c.currency = *currency;
    else r.error("currency", "must be a three-letter ISO 4217 code, such as USD");
  }
  std::string problem;
  if (const auto* budget = r.any("budget", creating)) {
    if (auto minor = core::parse_money(*budget, c.currency, problem)) c.budget_minor = *minor;
    else r.error("budget", problem);
  } else if (c.currency != old_currency) {
    r.error("budget", "give the budget with the new currency");
  }
  std::optional<std::string> start, end;
  read_date(r, "start", false, start);
  if (start) c.start = *start;
  read_date(r, "end", false, end);
  if (end) c.end = end;
  else if (body.contains("end") && body.at("end").is_null()) c.end.reset();
  if (c.end && *c.end < c.start) r.error("end", "must not be before start");
  r.finish();
}

// A count: a non-negative integer below 10^12.
std::optional<std::int64_t> count_of(std::string_view text) {
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n < 0 || n >= most_count) return std::nullopt;
  return n;
}

double ratio(std::int64_t over, std::int64_t under) { return double(over) / double(under); }

json::value ratio_or_null(std::int64_t over, std::int64_t under) {
  return under > 0 ? json::value(ratio(over, under)) : json::value(nullptr);
}

// Money per unit (CPC, CPA), rounded to the currency's minor unit.
json::value cost_per(std::int64_t spend_minor, std::int64_t units, std::string_view currency) {
  if (units <= 0) return nullptr;
  return json::value(core::format_money(std::llround(ratio(spend_minor, units)), currency));
}
}  // namespace

std::optional<std::int64_t> day_number(std::string_view date) {
  if (date.size() != 10) return std::nullopt;
  auto ms = core::parse_timestamp(std::string(date) + "T00:00:00Z");
  if (!ms) return std::nullopt;
  return *ms / day_ms;
}

std::string date_of(std::int64_t day_number) { return core::format_timestamp(day_number * day_ms).substr(0, 10); }

Campaign CampaignManager::create(store::Tx& tx, const json::object& body, const std::optional<std::string>& by) const {
  Campaign c;
  c.status = "draft";
  c.goal = "conversions";
  c.start = date_of(core::now_ms() / day_ms);
  read_campaign(body, c, true);
  c.id = core::new_id();
  c.created_by = by;
  c.created_at = c.updated_at = core::now_ms();
  store::campaigns::insert(tx.connection, c);
  tx.emit("campaigns.created", to_json(c));
  return c;
}

Campaign CampaignManager::update(store::Tx& tx, const std::string& id, const json::object& body) const {
  auto found = store::campaigns::find(tx.connection, id);
  if (!found) throw core::not_found("campaign", id);
  Campaign c = *found;
  read_campaign(body, c, false);
  c.updated_at = core::now_ms();
  store::campaigns::update(tx.connection, c);
  tx.emit("campaigns.updated", to_json(c));
  return c;
}

std::vector<Campaign> CampaignManager::set_budgets(store::Tx& tx, const json::object& body) const {
  constexpr std::size_t most_budgets = 1000;
  core::ObjectReader r(body);
  const auto* items = r.any("budgets", true);
  if (items && (!items->is_array() || items->get_array().empty() || items->get_array().size() > most_budgets))
    r.error("budgets", fmt::format("must be a list of 1 to {} {{\"id\",\"budget\"}}", most_budgets));
  r.finish();
  std::vector<Campaign> changed;
  std::vector<core::FieldError> errors;
  std::set<std::string> seen;
  const auto& list = items->get_array();
  for (std::size_t i = 0; i < list.size(); ++i) {
    auto where = fmt::format("budgets[{}]", i);
    const auto* item = list[i].if_object();
    if (!item || item->size() != 2 || !item->contains("id") || !item->contains("budget")) {
      errors.push_back({where, "must be {\"id\",\"budget\"}"});
      continue;
    }
    const auto* id = item->at("id").if_string();
    auto found = id && core::is_uuid(*id) ? store::campaigns::find(tx.connection, std::string(*id)) : std::nullopt;
    if (!found) {
      errors.push_back({where + ".id", "no campaign has this id"});
      continue;
    }
    if (!seen.insert(found->id).second) errors.push_back({where + ".id", "is given twice"});
    std::string problem;
    if (auto minor = core::parse_money(item->at("budget"), found->currency, problem)) found->budget_minor = *minor;
    else errors.push_back({where + ".budget", problem});
    changed.push_back(std::move(*found));
  }
  core::throw_if_errors(std::move(errors));
  for (auto& c : changed) {
    c.updated_at = core::now_ms();
    store::campaigns::update(tx.connection, c);
    tx.emit("campaigns.updated", to_json(c));
  }
  return changed;
}

void CampaignManager::remove(store::Tx& tx, const std::string& id) const {
  if (!store::campaigns::remove(tx.connection, id)) throw core::not_found("campaign", id);
  tx.emit("campaigns.deleted", json::object{{"id", id}});
}

void CampaignManager::record(store::Tx& tx, const Campaign& campaign, const std::vector<DayResult>& days) const {
  store::campaigns::put_results(tx.connection, campaign.id, days);
  json::object event;
  event["id"] = campaign.id;
  event["name"] = campaign.name;
  event["days"] = days.size();
  event["from"] = days.empty() ? json::value(nullptr) : json::value(days.front().day);
  event["to"] = days.empty() ? json::value(nullptr) : json::value(days.back().day);
  tx.emit("campaigns.results_recorded", std::move(event));
}

std::vector<DayResult> read_results(const json::object& body, std::string_view currency) {
  std::vector<const json::object*> items;
  std::vector<core::FieldError> errors;
  std::vector<std::string> prefixes;
  if (body.contains("results")) {
    const auto& list = body.at("results");
    if (!list.is_array() || list.as_array().empty() || list.as_array().size() > most_days)
      core::throw_if_errors({{"results", fmt::format("must be an array of 1 to {} days", most_days)}});
    for (std::size_t i = 0; i < list.as_array().size(); ++i) {
      const auto& item = list.as_array()[i];
      if (!item.is_object()) {
        errors.push_back({fmt::format("results[{}]", i), "must be an object"});
        continue;
      }
      items.push_back(&item.as_object());
      prefixes.push_back(fmt::format("results[{}]", i));
    }
    if (body.size() > 1) errors.push_back({"results", "must be the body's only field"});
  } else {
    items.push_back(&body);
    prefixes.emplace_back();
  }
  std::vector<DayResult> days;
  std::map<std::string, std::string> seen;  // date -> where
  for (std::size_t i = 0; i < items.size(); ++i) {
    core::ObjectReader r(*items[i], prefixes[i]);
    DayResult d;
    std::optional<std::string> date;
    read_date(r, "date", true, date);
    if (date) {
      if (auto [it, fresh] = seen.emplace(*date, r.field_name("date")); !fresh) r.error("date", "is also given at " + it->second);
      d.day = *date;
    }
    std::string problem;
    for (auto [key, into, required] : {std::tuple("spend", &d.spend_minor, true), std::tuple("revenue", &d.revenue_minor, false)})
      if (const auto* amount = r.any(key, required)) {
        if (auto minor = core::parse_money(*amount, currency, problem)) *into = *minor;
        else r.error(key, problem);
      }
    for (auto [key, into] : {std::pair("impressions", &d.impressions), std::pair("clicks", &d.clicks),
                             std::pair("conversions", &d.conversions)})
      if (auto n = r.integer(key, false, 0, most_count - 1)) *into = *n;
    auto found = r.take_errors();
    errors.insert(errors.end(), found.begin(), found.end());
    days.push_back(std::move(d));
  }
  core::throw_if_errors(std::move(errors));
  std::sort(days.begin(), days.end(), [](const DayResult& a, const DayResult& b) { return a.day < b.day; });
  return days;
}

std::vector<DayResult> read_results_csv(std::string_view text, std::string_view currency) {
  auto fail = [](std::size_t row, const std::string& column, const std::string& message) {
    return core::Error(core::ErrorKind::bad_request,
                       fmt::format("the CSV file cannot be imported: row {}, column {}: {}; nothing was imported", row,
                                   column, message),
                       {{fmt::format("row {}, column {}", row, column), message}});
  };
  core::CsvReader reader(text);
  if (reader.error()) throw fail(reader.error()->row, reader.error()->column, reader.error()->message);
  const auto& header = reader.header();
  enum Column { date, spend, impressions, clicks, conversions, revenue, columns };
  constexpr std::array<std::string_view, columns> names{"date", "spend", "impressions", "clicks", "conversions", "revenue"};
  std::array<std::optional<std::size_t>, columns> at;
  for (std::size_t i = 0; i < header.size(); ++i)
    for (std::size_t k = 0; k < columns; ++k)
      if (model::lower(header[i]) == names[k]) at[k] = i;
  for (auto required : {date, spend})
    if (!at[required])
      throw fail(1, std::string(names[required]), fmt::format("the header has no '{}' column", names[required]));
  std::vector<DayResult> days;
  std::map<std::string, std::size_t> seen;  // date -> row
  std::vector<std::string> fields;
  while (reader.next(fields)) {
    auto row = reader.row();
    if (days.size() >= most_days) throw fail(row, "date", fmt::format("the file has more than {} days", most_days));
    if (fields.size() != header.size())
      throw fail(row, fields.size() < header.size() ? header[fields.size()] : std::to_string(header.size() + 1),
                 fmt::format("the row has {} fields, the header {}", fields.size(), header.size()));
    DayResult d;
    d.day = fields[*at[date]];
    if (!day_number(d.day)) throw fail(row, header[*at[date]], "'" + d.day + "' is not a date (YYYY-MM-DD)");
    if (auto [it, fresh] = seen.emplace(d.day, row); !fresh)
      throw fail(row, header[*at[date]], fmt::format("the date {} is also on row {}", d.day, it->second));
    std::string problem;
    for (auto [column, into] : {std::pair(spend, &d.spend_minor), std::pair(revenue, &d.revenue_minor)}) {
      if (!at[column]) continue;
      const auto& value = fields[*at[column]];
      if (value.empty() && column == revenue) continue;
      auto minor = core::parse_money(json::string(value), currency, problem);
      if (!minor) throw fail(row, header[*at[column]], "'" + value + "' " + problem);
      *into = *minor;
    }
    for (auto [column, into] : {std::pair(impressions, &d.impressions), std::pair(clicks, &d.clicks),
                                std::pair(conversions, &d.conversions)}) {
      if (!at[column] || fields[*at[column]].empty()) continue;
      auto n = count_of(fields[*at[column]]);
      if (!n) throw fail(row, header[*at[column]], "'" + fields[*at[column]] + "' is not a whole number from 0");
      *into = *n;
    }
    days.push_back(std::move(d));
  }
  if (reader.error()) throw fail(reader.error()->row, reader.error()->column, reader.error()->message);
  if (days.empty()) throw fail(2, "date", "the file has no days");
  std::sort(days.begin(), days.end(), [](const DayResult& a, const DayResult& b) { return a.day < b.day; });
  return days;
}

Totals sum(const std::vector<DayResult>& days) {
  Totals t;
  for (const auto& d : days) {
    ++t.days;
    t.spend_minor += d.spend_minor;
    t.impressions += d.impressions;
    t.clicks += d.clicks;
    t.conversions += d.conversions;
    t.revenue_minor += d.revenue_minor;
  }
  return t;
}

json::object metrics(const Totals& t, std::string_view currency) {
  return {{"ctr", ratio_or_null(t.clicks, t.impressions)},
          {"conversion_rate", ratio_or_null(t.conversions, t.clicks)},
          {"cpc", cost_per(t.spend_minor, t.clicks, currency)},
          {"cpa", cost_per(t.spend_minor, t.conversions, currency)},
          {"roas", ratio_or_null(t.revenue_minor, t.spend_minor)},
          {"roi", ratio_or_null(t.revenue_minor - t.spend_minor, t.spend_minor)}};
}

json::object to_json(const Campaign& c) {
  return {{"id", c.id},
          {"name", c.name},
          {"channel", c.channel},
          {"status", c.status},
          {"budget", core::format_money(c.budget_minor, c.currency)},
          {"currency", c.currency},
          {"start", c.start},
          {"end", text_or_null(c.end)},
          {"goal", c.goal},
          {"created_by", text_or_null(c.created_by)},
          {"created_at", core::format_timestamp(c.created_at)},
          {"updated_at", core::format_timestamp(c.updated_at)}};
}

json::object to_json(const Campaign& c, const Totals& t) {
  auto o = to_json(c);
  o["totals"] = {{"days", t.days},
                 {"spend", core::format_money(t.spend_minor, c.currency)},
                 {"impressions", t.impressions},
                 {"clicks", t.clicks},
                 {"conversions", t.conversions},
                 {"revenue", core::format_money(t.revenue_minor, c.currency)}};
  o["metrics"] = metrics(t, c.currency);
  return o;
}

json::object to_json(const DayResult& d, std::string_view currency) {
  json::object o{{"date", d.day},
                 {"spend", core::format_money(d.spend_minor, currency)},
                 {"impressions", d.impressions},
                 {"clicks", d.clicks},
                 {"conversions", d.conversions},
                 {"revenue", core::format_money(d.revenue_minor, currency)}};
  o["metrics"] = metrics(sum({d}), currency);
  return o;
}

}  // namespace de::agents::marketing
