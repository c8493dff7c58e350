#include "integrations/webhooks.hpp"

#include "integrations/inbound.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <sodium.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <limits>

#include "ai/http_client.hpp"
#include "auth/crypto.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/ids.hpp"
#include "store/event_cursor.hpp"
#include "store/webhook_repository.hpp"
#include "store/write.hpp"

namespace de::integrations {

namespace asio = boost::asio;
using store::webhooks::Delivery;
using store::webhooks::Subscription;

namespace {
constexpr std::string_view secret_prefix = "whsec_";
constexpr std::size_t answer_limit = 1024 * 1024;
constexpr auto idle_check = std::chrono::seconds(1);
// Several nodes: a subscription's lease lasts this long, renewed every lease_renewal by its holder.
constexpr std::int64_t lease_ms = 15'000;
constexpr auto lease_renewal = std::chrono::seconds(5);

// Whether `events` hold a change of the subscription `id`.
bool changes(const std::vector<model::Event>& events, const std::string& id) {
  return std::any_of(events.begin(), events.end(), [&](const model::Event& e) {
    if (!e.topic.starts_with("webhooks.subscription_") || !e.data().is_object()) return false;
    auto* changed = e.data().get_object().if_contains("id");
    return changed && changed->is_string() && changed->get_string() == id;
  });
}

// Retry-After in seconds (the form receivers use for webhooks), as milliseconds.
std::optional<std::int64_t> retry_after_ms(std::string_view value) {
  std::int64_t seconds = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec != std::errc() || end != value.data() + value.size() || seconds < 0) return std::nullopt;
  return std::min<std::int64_t>(seconds, 24 * 3600) * 1000;
}
}  // namespace

std::string new_webhook_secret() {
  unsigned char key[32];
  randombytes_buf(key, sizeof key);
  return std::string(secret_prefix) + auth::base64(std::string_view(reinterpret_cast<const char*>(key), sizeof key));
}

std::string sign_webhook(std::string_view secret, std::string_view id, std::int64_t timestamp, std::string_view body) {
  if (!secret.starts_with(secret_prefix)) throw core::Error(core::ErrorKind::internal, "a webhook secret starts with whsec_");
  secret.remove_prefix(secret_prefix.size());
  std::vector<unsigned char> key(secret.size());
  std::size_t key_size = 0;
  if (sodium_base642bin(key.data(), key.size(), secret.data(), secret.size(), nullptr, &key_size, nullptr,
                        sodium_base64_VARIANT_ORIGINAL) != 0 || key_size == 0)
    throw core::Error(core::ErrorKind::internal, "a webhook secret is whsec_ and base64");
  auto stamp = std::to_string(timestamp);
  auto mac = hmac_sha256(std::string_view(reinterpret_cast<const char*>(key.data()), key_size), {id, ".", stamp, ".", body});
  return "v1," + auth::base64(mac);
}

struct WebhookDispatcher::Pump {
  Pump(asio::strand<asio::io_context::executor_type>& strand, Subscription subscription, std::string secret)
      : subscription(std::move(subscription)), secret(std::move(secret)), wake(strand), reader(this->subscription.cursor) {}
  Subscription subscription;
  std::string secret;
  asio::steady_timer wake;
  store::EventCursor reader;  // the log after the cursor, in id order, no event skipped
  bool held = false;          // several nodes: this node holds the lease
  bool idle = false;    // waiting for events
  bool reload = false;  // the subscription changed: read it again before the next batch
};

// Events on their way: each item's delivery comes back filled in.
struct WebhookDispatcher::Batch {
  struct Item {
    std::shared_ptr<Pump> pump;
    model::Event event;
    Delivery delivery;  // attempts: those made before this one
  };
  explicit Batch(asio::strand<asio::io_context::executor_type>& strand) : done(strand) {}
  std::vector<Item> items;
  std::size_t next = 0, running = 0;
  asio::steady_timer done;
};

WebhookDispatcher::WebhookDispatcher(asio::io_context& io, store::Database& db, bus::MessageRouter& bus,
                                     std::string master_key, WebhookOptions options)
    : io_(io), strand_(asio::make_strand(io)), db_(db), bus_(bus), master_key_(std::move(master_key)),
      options_(std::move(options)) {
  if (db.dialect() == store::Dialect::postgres) holder_ = core::new_id();
}

WebhookDispatcher::~WebhookDispatcher() {
  if (bus_subscription_) bus_.unsubscribe(bus_subscription_);
}

