#include "agents/sales/pipeline.hpp"

#include <algorithm>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/json.hpp"

namespace de::agents::sales {

namespace json = boost::json;

namespace {
bool valid_date(std::string_view text) {
  return text.size() == 10 && core::parse_timestamp(std::string(text) + "T00:00:00Z").has_value();
}

}  // namespace

Stages::Stages(std::vector<std::string> open) : open_(std::move(open)) {
  for (const auto& s : open_) all_.push_back(s);
  all_.push_back("won");
  all_.push_back("lost");
}

int Stages::rank(std::string_view stage) const {
  auto it = std::find(open_.begin(), open_.end(), stage);
  return it == open_.end() ? 0 : int(it - open_.begin()) + 1;
}

void PipelineManager::read(const json::object& body, Deal& deal, bool creating) const {
  core::ObjectReader r(body);
  if (auto name = r.string("name", creating, 200)) {
    if (name->empty()) r.error("name", "must not be empty");
    else deal.name = *name;
  }
  if (auto account = r.string("account", false, 200)) deal.account = *account;
  if (auto owner = r.string("owner", false, 200)) deal.owner = *owner;
  if (auto stage = r.choice("stage", false, stages_.all())) deal.stage = *stage;
  auto old_currency = deal.currency;
  if (auto currency = r.string("currency", false, 3)) {
    if (core::valid_currency(*currency)) deal.currency = *currency;
    else r.error("currency", "must be a three-letter ISO 4217 code, such as USD");
  }
  std::string problem;
  if (const auto* amount = r.any("amount", creating)) {
    if (auto minor = parse_money(*amount, deal.currency, problem)) deal.amount_minor = *minor;
    else r.error("amount", problem);
  } else if (deal.currency != old_currency) {  // the same amount in the new currency's minor units
    if (auto minor = parse_money(json::string(format_money(deal.amount_minor, old_currency)), deal.currency, problem))
      deal.amount_minor = *minor;
    else r.error("amount", problem + ": give the amount with the new currency");
  }
  if (const auto* probability = r.any("probability", false)) {
    if (!probability->is_number() || probability->to_number<double>() < 0 || probability->to_number<double>() > 1)
      r.error("probability", "must be a number from 0 to 1, or null for the stage's learnt probability");
    else deal.probability = probability->to_number<double>();
  } else if (body.contains("probability")) {
    deal.probability.reset();
  }
  if (auto expected = r.string("expected_close", false, 10)) {
    if (valid_date(*expected)) deal.expected_close = *expected;
    else r.error("expected_close", "must be a date, YYYY-MM-DD");
  } else if (body.contains("expected_close") && body.at("expected_close").is_null()) {
    deal.expected_close.reset();
  }
  if (auto lead = r.string("lead_id", false, 100)) {
    if (lead->empty()) r.error("lead_id", "must not be empty (null for no lead)");
    else deal.lead_id = *lead;
  } else if (body.contains("lead_id") && body.at("lead_id").is_null()) {
    deal.lead_id.reset();
  }
  r.finish();
}

Deal PipelineManager::create(store::Tx& tx, const json::object& body, const std::optional<std::string>& by) const {
  Deal deal;
  deal.stage = stages_.open().front();
  read(body, deal, true);
  deal.id = core::new_id();
  deal.created_by = by;
  deal.created_at = deal.updated_at = deal.stage_changed_at = core::now_ms();
  if (Stages::closed(deal.stage)) deal.closed_at = deal.created_at;
  store::deals::insert(tx.connection, {{deal, {{std::nullopt, deal.stage, by, deal.created_at}}}});
  tx.emit("deals.created", to_json(deal));
  return deal;
}

Deal PipelineManager::update(store::Tx& tx, const std::string& id, const json::object& body,
                             const std::optional<std::string>& by) const {
  auto found = store::deals::find(tx.connection, id);
  if (!found) throw core::not_found("deal", id);
  Deal deal = *found;
  read(body, deal, false);
  deal.updated_at = core::now_ms();
  bool moved = deal.stage != found->stage;
  if (moved) {
    deal.stage_changed_at = deal.updated_at;
    deal.closed_at = Stages::closed(deal.stage) ? std::optional(deal.updated_at) : std::nullopt;
  }
  store::deals::update(tx.connection, deal);
  if (moved) {
    store::deals::StageChange change{found->stage, deal.stage, by, deal.updated_at};
    store::deals::add_stage_change(tx.connection, deal.id, change);
    auto event = to_json(change);
    event["id"] = deal.id;
    event["name"] = deal.name;
    tx.emit("deals.stage_changed", std::move(event));
  }
  tx.emit("deals.updated", to_json(deal));
  return deal;
}

void PipelineManager::remove(store::Tx& tx, const std::string& id) const {
  if (!store::deals::remove(tx.connection, id)) throw core::not_found("deal", id);
  tx.emit("deals.deleted", json::object{{"id", id}});
}

}  // namespace de::agents::sales
