#pragma once
// Leads and lead models (docs/sales.md).
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "store/repositories.hpp"

namespace de::store {

namespace leads {
inline constexpr std::string_view outcomes[] = {"converted", "lost", "open"};

struct Score {
  std::int64_t score = 0;  // 0-100
  std::string grade = "D";
  std::optional<double> probability;  // null for rule-based scores
  boost::json::array factors;         // [{"feature","value","contribution"...}]
  std::string method = "rules";       // "model" or "rules"
  std::optional<std::string> model_id;
  std::int64_t scored_at = 0;
};

struct Lead {
  std::string id;
  std::optional<std::string> external_id;
  std::string name, email, company, source, status = "new", owner;
  boost::json::object attributes;
  std::string outcome = "open";
  Score score;
  std::int64_t created_at = 0, updated_at = 0;
};

void insert(Connection& c, const Lead& lead);
// Many at once, many rows per statement.
void insert(Connection& c, const std::vector<Lead>& leads);
void update(Connection& c, const Lead& lead);
bool remove(Connection& c, const std::string& id);
std::optional<Lead> find(Connection& c, const std::string& id);
// The leads with these external ids (for an import that updates them).
std::map<std::string, Lead> find_by_external_ids(Connection& c, const std::vector<std::string>& external_ids);
// The leads whose email is one of `emails`, compared without case, oldest first.
std::vector<Lead> find_by_emails(Connection& c, const std::vector<std::string>& emails);
struct Filter {
  std::optional<std::string> outcome, status, source, owner, grade;
  std::optional<std::int64_t> min_score;
  bool by_score = false;  // highest score first (else newest first)
};
Page<Lead> list(Connection& c, const Filter& filter, const PageRequest& page);
// Every lead with a known outcome: its attributes and whether it converted.
std::vector<std::pair<boost::json::object, bool>> training_rows(Connection& c);
// The open leads (to score them again).
std::vector<Lead> open_leads(Connection& c);
// Stores a new score unless the lead changed since `updated_at` (it was scored then).
bool set_score(Connection& c, const std::string& id, std::int64_t updated_at, const Score& score);
// How many leads were scored by a model / by the rules.
std::map<std::string, std::int64_t> count_by_method(Connection& c);
boost::json::object to_json(const Lead& lead);
boost::json::object to_json(const Score& score);
// A lead's `leads.scored` event: the lead's id, its new score and when it was made (enough to
// replay it: store/projections.hpp).
boost::json::object scored_event(const std::string& id, const Score& score);
}  // namespace leads

namespace lead_models {

struct Record {
  std::string id;
  std::string status = "training";  // training, ready, failed
  bool active = false;
  std::string activate = "auto";
  std::vector<std::string> exclude;
  std::optional<std::string> task_id, created_by, error;
  boost::json::object metadata;  // LeadModel::metadata() once ready
  std::int64_t created_at = 0;
  std::optional<std::int64_t> completed_at, activated_at;
};
void insert(Connection& c, const Record& r);
std::optional<Record> find(Connection& c, const std::string& id);
Page<Record> list(Connection& c, const PageRequest& page);
std::optional<std::string> active_id(Connection& c);
// The model's trees (XGBoost's JSON), once ready.
std::optional<std::string> trees(Connection& c, const std::string& id);
void finish(Connection& c, const std::string& id, const boost::json::object& metadata, const std::string& trees,
            std::int64_t now);
void fail(Connection& c, const std::string& id, const std::string& error, std::int64_t now);
// Makes `id` the only active model.
void activate(Connection& c, const std::string& id, std::int64_t now);
boost::json::object to_json(const Record& r);
}  // namespace lead_models

}  // namespace de::store