void WebhookDispatcher::start() {
  // Any committed event may be one a pump waits for: wake the idle ones, once per burst.
  bus_subscription_ = bus_.subscribe({"*"}, [this](const model::Event&) {
    if (wake_pending_.exchange(true)) return;
    asio::post(strand_, [this] {
      wake_pending_ = false;
      for (auto& [id, pump] : pumps_)
        if (pump->idle) pump->wake.cancel();
    });
  });
  auto subscriptions = db_.read([](store::Connection& c) { return store::webhooks::all(c); });
  asio::post(strand_, [this, subscriptions = std::move(subscriptions)] {
    for (const auto& s : subscriptions) load(s.id);
    retry_timer_ = std::make_unique<asio::steady_timer>(strand_);
    asio::co_spawn(strand_, run_retries(), asio::detached);
    if (holder_) asio::co_spawn(strand_, watch_cluster(), asio::detached);
  });
}

void WebhookDispatcher::reload(const std::string& subscription_id) {
  asio::post(strand_, [this, subscription_id] { load(subscription_id); });
}

void WebhookDispatcher::wake_retries() {
  asio::post(strand_, [this] {
    if (retry_timer_) retry_timer_->cancel();
  });
}

void WebhookDispatcher::load(const std::string& subscription_id) {
  if (auto it = pumps_.find(subscription_id); it != pumps_.end()) {
    it->second->reload = true;  // its loop reads the subscription before its next batch
    it->second->wake.cancel();
    return;
  }
  auto subscription = db_.read([&](store::Connection& c) { return store::webhooks::find(c, subscription_id); });
  if (!subscription || subscription->status != "active") return;
  auto secret = auth::unseal(master_key_, subscription->secret_sealed);
  if (!secret) {
    spdlog::error(R"("msg":"webhook secret cannot be unsealed: was the master key changed?","subscription":"{}")", subscription_id);
    return;
  }
  auto pump = std::make_shared<Pump>(strand_, std::move(*subscription), std::move(*secret));
  pumps_[subscription_id] = pump;
  asio::co_spawn(strand_, run(pump), asio::detached);
}

