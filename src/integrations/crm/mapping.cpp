#include "integrations/crm/mapping.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>

#include "core/error.hpp"

namespace de::integrations::crm {

namespace json = boost::json;

namespace {
constexpr std::string_view type_names[] = {"lead", "contact", "company", "deal"};
constexpr std::string_view truth_names[] = {"local", "remote", "latest"};
constexpr std::string_view attributes_prefix = "attributes.";
constexpr std::string_view lead_fields[] = {"name", "email", "company", "source", "status", "owner"};
constexpr std::string_view deal_fields[] = {"name", "account", "owner", "stage", "amount", "currency", "expected_close"};
constexpr std::string_view company_fields[] = {"name", "domain", "industry", "owner"};

FieldMap field(std::string local, std::vector<std::string> remote, std::map<std::string, std::string> values = {}) {
  FieldMap f;
  f.local = std::move(local);
  f.remote = std::move(remote);
  f.values = std::move(values);
  return f;
}

ObjectMap object_map(ObjectType type, std::string remote_type, std::string modified_field, std::string match_field,
                     std::vector<FieldMap> fields) {
  return {type, std::move(remote_type), std::move(modified_field), std::move(match_field), std::move(fields), true};
}

// Every object the vendor's sync knows, in sync order; companies only when the mapping names
// them (parse_mapping): a token or profile that was enough before may not read them.
std::vector<ObjectMap> defaults(Vendor vendor) {
  if (vendor == Vendor::hubspot)
    return {object_map(ObjectType::contact, "contacts", "lastmodifieddate", "email",
                       {field("name", {"firstname", "lastname"}), field("email", {"email"}), field("company", {"company"}),
                        field("attributes.phone", {"phone"}), field("attributes.lifecyclestage", {"lifecyclestage"})}),
            object_map(ObjectType::company, "companies", "hs_lastmodifieddate", "name",
                       {field("name", {"name"}), field("domain", {"domain"}), field("industry", {"industry"}),
                        field("attributes.phone", {"phone"})}),
            object_map(ObjectType::deal, "deals", "hs_lastmodifieddate", "dealname",
                       {field("name", {"dealname"}), field("amount", {"amount"}),
                        field("stage", {"dealstage"},
                              {{"prospecting", "appointmentscheduled"}, {"engaging", "qualifiedtobuy"},
                               {"proposal", "presentationscheduled"}, {"negotiation", "contractsent"},
                               {"won", "closedwon"}, {"lost", "closedlost"}}),
                        field("expected_close", {"closedate"})})};
  auto contacts = object_map(ObjectType::contact, "Contact", "LastModifiedDate", "Email",
                             {field("name", {"FirstName", "LastName"}), field("email", {"Email"}), field("attributes.phone", {"Phone"})});
  contacts.creates = false;
  return {object_map(ObjectType::lead, "Lead", "LastModifiedDate", "Email",
                     {field("name", {"FirstName", "LastName"}), field("email", {"Email"}), field("company", {"Company"}),
                      field("attributes.phone", {"Phone"})}),
          contacts,
          object_map(ObjectType::company, "Account", "LastModifiedDate", "Name",
                     {field("name", {"Name"}), field("industry", {"Industry"}), field("attributes.website", {"Website"}),
                      field("attributes.phone", {"Phone"})}),
          object_map(ObjectType::deal, "Opportunity", "LastModifiedDate", "Name",
                     {field("name", {"Name"}), field("amount", {"Amount"}),
                      field("stage", {"StageName"},
                            {{"prospecting", "Prospecting"}, {"engaging", "Qualification"},
                             {"proposal", "Proposal/Price Quote"}, {"negotiation", "Negotiation/Review"},
                             {"won", "Closed Won"}, {"lost", "Closed Lost"}}),
                      field("expected_close", {"CloseDate"})})};
}

bool known_local(ObjectType type, std::string_view local) {
  if (type != ObjectType::deal && local.starts_with(attributes_prefix)) return local.size() > attributes_prefix.size();
  auto names = stored_as_lead(type)              ? std::span<const std::string_view>(lead_fields)
               : type == ObjectType::company ? std::span<const std::string_view>(company_fields)
                                             : std::span<const std::string_view>(deal_fields);
  return std::find(names.begin(), names.end(), local) != names.end();
}

std::string_view known_locals(ObjectType type) {
  if (stored_as_lead(type)) return "must be one of name, email, company, source, status, owner, attributes.<key>";
  if (type == ObjectType::company) return "must be one of name, domain, industry, owner, attributes.<key>";
  return "must be one of name, account, owner, stage, amount, currency, expected_close";
}

std::vector<FieldMap> parse_fields(ObjectType type, const json::value& value, const std::string& where) {
  if (!value.is_array() || value.as_array().empty())
    throw core::validation_error(where, "must be a non-empty array of {local, remote, truth?, values?}");
  std::vector<FieldMap> out;
  for (std::size_t i = 0; i < value.as_array().size(); ++i) {
    auto at = where + "[" + std::to_string(i) + "]";
    const auto* item = value.as_array()[i].if_object();
    if (!item) throw core::validation_error(at, "must be an object");
    FieldMap f;
    const auto* local = item->if_contains("local");
    if (!local || !local->is_string() || !known_local(type, local->as_string()))
      throw core::validation_error(at + ".local", std::string(known_locals(type)));
    f.local = local->as_string();
    const auto* remote = item->if_contains("remote");
    if (remote && remote->is_string() && !remote->as_string().empty()) {
      f.remote.emplace_back(remote->as_string());
    } else if (remote && remote->is_array() && !remote->as_array().empty()) {
      for (const auto& part : remote->as_array()) {
        if (!part.is_string() || part.as_string().empty()) throw core::validation_error(at + ".remote", "must hold property names");
        f.remote.emplace_back(part.as_string());
      }
    } else {
      throw core::validation_error(at + ".remote", "must be a property name or an array of them (joined by a space)");
    }
    if (const auto* truth = item->if_contains("truth")) {
      auto found = truth->is_string() ? std::find(std::begin(truth_names), std::end(truth_names), truth->as_string()) : std::end(truth_names);
      if (found == std::end(truth_names)) throw core::validation_error(at + ".truth", "must be local, remote or latest");
      f.truth = Truth(found - std::begin(truth_names));
    }
    if (const auto* values = item->if_contains("values")) {
      if (!values->is_object()) throw core::validation_error(at + ".values", "must map local values to remote values");
      for (const auto& [k, v] : values->as_object()) {
        if (!v.is_string()) throw core::validation_error(at + ".values." + std::string(k), "must be a string");
        f.values.emplace(k, v.as_string());
      }
    }
    out.push_back(std::move(f));
  }
  return out;
}

// Minor units from a decimal amount ("1234.5" -> 123450); nullopt for text that is not one.
std::optional<std::int64_t> parse_amount(std::string_view text) {
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) return std::nullopt;
  return std::llround(value * 100);
}

std::string format_amount(std::int64_t minor) {
  auto sign = minor < 0 ? "-" : "";
  auto magnitude = minor < 0 ? -minor : minor;
  auto cents = std::to_string(magnitude % 100);
  return sign + std::to_string(magnitude / 100) + "." + (cents.size() == 1 ? "0" + cents : cents);
}

// The lead's text field of that name (const or not, as the lead is).
template <class L>
auto& lead_field(L& lead, std::string_view name) {
  if (name == "name") return lead.name;
  if (name == "email") return lead.email;
  if (name == "company") return lead.company;
  if (name == "source") return lead.source;
  if (name == "status") return lead.status;
  return lead.owner;
}

bool set(std::string& field, const std::string& value) {
  if (field == value) return false;
  field = value;
  return true;
}

// The company's text field of that name (const or not, as the company is).
template <class C>
auto& company_field(C& company, std::string_view name) {
  if (name == "name") return company.name;
  if (name == "domain") return company.domain;
  if (name == "industry") return company.industry;
  return company.owner;
}

// An attribute (`local` is "attributes.<key>") as text: a string as it is, another value as
// JSON, none as "".
std::string attribute_text(const json::object& attributes, std::string_view local) {
  const auto* value = attributes.if_contains(local.substr(attributes_prefix.size()));
  if (!value || value->is_null()) return "";
  return value->is_string() ? std::string(value->as_string()) : json::serialize(*value);
}

// Sets an attribute to a text value; true when that changed it (no attribute and "" are the same).
bool set_attribute(json::object& attributes, std::string_view local, const std::string& value) {
  auto key = local.substr(attributes_prefix.size());
  const auto* now = attributes.if_contains(key);
  if (now && now->is_string() && now->as_string() == value) return false;
  if (!now && value.empty()) return false;
  attributes[key] = value;
  return true;
}
}  // namespace

