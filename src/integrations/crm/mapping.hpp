#pragma once
// The CRM canonical model and per-integration field mappings (docs/integrations.md, "CRM sync").
// Values are compared in local form: a remote value is read into the form the local record
// stores (an amount as "1234.50", a stage by its local name), so both sides' changes are
// seen against one snapshot.
#include <boost/json/object.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "store/company_repository.hpp"
#include "store/deal_repository.hpp"
#include "store/lead_repository.hpp"

namespace de::integrations::crm {

// The canonical objects. Leads and contacts live in our leads table, companies in companies,
// deals in deals.
enum class ObjectType { lead, contact, company, deal };
std::string_view name(ObjectType type);
std::optional<ObjectType> object_type(std::string_view name);
inline bool stored_as_lead(ObjectType type) { return type == ObjectType::lead || type == ObjectType::contact; }
// The local table an object lives in.
inline std::string_view local_table(ObjectType type) {
  return stored_as_lead(type) ? "leads" : type == ObjectType::company ? "companies" : "deals";
}

// Field values by name, all text (as both vendors send them).
using Values = std::map<std::string, std::string>;

boost::json::object to_object(const Values& values);
Values from_object(const boost::json::object& object);  // its string members

// A record as a vendor holds it: its id, properties by the vendor's names, last change time.
struct RemoteRecord {
  std::string id;
  Values properties;
  std::int64_t modified_at = 0;  // ms since the epoch
};

// Who wins a field both sides changed since the last sync; also which way a one-sided change
// flows: "local" never takes a remote change to a linked record, "remote" never pushes a local
// one, "latest" lets either flow and on a conflict takes the later modification time.
enum class Truth { local, remote, latest };
std::string_view name(Truth truth);

struct FieldMap {
  std::string local;                // name, email, ... or attributes.<key>
  std::vector<std::string> remote;  // one property, or several joined by a space (first and last name)
  Truth truth = Truth::latest;
  std::map<std::string, std::string> values;  // local value -> remote value (deal stages)
};

struct ObjectMap {
  ObjectType type = ObjectType::contact;
  std::string remote_type;    // contacts, deals, Lead, Opportunity
  std::string modified_field; // the vendor's last-modified property
  std::string match_field;    // the remote property that finds a record we created but did not link (crash)
  std::vector<FieldMap> fields;
  // Whether local records linked to none of the vendor's are created there. Salesforce
  // Contacts do not: people new here go there as Leads, and a Contact comes from a Lead
  // converted there (or is made there).
  bool creates = true;
};

struct Mapping {
  // In sync order. People (leads and contacts, kept in our leads table), then deals.
  std::vector<ObjectMap> objects;
};

enum class Vendor { hubspot, salesforce };
std::optional<Vendor> vendor(std::string_view name);

// The vendor's default mapping, with `config["mapping"]` over it: {"contact": {"fields": [{"local",
// "remote", "truth", "values"}]}, ...}: an object named there with fields replaces that object's
// field list; {} keeps the default fields; an object mapped to null is not synced. Companies are
// synced only when named. Throws a validation error naming the field.
Mapping parse_mapping(Vendor vendor, const boost::json::object& config);

// The mapped fields of a local record, in local form.
Values local_values(const ObjectMap& map, const store::leads::Lead& lead);
Values local_values(const ObjectMap& map, const store::deals::Deal& deal);
Values local_values(const ObjectMap& map, const store::companies::Company& company);
// A remote record's mapped fields in local form (`stages`: the local stages a deal may take;
// an unknown remote stage reads as the first).
Values from_remote(const ObjectMap& map, const Values& properties, const std::vector<std::string>& stages);
// Local-form values as the vendor's properties (only the fields given).
Values to_remote(const ObjectMap& map, const Values& local);
// Sets local-form values on a record; true when something changed.
bool apply(const Values& values, store::leads::Lead& lead);
bool apply(const Values& values, store::deals::Deal& deal);
bool apply(const Values& values, store::companies::Company& company);

}  // namespace de::integrations::crm
