#pragma once
// Outbound webhooks' tables (docs/integrations.md): the subscriptions with their event-log
// cursors, and one delivery row per subscription and event sent.
#include "store/repositories.hpp"

namespace de::store::webhooks {

struct Subscription {
  std::string id, url, description;
  std::vector<std::string> topics;  // patterns as on /ws/notifications
  std::string secret_sealed;        // the signing secret, sealed under the master key
  std::string status = "active";    // active or paused
  std::int64_t cursor = 0;          // the last event id handled
  std::optional<std::string> created_by;
  std::int64_t created_at = 0, updated_at = 0;
};

struct Delivery {
  std::string id, subscription_id;
  std::int64_t event_id = 0;
  std::string topic;
  std::string status;  // delivered, retrying, dead
  std::int64_t attempts = 0;
  std::optional<std::int64_t> response_status;
  std::optional<std::string> error;
  std::int64_t duration_ms = 0;
  std::optional<std::int64_t> next_attempt_at;  // while retrying
  std::int64_t created_at = 0, updated_at = 0;
};

void insert(Connection& c, const Subscription& s);
// url, description, topics, status, secret_sealed, updated_at.
void update(Connection& c, const Subscription& s);
bool remove(Connection& c, const std::string& id);  // with its deliveries
std::optional<Subscription> find(Connection& c, const std::string& id);
Page<Subscription> list(Connection& c, const PageRequest& page);
std::vector<Subscription> all(Connection& c);
// Moves the cursor forward only (never back to an older event).
void advance(Connection& c, const std::string& id, std::int64_t cursor);

// Each delivery inserted, or its row (same subscription and event) updated: a batch sent again.
void record(Connection& c, const std::vector<Delivery>& deliveries);
std::optional<Delivery> find_delivery(Connection& c, const std::string& id);
// A subscription's deliveries, newest first, of one status when given.
Page<Delivery> deliveries(Connection& c, const std::string& subscription_id, const std::optional<std::string>& status,
                          const PageRequest& page);
// Several nodes: takes or renews, for `holder`, the lease on delivering a subscription's events
// until `expires_at`; false while another holder's lease runs.
bool lease(Connection& c, const std::string& id, const std::string& holder, std::int64_t now, std::int64_t expires_at);
// Every lease `holder` holds, renewed until `expires_at`.
void renew_leases(Connection& c, const std::string& holder, std::int64_t expires_at);
// Deliveries waiting for an attempt due at `now`, oldest due first; with a holder, only those
// of the subscriptions it holds.
std::vector<Delivery> due(Connection& c, std::int64_t now, std::size_t limit, const std::optional<std::string>& holder);
// The soonest next attempt of any retrying delivery (of the holder's subscriptions).
std::optional<std::int64_t> next_due(Connection& c, const std::optional<std::string>& holder);
// Retrying deliveries of a subscription: to tell how many wait.
std::int64_t count_retrying(Connection& c, const std::string& subscription_id);

}  // namespace de::store::webhooks
