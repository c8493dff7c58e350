#include "integrations/catalog.hpp"

#include <boost/json.hpp>

#include <algorithm>

#include "ai/http_client.hpp"
#include "core/duration.hpp"
#include "core/error.hpp"
#include "core/outbound.hpp"
#include "integrations/crm/mapping.hpp"
#include "integrations/curl_guard.hpp"

namespace de::integrations {

namespace json = boost::json;

namespace {
constexpr ConfigField slack_config[] = {{"base_url", FieldKind::web_url, false, "https://slack.com/api"},
                                        {"default_channel", FieldKind::text, false, ""}};
constexpr CredentialField slack_credentials[] = {{"bot_token", true}, {"signing_secret", false}};
constexpr std::string_view slack_actions[] = {"post_message"};

constexpr ConfigField email_config[] = {{"smtp_url", FieldKind::smtp_url, true, ""},
                                        {"from", FieldKind::text, true, ""},
                                        {"starttls", FieldKind::starttls, false, "required"}};
// A loopback or internal relay may take mail without AUTH.
constexpr CredentialField email_credentials[] = {{"username", false}, {"password", false}, {"webhook_secret", false}};
constexpr std::string_view email_actions[] = {"send_email"};

// webhook_url: the URL HubSpot calls, as the app registered it; v3 signatures cover it.
constexpr ConfigField hubspot_config[] = {{"base_url", FieldKind::web_url, false, "https://api.hubapi.com"},
                                          {"webhook_url", FieldKind::callback_url, false, ""},
                                          {"mapping", FieldKind::crm_mapping, false, ""},
                                          {"sync_every", FieldKind::sync_every, false, ""},
                                          {"deletions", FieldKind::sync_deletions, false, "both"}};
constexpr CredentialField hubspot_credentials[] = {{"access_token", true}, {"client_secret", false}};

constexpr ConfigField salesforce_config[] = {{"instance_url", FieldKind::web_url, true, ""},
                                             {"login_url", FieldKind::web_url, false, ""},
                                             // Where Salesforce sends a person back after consenting
                                             // (else this server as the browser reached it).
                                             {"oauth_redirect_uri", FieldKind::callback_url, false, ""},
                                             {"api_version", FieldKind::text, false, "60.0"},
                                             {"mapping", FieldKind::crm_mapping, false, ""},
                                             {"sync_every", FieldKind::sync_every, false, ""},
                                             {"deletions", FieldKind::sync_deletions, false, "both"}};
// refresh_token: set by a person's consent (docs/integrations.md, "Consent"), or by hand.
constexpr CredentialField salesforce_credentials[] = {
    {"client_id", true}, {"client_secret", true}, {"refresh_token", false}, {"webhook_secret", false}};

constexpr ConfigField jira_config[] = {{"base_url", FieldKind::web_url, true, ""},
                                       {"project_key", FieldKind::text, false, ""}};
constexpr ConfigField confluence_config[] = {{"base_url", FieldKind::web_url, true, ""},
                                             {"space_id", FieldKind::text, false, ""}};
// webhook_secret: inbound webhooks signed with the generic HMAC-SHA256 (docs/integrations.md).
constexpr CredentialField atlassian_credentials[] = {{"email", true}, {"api_token", true}, {"webhook_secret", false}};
constexpr std::string_view jira_actions[] = {"create_issue", "add_comment"};
constexpr std::string_view confluence_actions[] = {"create_page"};

// CRM actions are the sync's (issue 21, CRM part): these two only check their credentials here.
constexpr VendorType types[] = {
    {"salesforce", salesforce_config, salesforce_credentials, {}},
    {"hubspot", hubspot_config, hubspot_credentials, {}},
    {"jira", jira_config, atlassian_credentials, jira_actions},
    {"confluence", confluence_config, atlassian_credentials, confluence_actions},
    {"slack", slack_config, slack_credentials, slack_actions},
    {"email", email_config, email_credentials, email_actions},
};

constexpr std::string_view names[] = {"salesforce", "hubspot", "jira", "confluence", "slack", "email"};
static_assert(std::size(names) == std::size(types));

constexpr std::size_t max_field_length = 2000;
constexpr std::int64_t min_sync_every_ms = 10'000;

// A CRM mapping is checked by the parser sync uses, so what is saved is what sync can run.
void check_mapping(const VendorType& type, const json::value& mapping, std::vector<core::FieldError>& errors) {
  try {
    crm::parse_mapping(*crm::vendor(type.name), json::object{{"mapping", mapping}});
  } catch (const core::Error& e) {
    errors.insert(errors.end(), e.fields().begin(), e.fields().end());
  }
}

// The problem with `value` for a field of `kind`, empty when there is none. The outbound guard
// judges only a value given now (`given`): a stored one it refuses since (DE_OUTBOUND_ALLOW
// changed) must not stop other changes, such as switching the integration off; calls to it are
// refused when they connect.
std::string problem(FieldKind kind, std::string_view value, bool given) {
  auto refusal = [&](std::string_view host) { return given ? core::outbound::policy().refusal_for_host(host) : ""; };
  switch (kind) {
    case FieldKind::text: return value.empty() ? "must not be empty" : "";
    case FieldKind::web_url: {
      auto host = ai::url_host(value);
      return host.empty() ? "must be an http:// or https:// URL with a host" : refusal(host);
    }
    case FieldKind::callback_url:
      return ai::url_host(value).empty() ? "must be an http:// or https:// URL with a host" : "";
    case FieldKind::smtp_url: {
      auto host = url_host(value);
      return (value.starts_with("smtp://") || value.starts_with("smtps://")) && !host.empty()
                 ? refusal(host)
                 : "must be an smtp:// or smtps:// URL with a host, such as smtps://mail.example.com:465";
    }
    case FieldKind::starttls: return value == "required" || value == "optional" ? "" : "must be required or optional";
    case FieldKind::sync_every: {
      auto ms = core::parse_duration_ms(value);
      return ms && *ms >= min_sync_every_ms && *ms <= 24 * 3'600'000 ? "" : "must be a duration from 10s to 24h, such as 15m";
    }
    case FieldKind::sync_deletions:
      return value == "both" || value == "pull" || value == "push" || value == "none" ? ""
                                                                                      : "must be both, pull, push or none";
    case FieldKind::crm_mapping: break;  // an object, checked by check_mapping
  }
  return "";
}
}  // namespace

std::span<const VendorType> vendor_types() { return types; }
std::span<const std::string_view> type_names() { return names; }

const VendorType* find_type(std::string_view name) {
  for (const auto& t : types)
    if (t.name == name) return &t;
  return nullptr;
}

json::object read_config(const VendorType& type, const json::object* given, const json::object& current,
                         std::vector<core::FieldError>& errors) {
  json::object merged = current;
  if (given)
    for (const auto& [key, value] : *given) merged[key] = value;
  json::object out;
  for (const auto& field : type.config) {
    auto name = "config." + std::string(field.name);
    const auto* value = merged.if_contains(field.name);
    if (!value || value->is_null()) {
      if (!field.fallback.empty()) out[field.name] = field.fallback;
      else if (field.required) errors.push_back({name, "is required for a " + std::string(type.name) + " integration"});
      continue;
    }
    if (field.kind == FieldKind::crm_mapping) {
      check_mapping(type, *value, errors);
      out[field.name] = *value;
      continue;
    }
    if (!value->is_string() || value->get_string().size() > max_field_length) {
      errors.push_back({name, "must be a string of at most 2000 characters"});
      continue;
    }
    std::string_view text = value->get_string();
    if (auto message = problem(field.kind, text, given && given->contains(field.name)); !message.empty())
      errors.push_back({name, std::move(message)});
    out[field.name] = text;
  }
  for (const auto& [key, value] : merged)
    if (!out.contains(key) && !std::any_of(type.config.begin(), type.config.end(),
                                           [&](const ConfigField& f) { return f.name == key; }))
      errors.push_back({"config." + std::string(key), "is not a " + std::string(type.name) + " setting"});
  if (type.name == "email" && out.contains("from")) {
    std::string_view from = out.at("from").get_string();
    if (from.find('@') == std::string_view::npos || from.find_first_of("\r\n") != std::string_view::npos)
      errors.push_back({"config.from", "must be an email address, such as Sales <sales@example.com>"});
  }
  return out;
}

Credentials read_credentials(const VendorType& type, const json::object* given, Credentials current,
                             std::vector<core::FieldError>& errors) {
  auto known = [&](std::string_view key) {
    return std::any_of(type.credentials.begin(), type.credentials.end(),
                       [&](const CredentialField& f) { return f.name == key; });
  };
  if (given)
    for (const auto& [key, value] : *given) {
      auto name = "credentials." + std::string(key);
      if (!known(key)) errors.push_back({name, "is not a " + std::string(type.name) + " credential"});
      else if (value.is_null()) current.erase(std::string(key));
      else if (!value.is_string() || value.get_string().empty() || value.get_string().size() > max_field_length)
        errors.push_back({name, "must be a non-empty string of at most 2000 characters"});
      else current[std::string(key)] = std::string(value.get_string());
    }
  for (const auto& field : type.credentials)
    if (field.required && !current.contains(std::string(field.name)))
      errors.push_back({"credentials." + std::string(field.name),
                        "is required for a " + std::string(type.name) + " integration"});
  // For AUTH, a user name goes with a password.
  if (type.name == "email" && current.contains("username") != current.contains("password"))
    errors.push_back({current.contains("username") ? "credentials.password" : "credentials.username",
                      "the user name and the password go together"});
  return current;
}

std::string credentials_text(const Credentials& credentials) {
  json::object o;
  for (const auto& [key, value] : credentials) o[key] = value;
  return core::to_text(o);
}

Credentials parse_credentials(std::string_view text) {
  Credentials out;
  auto parsed = core::parse_stored(text);
  if (parsed.is_object())
    for (const auto& [key, value] : parsed.get_object())
      if (value.is_string()) out[std::string(key)] = std::string(value.get_string());
  return out;
}

}  // namespace de::integrations
