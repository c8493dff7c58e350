#include "store/integration_repository.hpp"

#include "core/json.hpp"

namespace de::store::integrations {

namespace {
constexpr const char* columns =
    "SELECT id, name, type, config, credentials_encrypted, is_active, last_sync, last_test, created_by, created_at, "
    "updated_at FROM integrations";

Integration from_row(const Row& r) {
  Integration i;
  i.id = r.text(0);
  i.name = r.text(1);
  i.type = r.text(2);
  if (auto config = core::parse_stored(r.text(3)); config.is_object()) i.config = std::move(config.get_object());
  i.credentials_sealed = r.optional_text(4);
  i.is_active = r.boolean(5);
  i.last_sync = r.optional_integer(6);
  if (auto test = r.optional_text(7)) i.last_test = core::parse_stored(*test);
  i.created_by = r.optional_text(8);
  i.created_at = r.integer(9);
  i.updated_at = r.integer(10);
  return i;
}
}  // namespace

void insert(Connection& c, const Integration& i) {
  auto config = core::to_text(i.config);
  c.query("INSERT INTO integrations (id, name, type, config, credentials_encrypted, is_active, created_by, created_at, "
          "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
          {std::string_view(i.id), std::string_view(i.name), std::string_view(i.type), std::string_view(config),
           nullable(i.credentials_sealed), std::int64_t(i.is_active), nullable(i.created_by), i.created_at, i.updated_at});
}

void update(Connection& c, const Integration& i) {
  auto config = core::to_text(i.config);
  c.query("UPDATE integrations SET name = ?, config = ?, credentials_encrypted = ?, is_active = ?, updated_at = ? "
          "WHERE id = ?",
          {std::string_view(i.name), std::string_view(config), nullable(i.credentials_sealed), std::int64_t(i.is_active),
           i.updated_at, std::string_view(i.id)});
}

void record_test(Connection& c, const std::string& id, const boost::json::value& last_test) {
  auto text = core::to_text(last_test);
  c.query("UPDATE integrations SET last_test = ? WHERE id = ?", {std::string_view(text), std::string_view(id)});
}

bool remove(Connection& c, const std::string& id) {
  return c.query("DELETE FROM integrations WHERE id = ?", {std::string_view(id)}).affected > 0;
}

std::optional<Integration> find(Connection& c, const std::string& id) {
  auto result = c.query(std::string(columns) + " WHERE id = ?", {std::string_view(id)});
  if (result.rows.empty()) return std::nullopt;
  return from_row(result.rows[0]);
}

std::vector<Integration> named(Connection& c, const std::string& name) {
  std::vector<Integration> out;
  for (const auto& row : c.query(std::string(columns) + " WHERE name = ? ORDER BY id LIMIT 2", {std::string_view(name)}).rows)
    out.push_back(from_row(row));
  return out;
}

Page<Integration> list(Connection& c, const std::optional<std::string>& type, const PageRequest& page) {
  std::string sql = std::string(columns) + " WHERE 1 = 1";
  std::vector<Param> params;
  if (type) {
    sql += " AND type = ?";
    params.emplace_back(std::string_view(*type));
  }
  if (page.cursor) {
    sql += " AND id > ?";
    params.emplace_back(std::string_view(*page.cursor));
  }
  sql += " ORDER BY id LIMIT ?";
  params.emplace_back(page.limit + 1);
  return to_page<Integration>(c.query(sql, std::span<const Param>(params)), page, from_row);
}

void insert_consent(Connection& c, const std::string& state_hash, const ConsentAttempt& attempt, std::int64_t now) {
  c.query("DELETE FROM integration_consents WHERE expires_at <= ?", {now});
  c.query("INSERT INTO integration_consents (state_hash, integration_id, code_verifier, redirect_uri, user_id, expires_at) "
          "VALUES (?, ?, ?, ?, ?, ?)",
          {std::string_view(state_hash), std::string_view(attempt.integration_id), std::string_view(attempt.code_verifier),
           std::string_view(attempt.redirect_uri), std::string_view(attempt.user_id), attempt.expires_at});
}

std::optional<ConsentAttempt> take_consent(Connection& c, const std::string& state_hash, std::int64_t now) {
  auto r = c.query("SELECT integration_id, code_verifier, redirect_uri, user_id, expires_at FROM integration_consents "
                   "WHERE state_hash = ?",
                   {std::string_view(state_hash)});
  // Deleted in the same transaction: a second callback with this state finds nothing.
  if (r.rows.empty() ||
      c.query("DELETE FROM integration_consents WHERE state_hash = ?", {std::string_view(state_hash)}).affected != 1)
    return std::nullopt;
  const auto& row = r.rows[0];
  ConsentAttempt attempt{row.text(0), row.text(1), row.text(2), row.text(3), row.integer(4)};
  if (attempt.expires_at <= now) return std::nullopt;
  return attempt;
}

bool keep_inbound(Connection& c, const std::string& id, const std::string& integration_id, const std::string& signature,
                  std::string_view body, std::int64_t received_at) {
  return c.query("INSERT INTO inbound_webhooks (id, integration_id, signature, body, received_at) VALUES (?, ?, ?, ?, ?) "
                 "ON CONFLICT (integration_id, signature) DO NOTHING",
                 {std::string_view(id), std::string_view(integration_id), std::string_view(signature), body, received_at})
             .affected > 0;
}

}  // namespace de::store::integrations
