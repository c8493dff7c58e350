#pragma once
// Outbound webhooks (docs/integrations.md): each subscription's events, read from the event log
// after its cursor, POSTed to its URL with the Standard Webhooks headers (webhook-id,
// webhook-timestamp, webhook-signature). A subscription runs by itself: a slow or failing
// receiver delays only its own deliveries, never another subscriber's or the hub. A failed
// delivery is tried again after each wait of the retry schedule, then it is dead (the
// dead-letter list) until someone redelivers it. At least once: a batch sent when the process
// died is sent again, with the same webhook-id, for the receiver to drop.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bus/router.hpp"
#include "store/database.hpp"

namespace de::integrations {

// A new signing secret: "whsec_" and 32 random bytes in base64.
std::string new_webhook_secret();
// "v1,<base64 of HMAC-SHA256(key, id.timestamp.body)>", the key being the secret's bytes after
// "whsec_" (Standard Webhooks). Throws core::Error for a secret that is not of that form.
std::string sign_webhook(std::string_view secret, std::string_view id, std::int64_t timestamp, std::string_view body);

struct WebhookOptions {
  std::vector<std::int64_t> retry_ms;                 // the waits between attempts
  std::chrono::milliseconds timeout{10'000};           // per attempt
  std::size_t in_flight = 32;                          // requests at once per subscription
  std::size_t batch = 512;                             // events read at once
};

class WebhookDispatcher {
 public:
  WebhookDispatcher(boost::asio::io_context& io, store::Database& db, bus::MessageRouter& bus, std::string master_key,
                    WebhookOptions options);
  ~WebhookDispatcher();
  // Starts every active subscription from its cursor, and the retries.
  void start();
  // After a subscription was created, changed or deleted (its change committed).
  void reload(const std::string& subscription_id);
  // After deliveries were set to be tried again now.
  void wake_retries();

 private:
  struct Pump;
  struct Batch;
  boost::asio::awaitable<void> run(std::shared_ptr<Pump> pump);
  boost::asio::awaitable<void> run_retries();
  // Reads the pump's subscription and secret again; false when it is gone, paused or unreadable.
  bool refresh(Pump& pump);
  // Several nodes: takes or renews the lease on the pump's subscription; true while held.
  boost::asio::awaitable<bool> hold(Pump& pump);
  // Several nodes: keeps this node's leases alive while it lives, and follows the subscriptions
  // created or changed through other nodes.
  boost::asio::awaitable<void> watch_cluster();
  // Sends the batch's events, `in_flight` at a time, and fills in its deliveries.
  boost::asio::awaitable<void> send_all(Batch& batch);
  boost::asio::awaitable<void> send_some(Batch& batch);
  // Reads the subscription again: a pump for it starts, follows its change or stops.
  void load(const std::string& subscription_id);

  boost::asio::io_context& io_;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  store::Database& db_;
  bus::MessageRouter& bus_;
  std::string master_key_;
  WebhookOptions options_;
  std::uint64_t bus_subscription_ = 0;
  std::atomic<bool> wake_pending_{false};
  std::map<std::string, std::shared_ptr<Pump>> pumps_;  // by subscription id; strand only
  std::unique_ptr<boost::asio::steady_timer> retry_timer_;
  std::optional<std::string> holder_;  // several nodes (PostgreSQL): this node's lease holder id
};

}  // namespace de::integrations
