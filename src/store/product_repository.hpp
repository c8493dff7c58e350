#pragma once
// Saved requirement analyses with their versions, stakeholders and their update drafts
// (docs/product.md).
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "store/repositories.hpp"

namespace de::store {

namespace requirement_analyses {

struct Analysis {
  std::string id, title;
  std::int64_t version = 1;  // the latest
  std::optional<std::string> created_by;
  std::int64_t created_at = 0, updated_at = 0;
};

// One analysis of the document as it was then: the items are the analyser's answer, each with
// its `priority`.
struct Version {
  std::string analysis_id;
  std::int64_t version = 1;
  std::string document;
  boost::json::array items;
  boost::json::object summary;
  std::optional<std::string> created_by;
  std::int64_t created_at = 0;
};

void insert(Connection& c, const Analysis& a);
// Stores the version and makes it the analysis's latest (with its title).
void add_version(Connection& c, const Analysis& a, const Version& v);
// Replaces a stored version's items (a person's priorities).
void set_items(Connection& c, const std::string& id, std::int64_t version, const boost::json::array& items);
bool remove(Connection& c, const std::string& id);
std::optional<Analysis> find(Connection& c, const std::string& id);
std::optional<Version> find_version(Connection& c, const std::string& id, std::int64_t version);
Page<Analysis> list(Connection& c, const PageRequest& page);
// Each version's number, time and requirement count, oldest first.
boost::json::array versions(Connection& c, const std::string& id);
boost::json::object to_json(const Analysis& a);
boost::json::object to_json(const Analysis& a, const Version& v);

}  // namespace requirement_analyses

namespace stakeholders {

struct Stakeholder {
  std::string id, name, role, channel = "email";
  std::optional<std::string> contact;  // an email address, or a Slack channel or member id
  std::int64_t influence = 3, interest = 3;
  std::vector<std::string> topics;
  std::int64_t created_at = 0, updated_at = 0;
};

void insert(Connection& c, const Stakeholder& s);
void update(Connection& c, const Stakeholder& s);
bool remove(Connection& c, const std::string& id);
std::optional<Stakeholder> find(Connection& c, const std::string& id);
Page<Stakeholder> list(Connection& c, const PageRequest& page);
std::vector<Stakeholder> all(Connection& c);
boost::json::object to_json(const Stakeholder& s);

}  // namespace stakeholders

namespace stakeholder_updates {

struct Update {
  std::string id, stakeholder_id, quadrant, subject, body;
  std::vector<std::int64_t> event_ids;
  std::string method = "rules";  // rules, model
  std::optional<std::string> provider;
  std::string status = "draft";  // or sent
  std::optional<std::string> created_by;
  std::int64_t created_at = 0;
  std::optional<std::int64_t> sent_at;
  std::optional<std::string> sent_via;  // the integration
  boost::json::object delivery;         // the vendor's answer (message id, Slack ts and channel)
};

void insert(Connection& c, const Update& u);
std::optional<Update> find(Connection& c, const std::string& id);
Page<Update> list(Connection& c, const std::optional<std::string>& stakeholder_id, const PageRequest& page);
// Marks a draft sent; false when it is not a draft (any more).
bool mark_sent(Connection& c, const Update& sent);
boost::json::object to_json(const Update& u);

}  // namespace stakeholder_updates

// Events of the topics a stakeholder update reports (requirements.*, deals.*, campaigns.*)
// created at or after `since_ms`: the `limit` most recent, oldest first.
struct StoredEvent {
  std::int64_t id = 0;
  std::string topic;
  boost::json::object data;
  std::int64_t created_at = 0;
};
std::vector<StoredEvent> product_events_since(Connection& c, std::int64_t since_ms, std::int64_t limit);

}  // namespace de::store
