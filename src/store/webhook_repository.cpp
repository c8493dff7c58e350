#include "store/webhook_repository.hpp"

#include "core/error.hpp"
#include "core/json.hpp"

namespace de::store::webhooks {

namespace {
constexpr const char* subscription_columns =
    "SELECT id, url, description, topics, secret_sealed, status, cursor, created_by, created_at, updated_at "
    "FROM webhook_subscriptions";
constexpr const char* delivery_columns =
    "SELECT id, subscription_id, event_id, topic, status, attempts, response_status, error, duration_ms, "
    "next_attempt_at, created_at, updated_at FROM webhook_deliveries";

std::string topics_text(const std::vector<std::string>& topics) {
  boost::json::array a;
  for (const auto& t : topics) a.emplace_back(t);
  return core::to_text(a);
}

Subscription subscription_from(const Row& r) {
  Subscription s;
  s.id = r.text(0);
  s.url = r.text(1);
  s.description = r.text(2);
  auto topics = core::parse_stored(r.text(3));
  if (topics.is_array())
    for (const auto& t : topics.get_array())
      if (t.is_string()) s.topics.emplace_back(t.get_string());
  s.secret_sealed = r.text(4);
  s.status = r.text(5);
  s.cursor = r.integer(6);
  s.created_by = r.optional_text(7);
  s.created_at = r.integer(8);
  s.updated_at = r.integer(9);
  return s;
}

Delivery delivery_from(const Row& r) {
  Delivery d;
  d.id = r.text(0);
  d.subscription_id = r.text(1);
  d.event_id = r.integer(2);
  d.topic = r.text(3);
  d.status = r.text(4);
  d.attempts = r.integer(5);
  d.response_status = r.optional_integer(6);
  d.error = r.optional_text(7);
  d.duration_ms = r.integer(8);
  d.next_attempt_at = r.optional_integer(9);
  d.created_at = r.integer(10);
  d.updated_at = r.integer(11);
  return d;
}

constexpr std::size_t rows_per_statement = 200;
}  // namespace

void insert(Connection& c, const Subscription& s) {
  auto topics = topics_text(s.topics);
  c.query("INSERT INTO webhook_subscriptions (id, url, description, topics, secret_sealed, status, cursor, created_by, "
          "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
          {std::string_view(s.id), std::string_view(s.url), std::string_view(s.description), std::string_view(topics),
           std::string_view(s.secret_sealed), std::string_view(s.status), s.cursor, nullable(s.created_by),
           s.created_at, s.updated_at});
}

void update(Connection& c, const Subscription& s) {
  auto topics = topics_text(s.topics);
  c.query("UPDATE webhook_subscriptions SET url = ?, description = ?, topics = ?, status = ?, secret_sealed = ?, "
          "updated_at = ? WHERE id = ?",
          {std::string_view(s.url), std::string_view(s.description), std::string_view(topics),
           std::string_view(s.status), std::string_view(s.secret_sealed), s.updated_at, std::string_view(s.id)});
}

bool remove(Connection& c, const std::string& id) {
  c.query("DELETE FROM webhook_deliveries WHERE subscription_id = ?", {std::string_view(id)});
  return c.query("DELETE FROM webhook_subscriptions WHERE id = ?", {std::string_view(id)}).affected > 0;
}

std::optional<Subscription> find(Connection& c, const std::string& id) {
  auto result = c.query(std::string(subscription_columns) + " WHERE id = ?", {std::string_view(id)});
  if (result.rows.empty()) return std::nullopt;
  return subscription_from(result.rows[0]);
}

Page<Subscription> list(Connection& c, const PageRequest& page) {
  auto sql = std::string(subscription_columns) + (page.cursor ? " WHERE id > ?" : "") + " ORDER BY id LIMIT ?";
  auto result = page.cursor ? c.query(sql, {std::string_view(*page.cursor), page.limit + 1})
                            : c.query(sql, {page.limit + 1});
  return to_page<Subscription>(result, page, subscription_from);
}

std::vector<Subscription> all(Connection& c) {
  std::vector<Subscription> out;
  for (const auto& row : c.query(std::string(subscription_columns) + " ORDER BY id").rows)
    out.push_back(subscription_from(row));
  return out;
}

void advance(Connection& c, const std::string& id, std::int64_t cursor) {
  c.query("UPDATE webhook_subscriptions SET cursor = ? WHERE id = ? AND cursor < ?",
          {cursor, std::string_view(id), cursor});
}

void record(Connection& c, const std::vector<Delivery>& deliveries) {
  for (std::size_t start = 0; start < deliveries.size(); start += rows_per_statement) {
    auto end = std::min(deliveries.size(), start + rows_per_statement);
    std::vector<Param> params;
    for (auto i = start; i < end; ++i) {
      const auto& d = deliveries[i];
      params.insert(params.end(), {std::string_view(d.id), std::string_view(d.subscription_id), d.event_id,
                                   std::string_view(d.topic), std::string_view(d.status), d.attempts,
                                   nullable(d.response_status), nullable(d.error), d.duration_ms,
                                   nullable(d.next_attempt_at), d.created_at, d.updated_at});
    }
    c.query(insert_sql("INSERT INTO webhook_deliveries (id, subscription_id, event_id, topic, status, attempts, "
                       "response_status, error, duration_ms, next_attempt_at, created_at, updated_at)",
                       12, end - start,
                       "ON CONFLICT (subscription_id, event_id) DO UPDATE SET status = excluded.status, attempts = "
                       "excluded.attempts, response_status = excluded.response_status, error = excluded.error, "
                       "duration_ms = excluded.duration_ms, next_attempt_at = excluded.next_attempt_at, "
                       "updated_at = excluded.updated_at"),
            std::span<const Param>(params));
  }
}

std::optional<Delivery> find_delivery(Connection& c, const std::string& id) {
  auto result = c.query(std::string(delivery_columns) + " WHERE id = ?", {std::string_view(id)});
  if (result.rows.empty()) return std::nullopt;
  return delivery_from(result.rows[0]);
}

Page<Delivery> deliveries(Connection& c, const std::string& subscription_id, const std::optional<std::string>& status,
                          const PageRequest& page) {
  std::string sql = std::string(delivery_columns) + " WHERE subscription_id = ?";
  std::vector<Param> params{std::string_view(subscription_id)};
  if (status) {
    sql += " AND status = ?";
    params.emplace_back(std::string_view(*status));
  }
  if (page.cursor) {
    auto after = find_delivery(c, *page.cursor);
    if (!after || after->subscription_id != subscription_id)
      throw core::Error(core::ErrorKind::bad_request, "cursor names no delivery of this subscription",
                        {{"cursor", "names no delivery of this subscription"}});
    sql += " AND (created_at < ? OR (created_at = ? AND id < ?))";
    params.insert(params.end(), {after->created_at, after->created_at, std::string_view(*page.cursor)});
  }
  sql += " ORDER BY created_at DESC, id DESC LIMIT ?";
  params.emplace_back(page.limit + 1);
  return to_page<Delivery>(c.query(sql, std::span<const Param>(params)), page, delivery_from);
}

bool lease(Connection& c, const std::string& id, const std::string& holder, std::int64_t now, std::int64_t expires_at) {
  return c.query("UPDATE webhook_subscriptions SET lease_owner = ?, lease_expires_at = ? WHERE id = ? AND "
                 "(lease_owner IS NULL OR lease_owner = ? OR lease_expires_at < ?)",
                 {std::string_view(holder), expires_at, std::string_view(id), std::string_view(holder), now})
             .affected == 1;
}

void renew_leases(Connection& c, const std::string& holder, std::int64_t expires_at) {
  c.query("UPDATE webhook_subscriptions SET lease_expires_at = ? WHERE lease_owner = ?", {expires_at, std::string_view(holder)});
}

namespace {
// The deliveries of active subscriptions (with a holder: of those it holds the lease of).
std::string of_subscriptions(const std::optional<std::string>& holder) {
  return holder ? "subscription_id IN (SELECT id FROM webhook_subscriptions WHERE status = 'active' AND lease_owner = ?)"
                : "subscription_id IN (SELECT id FROM webhook_subscriptions WHERE status = 'active')";
}
}  // namespace

std::vector<Delivery> due(Connection& c, std::int64_t now, std::size_t limit, const std::optional<std::string>& holder) {
  std::vector<Param> params{now};
  if (holder) params.emplace_back(std::string_view(*holder));
  params.emplace_back(std::int64_t(limit));
  std::vector<Delivery> out;
  for (const auto& row : c.query(std::string(delivery_columns) + " WHERE status = 'retrying' AND next_attempt_at <= ? AND " +
                                     of_subscriptions(holder) + " ORDER BY next_attempt_at LIMIT ?",
                                 std::span<const Param>(params))
                             .rows)
    out.push_back(delivery_from(row));
  return out;
}

std::optional<std::int64_t> next_due(Connection& c, const std::optional<std::string>& holder) {
  std::vector<Param> params;
  if (holder) params.emplace_back(std::string_view(*holder));
  auto result = c.query("SELECT MIN(next_attempt_at) FROM webhook_deliveries WHERE status = 'retrying' AND " +
                            of_subscriptions(holder),
                        std::span<const Param>(params));
  return result.rows.empty() ? std::nullopt : result.rows[0].optional_integer(0);
}

std::int64_t count_retrying(Connection& c, const std::string& subscription_id) {
  return c.query("SELECT COUNT(*) FROM webhook_deliveries WHERE subscription_id = ? AND status = 'retrying'",
                 {std::string_view(subscription_id)})
      .rows[0]
      .integer(0);
}

}  // namespace de::store::webhooks