json::object to_object(const Values& values) {
  json::object out;
  for (const auto& [k, v] : values) out[k] = v;
  return out;
}

Values from_object(const json::object& object) {
  Values out;
  for (const auto& [k, v] : object)
    if (v.is_string()) out[k] = v.as_string();
  return out;
}

std::string_view name(ObjectType type) { return type_names[int(type)]; }
std::string_view name(Truth truth) { return truth_names[int(truth)]; }

std::optional<ObjectType> object_type(std::string_view name) {
  auto found = std::find(std::begin(type_names), std::end(type_names), name);
  if (found == std::end(type_names)) return std::nullopt;
  return ObjectType(found - std::begin(type_names));
}

std::optional<Vendor> vendor(std::string_view name) {
  if (name == "hubspot") return Vendor::hubspot;
  if (name == "salesforce") return Vendor::salesforce;
  return std::nullopt;
}

Mapping parse_mapping(Vendor vendor, const json::object& config) {
  Mapping mapping;
  mapping.objects = defaults(vendor);
  std::set<ObjectType> named;
  const auto* given = config.if_contains("mapping");
  if (given && !given->is_null() && !given->is_object())
    throw core::validation_error("config.mapping", "must be an object of objects by type");
  for (const auto& [key, value] : given && given->is_object() ? given->get_object() : json::object()) {
    auto where = "config.mapping." + std::string(key);
    auto type = object_type(key);
    auto slot = std::find_if(mapping.objects.begin(), mapping.objects.end(),
                             [&](const ObjectMap& m) { return type && m.type == *type; });
    if (slot == mapping.objects.end())
      throw core::validation_error(where, vendor == Vendor::hubspot ? "must be contact, company or deal"
                                                                    : "must be lead, contact, company or deal");
    named.insert(*type);
    if (value.is_null()) {
      mapping.objects.erase(slot);
      continue;
    }
    const auto* object = value.if_object();
    if (!object) throw core::validation_error(where, "must be {\"fields\": [...]}, {} for the default fields, or null");
    if (object->contains("fields")) slot->fields = parse_fields(*type, object->at("fields"), where + ".fields");
  }
  std::erase_if(mapping.objects, [&](const ObjectMap& m) { return m.type == ObjectType::company && !named.contains(m.type); });
  return mapping;
}

