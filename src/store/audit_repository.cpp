#include "store/audit_repository.hpp"

#include "core/clock.hpp"
#include "core/json.hpp"

namespace de::store::audit {

namespace {
constexpr const char* columns =
    "SELECT id, at, actor_type, actor_id, actor_email, api_key_id, actor_ip, request_id, action, target_type, "
    "target_id, outcome, details FROM audit_log";

Entry from_row(const Row& r) {
  Entry e;
  e.id = r.integer(0);
  e.at = r.integer(1);
  e.actor_type = r.text(2);
  e.actor_id = r.optional_text(3);
  e.actor_email = r.optional_text(4);
  e.api_key_id = r.optional_text(5);
  e.actor_ip = r.optional_text(6);
  e.request_id = r.optional_text(7);
  e.action = r.text(8);
  e.target_type = r.optional_text(9);
  e.target_id = r.optional_text(10);
  e.outcome = r.text(11);
  if (auto details = core::parse_stored(r.text(12)); details.is_object()) e.details = std::move(details.get_object());
  return e;
}

// LIKE's wildcards and its escape character taken literally.
std::string like_prefix(const std::string& prefix) {
  std::string out;
  for (char ch : prefix) {
    if (ch == '%' || ch == '_' || ch == '\\') out += '\\';
    out += ch;
  }
  return out + '%';
}

std::vector<Entry> read_entries(Connection& c, const Filter& f, const char* id_bound, std::optional<std::int64_t> bound,
                                const char* order, std::int64_t limit) {
  std::string sql = std::string(columns) + " WHERE 1 = 1";
  std::vector<Param> params;
  if (f.actor) {
    sql += " AND (actor_id = ? OR actor_email = ? OR api_key_id = ?)";
    for (int i = 0; i < 3; ++i) params.emplace_back(std::string_view(*f.actor));
  }
  if (f.action) {
    sql += " AND action = ?";
    params.emplace_back(std::string_view(*f.action));
  }
  std::string pattern;
  if (f.action_prefix) {
    pattern = like_prefix(*f.action_prefix);
    sql += " AND action LIKE ? ESCAPE '\\'";
    params.emplace_back(std::string_view(pattern));
  }
  if (f.target_type) {
    sql += " AND target_type = ?";
    params.emplace_back(std::string_view(*f.target_type));
  }
  if (f.target_id) {
    sql += " AND target_id = ?";
    params.emplace_back(std::string_view(*f.target_id));
  }
  if (f.since) {
    sql += " AND at >= ?";
    params.emplace_back(*f.since);
  }
  if (f.until) {
    sql += " AND at < ?";
    params.emplace_back(*f.until);
  }
  if (bound) {
    sql += id_bound;
    params.emplace_back(*bound);
  }
  sql += order;
  params.emplace_back(limit);
  std::vector<Entry> out;
  for (const auto& row : c.query(sql, std::span<const Param>(params)).rows) out.push_back(from_row(row));
  return out;
}
}  // namespace

void append(Connection& c, const Entry& e) {
  auto details = core::to_text(e.details);
  c.query("INSERT INTO audit_log (at, actor_type, actor_id, actor_email, api_key_id, actor_ip, request_id, action, "
          "target_type, target_id, outcome, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
          {e.at, std::string_view(e.actor_type), nullable(e.actor_id), nullable(e.actor_email), nullable(e.api_key_id),
           nullable(e.actor_ip), nullable(e.request_id), std::string_view(e.action), nullable(e.target_type),
           nullable(e.target_id), std::string_view(e.outcome), std::string_view(details)});
}

Entry by_system(std::string action, std::string target_type, std::string target_id, boost::json::object details) {
  Entry e;
  e.at = core::now_ms();
  e.actor_type = "system";
  e.action = std::move(action);
  e.target_type = std::move(target_type);
  e.target_id = std::move(target_id);
  e.details = std::move(details);
  return e;
}

std::vector<Entry> newest(Connection& c, const Filter& filter, std::optional<std::int64_t> before_id,
                          std::int64_t limit) {
  return read_entries(c, filter, " AND id < ?", before_id, " ORDER BY id DESC LIMIT ?", limit);
}

std::vector<Entry> oldest(Connection& c, const Filter& filter, std::optional<std::int64_t> after_id,
                          std::int64_t limit) {
  return read_entries(c, filter, " AND id > ?", after_id, " ORDER BY id LIMIT ?", limit);
}

boost::json::object to_json(const Entry& e) {
  auto text = [](const std::optional<std::string>& s) { return s ? boost::json::value(*s) : boost::json::value(nullptr); };
  return {{"id", e.id},
          {"at", core::format_timestamp(e.at)},
          {"actor_type", e.actor_type},
          {"actor_id", text(e.actor_id)},
          {"actor_email", text(e.actor_email)},
          {"api_key_id", text(e.api_key_id)},
          {"actor_ip", text(e.actor_ip)},
          {"request_id", text(e.request_id)},
          {"action", e.action},
          {"target_type", text(e.target_type)},
          {"target_id", text(e.target_id)},
          {"outcome", e.outcome},
          {"details", e.details}};
}

}  // namespace de::store::audit
