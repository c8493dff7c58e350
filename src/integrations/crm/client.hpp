#pragma once
// The CRM vendors' clients on the server's event loop (docs/integrations.md, "CRM sync"): the
// few calls sync needs, each vendor's paging, rate limits and retries inside.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <memory>

#include "ai/http_client.hpp"
#include "integrations/crm/mapping.hpp"

namespace de::integrations::crm {

// Where and how to reach one integration's CRM: what sync needs of an integration's row.
struct Endpoint {
  std::string integration_id;
  Vendor vendor = Vendor::hubspot;
  std::string base_url;              // https://api.hubapi.com, a Salesforce instance URL
  boost::json::object credentials;   // HubSpot {"access_token"}; Salesforce {"client_id", "client_secret", "token_url"?}
  Mapping mapping;
  // Which deletions sync (config `deletions`: both, pull, push or none).
  bool pull_deletions = true, push_deletions = true;
};

struct ChangePage {
  std::vector<RemoteRecord> records;  // oldest change first
  std::string next;                   // for the next page; empty after the last
  bool truncated = false;             // the vendor pages no further: ask again from the cursor
};

struct RetryPolicy {
  int attempts = 6;
  std::chrono::milliseconds first_wait{500}, longest_wait{30'000}, timeout{30'000};
};

class Client {
 public:
  virtual ~Client() = default;
  // Records of `map`'s type changed at or after `since_ms`: the first page with `next` empty,
  // then each page's `next` until it comes back empty.
  virtual boost::asio::awaitable<ChangePage> changes(const ObjectMap& map, std::int64_t since_ms, std::string next) = 0;
  // Creates records from their properties; the records made, in the order given.
  virtual boost::asio::awaitable<std::vector<RemoteRecord>> create(const ObjectMap& map, std::vector<Values> records) = 0;
  // Throws not_found when the vendor has no such record (deleted there).
  virtual boost::asio::awaitable<RemoteRecord> update(const ObjectMap& map, std::string id, Values properties) = 0;
  // Updates records (remote id, the properties to set) as many at a time as the vendor takes;
  // in order, each record as it became, or none when the vendor has no such record (deleted
  // there). By default one update() each.
  virtual boost::asio::awaitable<std::vector<std::optional<RemoteRecord>>> update_many(
      const ObjectMap& map, std::vector<std::pair<std::string, Values>> changes);
  // Records of `map`'s type deleted on the vendor's side (ids only), a page at a time as
  // `changes` pages. A vendor that lists none answers one empty page (Salesforce: its
  // deletions show when an update is answered 404).
  virtual boost::asio::awaitable<ChangePage> removed(const ObjectMap& map, std::string next) = 0;
  // Deletes a record (HubSpot archives it); one that is gone already counts as deleted.
  virtual boost::asio::awaitable<void> remove(const ObjectMap& map, std::string id) = 0;
  // The record whose `map.match_field` is `value`, if one is (a create whose answer was lost).
  virtual boost::asio::awaitable<std::optional<RemoteRecord>> find_match(const ObjectMap& map, std::string value) = 0;

 protected:
  // update(), with a record deleted there as none.
  boost::asio::awaitable<std::optional<RemoteRecord>> update_unless_gone(const ObjectMap& map, std::string id, Values properties);
};

// The form that asks Salesforce's token endpoint for an access token: with the refresh token a
// person's consent gave, when there is one, else by the client credentials.
std::string salesforce_token_form(std::string_view client_id, std::string_view client_secret, std::string_view refresh_token);

std::unique_ptr<Client> make_client(boost::asio::any_io_executor executor, const Endpoint& endpoint, RetryPolicy retry = {});

}  // namespace de::integrations::crm