Values local_values(const ObjectMap& map, const store::leads::Lead& lead) {
  Values out;
  for (const auto& f : map.fields)
    out[f.local] = f.local.starts_with(attributes_prefix) ? attribute_text(lead.attributes, f.local) : lead_field(lead, f.local);
  return out;
}

Values local_values(const ObjectMap& map, const store::companies::Company& company) {
  Values out;
  for (const auto& f : map.fields)
    out[f.local] = f.local.starts_with(attributes_prefix) ? attribute_text(company.attributes, f.local) : company_field(company, f.local);
  return out;
}

Values local_values(const ObjectMap& map, const store::deals::Deal& d) {
  Values out;
  for (const auto& f : map.fields) {
    const auto& n = f.local;
    out[n] = n == "name" ? d.name : n == "account" ? d.account : n == "owner" ? d.owner : n == "stage" ? d.stage
           : n == "amount" ? format_amount(d.amount_minor) : n == "currency" ? d.currency : d.expected_close.value_or("");
  }
  return out;
}

Values from_remote(const ObjectMap& map, const Values& properties, const std::vector<std::string>& stages) {
  Values out;
  for (const auto& f : map.fields) {
    std::string value;
    for (const auto& property : f.remote) {
      auto found = properties.find(property);
      if (found == properties.end() || found->second.empty()) continue;
      value += (value.empty() ? "" : " ") + found->second;
    }
    for (const auto& [local, remote] : f.values)
      if (remote == value) value = local;
    if (f.local == "amount") {
      auto minor = parse_amount(value);
      value = format_amount(minor.value_or(0));
    } else if (f.local == "expected_close") {
      value = value.substr(0, 10);  // a date-time's date
    } else if (f.local == "stage" && std::find(stages.begin(), stages.end(), value) == stages.end()) {
      value = stages.empty() ? value : stages.front();
    }
    out[f.local] = std::move(value);
  }
  return out;
}

