#pragma once
// The identity provider as the server talks to it (docs/security.md, "Single sign-on (OIDC)"):
// discovery from `${issuer}/.well-known/openid-configuration`, the signing keys (JWKS) kept and
// fetched again when an ID token names a kid they lack (key rotation; not more often than
// `keys_refresh_floor`), or when older than an hour; the code exchanged at the token endpoint
// (client_secret_basic for a confidential client, client_id alone for a public one) with its
// PKCE verifier. Over the AI layer's HTTP client (ai/http_client.hpp), on the caller's executor.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "auth/oidc.hpp"

namespace de::auth::oidc {

struct Settings {
  std::string issuer;
  std::string client_id;
  std::string client_secret;  // empty: a public client
  std::string redirect_uri;
  std::string scopes;
  std::chrono::seconds keys_refresh_floor{60};
  std::chrono::milliseconds timeout{10'000};  // per call to the provider
};

// What a login attempt keeps between the redirect and the callback (in the store).
struct Attempt {
  std::string state;
  std::string nonce;
  std::string code_verifier;
};
Attempt new_attempt();

class Client {
 public:
  explicit Client(Settings settings);

  // Where to send the browser: the authorization endpoint with the attempt's state, nonce and
  // S256 challenge. Throws core::Error(bad_gateway) when discovery fails.
  boost::asio::awaitable<std::string> authorization_url(boost::asio::any_io_executor executor, const Attempt& attempt);
  // The code redeemed and the ID token validated: its claims. Throws core::Error: unauthorized
  // for a token or code the checks refuse, bad_gateway when the provider fails.
  boost::asio::awaitable<boost::json::object> redeem(boost::asio::any_io_executor executor, const std::string& code,
                                                     const Attempt& attempt);

 private:
  struct Metadata {
    std::string authorization_endpoint, token_endpoint, jwks_uri;
    std::int64_t fetched_at_ms = 0;
  };
  boost::asio::awaitable<Metadata> metadata(boost::asio::any_io_executor executor);
  // The keys, fetched first when there are none, when older than an hour or (`unknown_kid`
  // set) when the last fetch was longer than the floor ago.
  boost::asio::awaitable<std::shared_ptr<const KeySet>> keys(boost::asio::any_io_executor executor,
                                                             const Metadata& metadata, bool unknown_kid);

  Settings settings_;
  mutable std::mutex mutex_;
  std::optional<Metadata> metadata_;
  std::shared_ptr<const KeySet> keys_;
  std::int64_t keys_fetched_at_ms_ = 0;
};

}  // namespace de::auth::oidc
