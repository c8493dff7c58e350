#pragma once
// The vendor clients (docs/integrations.md): one per integration type, on the server's event
// loop (ai/http_client: pooled connections, TLS verified), each call retried with backoff on
// 429, 5xx and lost connections (Retry-After honoured); SMTP through libcurl on a small pool.
// `test` checks an integration's credentials against the vendor; `act` runs one of its actions.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "integrations/catalog.hpp"
#include "store/integration_repository.hpp"

namespace de::integrations {

// An integration ready to call: its credentials unsealed.
struct Account {
  std::string id, name, type;
  boost::json::object config;
  Credentials credentials;
};

struct Check {
  std::string name;
  bool passed = false;
  std::string detail;
};

struct TestReport {
  bool ok = false;
  std::vector<Check> checks;
  std::int64_t latency_ms = 0;
  boost::json::object to_json() const;
  // What is kept as the integration's last_test: {ok, detail, at}.
  boost::json::object summary(std::int64_t at) const;
};

// `integration`'s credentials unsealed under `master_key` (none when it has none).
Account account_of(const store::integrations::Integration& integration, std::string_view master_key);
// The active integration `reference` names: its id, or its name when exactly one has it.
// Throws not_found, or validation when it is switched off.
store::integrations::Integration find_usable(store::Connection& c, const std::string& reference);
// find_usable's integration, which must be of `type` (else a validation error naming `field`),
// ready to call.
Account usable_account(store::Connection& c, std::string_view master_key, const std::string& reference,
                       std::string_view type, const std::string& field);

// Salesforce's OAuth 2.0 web server flow (docs/integrations.md, "Consent"): where to send the
// person who consents (the login URL's authorize page, with `state` and the S256 `challenge` of
// the PKCE verifier); the callback gets the code at `redirect_uri`.
std::string consent_url(const Account& account, const std::string& redirect_uri, const std::string& state,
                        const std::string& challenge);

// What a person's consent gave.
struct Consent {
  std::string refresh_token;
  std::string instance_url;  // the org's, when the answer names it
};

class Connectors;
// The vendor clients; unavailable (503) where they are not running (a context that only lists
// routes, an agent made without them).
Connectors& running(Connectors* clients);

class Connectors {
 public:
  // `timeout` bounds each vendor call (every attempt).
  explicit Connectors(std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));
  ~Connectors();

  // Never throws for what the vendor or the network did: a failed check says what failed.
  boost::asio::awaitable<TestReport> test(const Account& account);
  // The vendor's result, normalised per action (docs/integrations.md). Throws core::Error:
  // validation for input the action cannot use (the field named), bad_gateway when the vendor
  // refused it or could not be reached (with its message).
  boost::asio::awaitable<boost::json::object> act(const Account& account, const std::string& action,
                                                  const boost::json::object& input);
  // The code a person's consent gave, exchanged with its PKCE verifier at the login URL's token
  // endpoint. Throws bad_gateway with Salesforce's reason (a code used or expired, say).
  boost::asio::awaitable<Consent> redeem_consent(const Account& account, const std::string& code,
                                                 const std::string& redirect_uri, const std::string& verifier);

 private:
  std::chrono::milliseconds timeout_;
  boost::asio::thread_pool mail_pool_{1};
};

}  // namespace de::integrations
