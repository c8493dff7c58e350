#pragma once
// LeadScoring: the active lead model (loaded once per model, shared by the API and the sales
// agent), scores with it or with the rules before any model exists, training of a stored
// model record, and activation, which scores every open lead again. Its calls block on the
// database and on XGBoost: run them on a worker or CPU pool, never on an I/O thread.
#include <boost/json/object.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "agents/sales/lead_model.hpp"
#include "agents/sales/rules.hpp"
#include "core/json.hpp"
#include "store/database.hpp"
#include "store/lead_repository.hpp"

namespace de::agents::sales {

struct Scores {
  std::optional<std::string> model_id;  // null: scored by the rules
  std::vector<Prediction> items;
};

// The "activate" of a training request: "auto", true or false, as a lead model record keeps it
// ("auto", "true", "false"); an error on `r` otherwise.
std::optional<std::string> read_activate(core::ObjectReader& r);

// A score as the API shows it: {"score","probability","grade","predicted","factors"}.
boost::json::object to_json(const Prediction& p, bool by_model);
// A score as a lead stores it.
store::leads::Score stored_score(const Prediction& p, const std::optional<std::string>& model_id, std::int64_t now);
// The fields of a stored lead, for the rules.
LeadFields fields_of(const store::leads::Lead& lead);

class LeadScoring {
 public:
  explicit LeadScoring(store::Database& db) : db_(db) {}

  // Scores in order with the active model, or by the rules when there is none.
  Scores score(std::span<const LeadFields> leads, bool explain);
  // Sets each lead's score (with its factors), as `score` would, and returns the scores.
  Scores score_leads(std::span<store::leads::Lead> leads, std::int64_t now);

  // Trains the model of the stored record `model_id` (status training) on the leads with a
  // known outcome, stores it, and activates it as the record says. Returns the record's JSON.
  // A failure is stored on the record and thrown.
  boost::json::object train(const std::string& model_id);
  // Makes `model_id` (ready) the active model and scores every open lead with it; returns how
  // many it scored.
  std::size_t activate(const std::string& model_id);

 private:
  std::shared_ptr<const LeadModel> model(const std::string& id);
  void mark_active(store::Tx& tx, const std::string& model_id);
  // Scores the open leads with `model_id`, but those changed meanwhile (their change scored
  // them); one `leads.scored` event for all.
  std::size_t rescore_open_leads(const std::string& model_id);

  store::Database& db_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<const LeadModel>> loaded_;  // by id
};

}  // namespace de::agents::sales
