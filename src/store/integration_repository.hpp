#pragma once
// The integrations table (docs/integrations.md): one connection to a vendor each, its
// credentials sealed under the master key, the outcome of its last credential check.
#include "store/repositories.hpp"

namespace de::store::integrations {

struct Integration {
  std::string id, name, type;
  boost::json::object config;
  std::optional<std::string> credentials_sealed;  // a JSON object of the credentials, sealed
  bool is_active = true;
  std::optional<std::int64_t> last_sync;
  std::optional<boost::json::value> last_test;  // {ok, detail, at}
  std::optional<std::string> created_by;
  std::int64_t created_at = 0, updated_at = 0;
};

void insert(Connection& c, const Integration& i);
// name, config, credentials_sealed, is_active, updated_at.
void update(Connection& c, const Integration& i);
void record_test(Connection& c, const std::string& id, const boost::json::value& last_test);
bool remove(Connection& c, const std::string& id);
std::optional<Integration> find(Connection& c, const std::string& id);
// Those named `name`: a workflow step may name its integration instead of giving its id.
std::vector<Integration> named(Connection& c, const std::string& name);
Page<Integration> list(Connection& c, const std::optional<std::string>& type, const PageRequest& page);

// A person's consent to an integration, begun (docs/integrations.md, "Consent"): kept under its
// state's hash until the vendor's callback, so that any node can take that.
struct ConsentAttempt {
  std::string integration_id, code_verifier, redirect_uri;
  std::string user_id;  // who began it
  std::int64_t expires_at = 0;
};
// Attempts that expired are deleted meanwhile.
void insert_consent(Connection& c, const std::string& state_hash, const ConsentAttempt& attempt, std::int64_t now);
// Spends the attempt: found at most once, and only before it expires.
std::optional<ConsentAttempt> take_consent(Connection& c, const std::string& state_hash, std::int64_t now);

// An inbound webhook kept; false when one with this signature was already kept (a replay).
bool keep_inbound(Connection& c, const std::string& id, const std::string& integration_id, const std::string& signature,
                  std::string_view body, std::int64_t received_at);

}  // namespace de::store::integrations