Values to_remote(const ObjectMap& map, const Values& local) {
  Values out;
  for (const auto& f : map.fields) {
    auto found = local.find(f.local);
    if (found == local.end()) continue;
    auto value = found->second;
    if (auto mapped = f.values.find(value); mapped != f.values.end()) value = mapped->second;
    if (f.remote.size() == 1) {
      out[f.remote[0]] = value;
      continue;
    }
    // Several properties: the first takes the first word, the last the rest; a single word is
    // the last's (Salesforce requires a LastName, not a FirstName).
    if (value.find(' ') == std::string::npos) {
      for (std::size_t i = 0; i < f.remote.size(); ++i) out[f.remote[i]] = i + 1 == f.remote.size() ? value : "";
      continue;
    }
    for (std::size_t i = 0; i < f.remote.size(); ++i) {
      auto space = value.find(' ');
      bool last = i + 1 == f.remote.size();
      out[f.remote[i]] = last ? value : value.substr(0, space);
      value = last || space == std::string::npos ? "" : value.substr(space + 1);
    }
  }
  return out;
}

bool apply(const Values& values, store::leads::Lead& lead) {
  bool changed = false;
  for (const auto& [local, value] : values)
    changed |= local.starts_with(attributes_prefix) ? set_attribute(lead.attributes, local, value) : set(lead_field(lead, local), value);
  return changed;
}

bool apply(const Values& values, store::companies::Company& company) {
  bool changed = false;
  for (const auto& [local, value] : values)
    changed |= local.starts_with(attributes_prefix) ? set_attribute(company.attributes, local, value)
                                                    : set(company_field(company, local), value);
  return changed;
}

bool apply(const Values& values, store::deals::Deal& deal) {
  bool changed = false;
  for (const auto& [local, value] : values) {
    if (local == "name") changed |= set(deal.name, value);
    else if (local == "account") changed |= set(deal.account, value);
    else if (local == "owner") changed |= set(deal.owner, value);
    else if (local == "stage") changed |= set(deal.stage, value);
    else if (local == "currency") changed |= set(deal.currency, value);
    else if (local == "amount") {
      auto minor = parse_amount(value).value_or(0);
      changed |= minor != deal.amount_minor;
      deal.amount_minor = minor;
    } else if (local == "expected_close") {
      auto date = value.empty() ? std::nullopt : std::optional<std::string>(value);
      changed |= date != deal.expected_close;
      deal.expected_close = date;
    }
  }
  return changed;
}

}  // namespace de::integrations::crm