asio::awaitable<bool> WebhookDispatcher::hold(Pump& pump) {
  auto now = core::now_ms();
  bool held = co_await store::write(db_, [&](store::Tx& tx) {
    return store::webhooks::lease(tx.connection, pump.subscription.id, *holder_, now, now + lease_ms);
  });
  if (held && !pump.held) {
    pump.reload = true;  // the node that held it before moved the cursor
    spdlog::info(R"("msg":"delivering a webhook subscription's events","subscription":"{}")", pump.subscription.id);
  }
  pump.held = held;
  co_return held;
}

asio::awaitable<void> WebhookDispatcher::watch_cluster() {
  asio::steady_timer timer(strand_);
  for (;;) {
    timer.expires_after(lease_renewal);
    co_await timer.async_wait(asio::use_awaitable);
    auto until = core::now_ms() + lease_ms;
    co_await store::write(db_, [&](store::Tx& tx) { store::webhooks::renew_leases(tx.connection, *holder_, until); });
    // Subscriptions created or changed through another node: a pump starts or follows the change.
    for (const auto& s : db_.read([](store::Connection& c) { return store::webhooks::all(c); })) load(s.id);
  }
}

bool WebhookDispatcher::refresh(Pump& pump) {
  pump.reload = false;
  auto fresh = db_.read([&](store::Connection& c) { return store::webhooks::find(c, pump.subscription.id); });
  auto secret = fresh ? auth::unseal(master_key_, fresh->secret_sealed) : std::nullopt;
  if (!fresh || fresh->status != "active" || !secret) return false;
  if (fresh->cursor > pump.reader.position()) pump.reader = store::EventCursor(fresh->cursor);
  fresh->cursor = pump.reader.position();
  pump.subscription = std::move(*fresh);
  pump.secret = std::move(*secret);
  return true;
}

asio::awaitable<void> WebhookDispatcher::run(std::shared_ptr<Pump> pump) {
  for (;;) {
    // With several nodes, the one holding the lease delivers; the others wait to take it over.
    std::vector<model::Event> events;
    bool mine = true;
    if (holder_) mine = co_await hold(*pump);
    if (mine) {
      if (pump->reload && !refresh(*pump)) break;
      events = pump->reader.next(db_, options_.batch);
      // A change of the subscription in the log (made through any node, maybe before its reload
      // reached this pump) applies to the events read with it: a rotated secret signs them.
      if (changes(events, pump->subscription.id) && !refresh(*pump)) break;
    }
    if (events.empty()) {
      pump->idle = true;
      pump->wake.expires_after(idle_check);
      co_await pump->wake.async_wait(asio::as_tuple(asio::use_awaitable));
      pump->idle = false;
      continue;
    }
    Batch batch(strand_);
    for (auto& event : events) {
      bool wanted = std::any_of(pump->subscription.topics.begin(), pump->subscription.topics.end(),
                                [&](const std::string& pattern) { return bus::topic_matches(pattern, event.topic); });
      if (!wanted) continue;
      Delivery delivery;
      delivery.id = core::new_id();
      delivery.subscription_id = pump->subscription.id;
      delivery.event_id = event.id;
      delivery.topic = event.topic;
      delivery.created_at = core::now_ms();
      batch.items.push_back({pump, std::move(event), std::move(delivery)});
    }
    co_await send_all(batch);
    std::vector<Delivery> deliveries;
    for (auto& item : batch.items) deliveries.push_back(std::move(item.delivery));
    auto cursor = events.back().id;
    const auto& id = pump->subscription.id;
    // Recorded with the cursor in one transaction: after a crash the batch is sent again whole.
    co_await store::write(db_, [&](store::Tx& tx) {
      store::webhooks::record(tx.connection, deliveries);
      store::webhooks::advance(tx.connection, id, cursor);
    });
    pump->subscription.cursor = cursor;
    if (std::any_of(deliveries.begin(), deliveries.end(), [](const Delivery& d) { return d.status == "retrying"; }))
      wake_retries();
  }
  pumps_.erase(pump->subscription.id);
}

asio::awaitable<void> WebhookDispatcher::run_retries() {
  for (;;) {
    auto now = core::now_ms();
    auto due = db_.read([&](store::Connection& c) { return store::webhooks::due(c, now, options_.batch, holder_); });
    Batch batch(strand_);
    std::vector<Delivery> settled;  // not sent now: their event is gone, or their pump not yet loaded
    for (auto& delivery : due) {
      auto pump = pumps_.find(delivery.subscription_id);
      auto event = pump == pumps_.end() ? std::nullopt : db_.event(delivery.event_id);
      if (pump != pumps_.end() && event) {
        batch.items.push_back({pump->second, std::move(*event), std::move(delivery)});
        continue;
      }
      if (pump == pumps_.end()) delivery.next_attempt_at = now + 1000;
      else delivery.status = "dead", delivery.error = "the event is no longer stored", delivery.next_attempt_at.reset();
      delivery.updated_at = now;
      settled.push_back(std::move(delivery));
    }
    if (due.empty()) {
      auto next = db_.read([&](store::Connection& c) { return store::webhooks::next_due(c, holder_); });
      auto wait = next ? std::chrono::milliseconds(std::max<std::int64_t>(0, *next - core::now_ms())) : idle_check * 60;
      retry_timer_->expires_after(std::min<std::chrono::milliseconds>(wait, idle_check * 60));
      co_await retry_timer_->async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    co_await send_all(batch);
    for (auto& item : batch.items) settled.push_back(std::move(item.delivery));
    co_await store::write(db_, [&](store::Tx& tx) { store::webhooks::record(tx.connection, settled); });
  }
}

asio::awaitable<void> WebhookDispatcher::send_all(Batch& batch) {
  auto workers = std::min(options_.in_flight, batch.items.size());
  for (std::size_t i = 0; i < workers; ++i) {
    ++batch.running;
    asio::co_spawn(strand_, send_some(batch), [&batch](std::exception_ptr) {
      if (--batch.running == 0) batch.done.cancel();
    });
  }
  while (batch.running > 0) {
    batch.done.expires_at(asio::steady_timer::time_point::max());
    co_await batch.done.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

asio::awaitable<void> WebhookDispatcher::send_some(Batch& batch) {
  while (batch.next < batch.items.size()) {
    auto& item = batch.items[batch.next++];
    auto& d = item.delivery;
    auto message_id = "msg_" + std::to_string(item.event.id);
    auto timestamp = core::now_ms() / 1000;
    const std::string& body = *item.event.wire;
    ai::HttpHeaders headers{{"content-type", "application/json"},
                            {"user-agent", "digital-enterprise-webhooks"},
                            {"webhook-id", message_id},
                            {"webhook-timestamp", std::to_string(timestamp)},
                            {"webhook-signature", sign_webhook(item.pump->secret, message_id, timestamp, body)}};
    auto started = std::chrono::steady_clock::now();
    std::optional<std::int64_t> wait_at_least;
    d.attempts += 1;
    d.error.reset();
    d.response_status.reset();
    try {
      auto answer = co_await ai::request(co_await asio::this_coro::executor, "POST", item.pump->subscription.url,
                                         std::move(headers), body, options_.timeout, {}, answer_limit);
      d.response_status = answer.status;
      if (answer.status < 200 || answer.status > 299) {
        d.error = "the receiver answered " + std::to_string(answer.status);
        wait_at_least = retry_after_ms(answer.header("retry-after"));
      }
    } catch (const std::exception& e) {
      d.error = e.what();
    }
    auto now = core::now_ms();
    d.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
    d.updated_at = now;
    // Attempt k failed: wait the schedule's k-th wait, or give up after the last one.
    auto waited = std::size_t(d.attempts - 1);
    if (!d.error) d.status = "delivered", d.next_attempt_at.reset();
    else if (waited < options_.retry_ms.size())
      d.status = "retrying", d.next_attempt_at = now + std::max(options_.retry_ms[waited], wait_at_least.value_or(0));
    else d.status = "dead", d.next_attempt_at.reset();
  }
}

}  // namespace de::integrations
