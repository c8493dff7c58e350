#pragma once
// The vendors an integration may connect to (docs/integrations.md): for each type, the config
// fields with their defaults and checks, the credential names, and the actions it offers.
#include <boost/json/object.hpp>

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.hpp"

namespace de::integrations {

// Credentials as stored (sealed, as one JSON object): name to secret.
using Credentials = std::map<std::string, std::string>;

// web_url: a URL this server calls (the outbound guard checks its host); callback_url: one the
// vendor calls, named to the vendor only; crm_mapping: a JSON object (the CRM sync's field
// mapping); sync_every: a duration such as 15m.
enum class FieldKind { text, web_url, callback_url, smtp_url, starttls, crm_mapping, sync_every, sync_deletions };

struct ConfigField {
  std::string_view name;
  FieldKind kind;
  bool required;
  std::string_view fallback;  // set when absent ("" for none)
};

struct CredentialField {
  std::string_view name;
  bool required;
};

struct VendorType {
  std::string_view name;
  std::span<const ConfigField> config;
  std::span<const CredentialField> credentials;
  std::span<const std::string_view> actions;
};

// Every type, in the order the documentation lists them.
std::span<const VendorType> vendor_types();
std::span<const std::string_view> type_names();
const VendorType* find_type(std::string_view name);

// `given` (may be null) merged over `current`, defaults filled in, each field checked; errors
// name the field as config.<name>. Unknown fields are errors.
boost::json::object read_config(const VendorType& type, const boost::json::object* given,
                                const boost::json::object& current, std::vector<core::FieldError>& errors);
// The credential keys `given` names replace those in `current`; then every required one must be
// there. Errors name the field as credentials.<name>.
Credentials read_credentials(const VendorType& type, const boost::json::object* given, Credentials current,
                             std::vector<core::FieldError>& errors);

// Sealed storage of the credentials: one JSON object of strings.
std::string credentials_text(const Credentials& credentials);
Credentials parse_credentials(std::string_view text);

}  // namespace de::integrations
