#include "agents/sales/scoring.hpp"

#include "core/clock.hpp"
#include "core/error.hpp"

namespace de::agents::sales {

namespace json = boost::json;

namespace {
constexpr std::size_t most_loaded = 4;  // models kept in memory

json::array factors_json(const std::vector<Factor>& factors) {
  json::array out;
  for (const auto& f : factors) {
    json::object o;
    o["feature"] = f.feature;
    o["value"] = f.value;
    o["contribution"] = f.contribution;
    if (!f.reason.empty()) o["reason"] = f.reason;
    out.push_back(std::move(o));
  }
  return out;
}

json::object event_data(const std::string& model_id, std::size_t count, const char* reason) {
  json::object o;
  o["model_id"] = model_id;
  o["count"] = count;
  o["reason"] = reason;
  return o;
}
}  // namespace

std::optional<std::string> read_activate(core::ObjectReader& r) {
  const auto* a = r.any("activate", false);
  if (!a) return std::nullopt;
  if (a->is_bool()) return a->get_bool() ? "true" : "false";
  if (a->is_string() && a->get_string() == "auto") return "auto";
  r.error("activate", "must be \"auto\", true or false");
  return std::nullopt;
}

json::object to_json(const Prediction& p, bool by_model) {
  json::object o;
  o["score"] = p.score;
  o["probability"] = by_model ? json::value(p.probability) : json::value(nullptr);
  o["grade"] = std::string(1, p.grade);
  o["predicted"] = p.converted ? "converted" : "not_converted";
  o["method"] = by_model ? "model" : "rules";
  o["factors"] = factors_json(p.factors);
  return o;
}

store::leads::Score stored_score(const Prediction& p, const std::optional<std::string>& model_id, std::int64_t now) {
  store::leads::Score s;
  s.score = p.score;
  s.grade = std::string(1, p.grade);
  if (model_id) s.probability = p.probability;
  s.factors = factors_json(p.factors);
  s.method = model_id ? "model" : "rules";
  s.model_id = model_id;
  s.scored_at = now;
  return s;
}

LeadFields fields_of(const store::leads::Lead& l) {
  return {l.email, l.company, l.source, l.status, l.owner, l.name, &l.attributes};
}

std::shared_ptr<const LeadModel> LeadScoring::model(const std::string& id) {
  {
    std::lock_guard lock(mutex_);
    if (auto it = loaded_.find(id); it != loaded_.end()) return it->second;
  }
  auto [record, trees] = db_.read([&](store::Connection& c) {
    return std::pair(store::lead_models::find(c, id), store::lead_models::trees(c, id));
  });
  if (!record || !trees) throw core::not_found("lead model", id);
  std::shared_ptr<const LeadModel> loaded = LeadModel::load(*trees, record->metadata);
  std::lock_guard lock(mutex_);
  if (loaded_.size() >= most_loaded) loaded_.erase(loaded_.begin());
  loaded_[id] = loaded;
  return loaded;
}

Scores LeadScoring::score(std::span<const LeadFields> leads, bool explain) {
  Scores out;
  out.model_id = db_.read([](store::Connection& c) { return store::lead_models::active_id(c); });
  if (!out.model_id) {
    for (const auto& lead : leads) out.items.push_back(rule_score(lead));
    return out;
  }
  std::vector<const json::object*> rows;
  static const json::object none;
  for (const auto& lead : leads) rows.push_back(lead.attributes ? lead.attributes : &none);
  out.items = model(*out.model_id)->predict(rows, explain);
  return out;
}

Scores LeadScoring::score_leads(std::span<store::leads::Lead> leads, std::int64_t now) {
  std::vector<LeadFields> fields;
  for (const auto& l : leads) fields.push_back(fields_of(l));
  auto scores = score(fields, true);
  for (std::size_t i = 0; i < leads.size(); ++i) leads[i].score = stored_score(scores.items[i], scores.model_id, now);
  return scores;
}

json::object LeadScoring::train(const std::string& model_id) {
  auto record = db_.read([&](store::Connection& c) { return store::lead_models::find(c, model_id); });
  if (!record) throw core::not_found("lead model", model_id);
  if (record->status != "training")
    throw core::Error(core::ErrorKind::conflict, "the lead model is " + record->status + ", not training");
  std::shared_ptr<LeadModel> trained;
  try {
    auto rows = db_.read([](store::Connection& c) { return store::leads::training_rows(c); });
    std::vector<TrainingRow> training;
    for (const auto& [attributes, converted] : rows) training.push_back({&attributes, converted});
    TrainOptions options;
    options.exclude.insert(record->exclude.begin(), record->exclude.end());
    trained = LeadModel::train(training, options);
  } catch (const std::exception& e) {
    std::string error = e.what();
    db_.write_sync([&](store::Tx& tx) {
      store::lead_models::fail(tx.connection, model_id, error, core::now_ms());
      tx.emit("leads.model_failed", json::object{{"id", model_id}, {"error", error}});
    });
    throw;
  }
  auto metadata = trained->metadata();
  auto trees = trained->trees();
  double auc = trained->evaluation().roc_auc;
  // Stored, and made active when the record says so, in one transaction: a model is never seen
  // ready without its activation.
  bool activated = db_.write_sync([&](store::Tx& tx) {
    store::lead_models::finish(tx.connection, model_id, metadata, trees, core::now_ms());
    tx.emit("leads.model_ready", json::object{{"id", model_id}, {"roc_auc", auc}});
    bool activate = record->activate == "true";
    if (record->activate == "auto") {
      // Only when at least as good on its hold-out as the active model on its own.
      auto active = store::lead_models::active_id(tx.connection);
      auto current = active ? store::lead_models::find(tx.connection, *active) : std::nullopt;
      const auto* evaluation = current ? current->metadata.if_contains("evaluation") : nullptr;
      activate = !evaluation || auc >= evaluation->at("roc_auc").to_number<double>();
    }
    if (activate) mark_active(tx, model_id);
    return activate;
  });
  if (activated) rescore_open_leads(model_id);
  auto stored = db_.read([&](store::Connection& c) { return store::lead_models::find(c, model_id); });
  return store::lead_models::to_json(*stored);
}

void LeadScoring::mark_active(store::Tx& tx, const std::string& model_id) {
  store::lead_models::activate(tx.connection, model_id, core::now_ms());
  tx.emit("leads.model_activated", json::object{{"id", model_id}});
}

std::size_t LeadScoring::activate(const std::string& model_id) {
  model(model_id);  // throws not_found unless ready
  db_.write_sync([&](store::Tx& tx) { mark_active(tx, model_id); });
  return rescore_open_leads(model_id);
}

std::size_t LeadScoring::rescore_open_leads(const std::string& model_id) {
  auto loaded = model(model_id);
  // Scored outside the writer; a lead changed meanwhile keeps the score its change gave it.
  auto open = db_.read([](store::Connection& c) { return store::leads::open_leads(c); });
  std::vector<const json::object*> rows;
  for (const auto& l : open) rows.push_back(&l.attributes);
  auto predictions = loaded->predict(rows, true);
  auto now = core::now_ms();
  return db_.write_sync([&](store::Tx& tx) {
    std::size_t scored = 0;
    for (std::size_t i = 0; i < open.size(); ++i) {
      auto score = stored_score(predictions[i], model_id, now);
      if (!store::leads::set_score(tx.connection, open[i].id, open[i].updated_at, score)) continue;
      tx.emit("leads.scored", store::leads::scored_event(open[i].id, score));
      ++scored;
    }
    tx.emit("leads.scored", event_data(model_id, scored, "model_activated"));
    return scored;
  });
}

}  // namespace de::agents::sales
