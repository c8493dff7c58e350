#include "store/product_repository.hpp"

#include <algorithm>

#include "core/clock.hpp"
#include "core/json.hpp"

namespace de::store {

namespace json = boost::json;
using core::parse_stored;
using core::to_text;

namespace {
json::object object_of(const std::string& text) {
  auto v = parse_stored(text);
  return v.is_object() ? std::move(v.get_object()) : json::object();
}

json::array array_of(const std::string& text) {
  auto v = parse_stored(text, json::array());
  return v.is_array() ? std::move(v.get_array()) : json::array();
}

json::value text_or_null(const std::optional<std::string>& s) { return s ? json::value(*s) : json::value(nullptr); }
}  // namespace

namespace requirement_analyses {
namespace {
constexpr const char* columns = "SELECT id, title, version, created_by, created_at, updated_at FROM requirement_analyses";

Analysis from_row(const Row& r) {
  return {r.text(0), r.text(1), r.integer(2), r.optional_text(3), r.integer(4), r.integer(5)};
}
}  // namespace

void insert(Connection& c, const Analysis& a) {
  c.query("INSERT INTO requirement_analyses (id, title, version, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
          {std::string_view(a.id), std::string_view(a.title), a.version, nullable(a.created_by), a.created_at, a.updated_at});
}

void add_version(Connection& c, const Analysis& a, const Version& v) {
  auto items = to_text(v.items), summary = to_text(v.summary);
  c.query("INSERT INTO requirement_versions (analysis_id, version, document, items, summary, created_by, created_at) "
          "VALUES (?, ?, ?, ?, ?, ?, ?)",
          {std::string_view(a.id), v.version, std::string_view(v.document), std::string_view(items),
           std::string_view(summary), nullable(v.created_by), v.created_at});
  c.query("UPDATE requirement_analyses SET title = ?, version = ?, updated_at = ? WHERE id = ?",
          {std::string_view(a.title), v.version, v.created_at, std::string_view(a.id)});
}

void set_items(Connection& c, const std::string& id, std::int64_t version, const json::array& items) {
  auto text = to_text(items);
  c.query("UPDATE requirement_versions SET items = ? WHERE analysis_id = ? AND version = ?",
          {std::string_view(text), std::string_view(id), version});
}

bool remove(Connection& c, const std::string& id) {
  c.query("DELETE FROM requirement_versions WHERE analysis_id = ?", {std::string_view(id)});
  return c.query("DELETE FROM requirement_analyses WHERE id = ?", {std::string_view(id)}).affected > 0;
}

std::optional<Analysis> find(Connection& c, const std::string& id) {
  auto r = c.query(std::string(columns) + " WHERE id = ?", {std::string_view(id)});
  if (r.rows.empty()) return std::nullopt;
  return from_row(r.rows[0]);
}

std::optional<Version> find_version(Connection& c, const std::string& id, std::int64_t version) {
  auto r = c.query("SELECT document, items, summary, created_by, created_at FROM requirement_versions "
                   "WHERE analysis_id = ? AND version = ?",
                   {std::string_view(id), version});
  if (r.rows.empty()) return std::nullopt;
  const auto& row = r.rows[0];
  return Version{id, version, row.text(0), array_of(row.text(1)), object_of(row.text(2)), row.optional_text(3), row.integer(4)};
}

Page<Analysis> list(Connection& c, const PageRequest& page) {
  auto r = page.cursor ? c.query(std::string(columns) + " WHERE id < ? ORDER BY id DESC LIMIT ?",
                                 {std::string_view(*page.cursor), page.limit + 1})
                       : c.query(std::string(columns) + " ORDER BY id DESC LIMIT ?", {page.limit + 1});
  return to_page<Analysis>(r, page, from_row);
}

json::array versions(Connection& c, const std::string& id) {
  json::array out;
  for (const auto& row : c.query("SELECT version, summary, created_at FROM requirement_versions WHERE analysis_id = ? "
                                 "ORDER BY version",
                                 {std::string_view(id)})
                             .rows) {
    auto summary = object_of(row.text(1));
    const auto* total = summary.if_contains("total");
    out.push_back(json::object{{"version", row.integer(0)},
                               {"requirements", total ? *total : json::value(0)},
                               {"created_at", core::format_timestamp(row.integer(2))}});
  }
  return out;
}

json::object to_json(const Analysis& a) {
  return {{"id", a.id},
          {"title", a.title},
          {"version", a.version},
          {"created_by", text_or_null(a.created_by)},
          {"created_at", core::format_timestamp(a.created_at)},
          {"updated_at", core::format_timestamp(a.updated_at)}};
}

json::object to_json(const Analysis& a, const Version& v) {
  auto o = to_json(a);
  o["version"] = v.version;
  o["latest_version"] = a.version;
  o["document"] = v.document;
  o["items"] = v.items;
  o["summary"] = v.summary;
  o["version_created_at"] = core::format_timestamp(v.created_at);
  return o;
}
}  // namespace requirement_analyses

namespace stakeholders {
namespace {
constexpr const char* columns =
    "SELECT id, name, role, influence, interest, channel, topics, created_at, updated_at, contact FROM stakeholders";

Stakeholder from_row(const Row& r) {
  Stakeholder s;
  s.id = r.text(0);
  s.name = r.text(1);
  s.role = r.text(2);
  s.influence = r.integer(3);
  s.interest = r.integer(4);
  s.channel = r.text(5);
  for (const auto& t : array_of(r.text(6)))
    if (t.is_string()) s.topics.emplace_back(t.get_string());
  s.created_at = r.integer(7);
  s.updated_at = r.integer(8);
  s.contact = r.optional_text(9);
  return s;
}

std::string topics_text(const Stakeholder& s) {
  json::array topics;
  for (const auto& t : s.topics) topics.emplace_back(t);
  return to_text(topics);
}
}  // namespace

void insert(Connection& c, const Stakeholder& s) {
  auto topics = topics_text(s);
  c.query("INSERT INTO stakeholders (id, name, role, influence, interest, channel, topics, created_at, updated_at, "
          "contact) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
          {std::string_view(s.id), std::string_view(s.name), std::string_view(s.role), s.influence, s.interest,
           std::string_view(s.channel), std::string_view(topics), s.created_at, s.updated_at, nullable(s.contact)});
}

void update(Connection& c, const Stakeholder& s) {
  auto topics = topics_text(s);
  c.query("UPDATE stakeholders SET name = ?, role = ?, influence = ?, interest = ?, channel = ?, topics = ?, "
          "updated_at = ?, contact = ? WHERE id = ?",
          {std::string_view(s.name), std::string_view(s.role), s.influence, s.interest, std::string_view(s.channel),
           std::string_view(topics), s.updated_at, nullable(s.contact), std::string_view(s.id)});
}

bool remove(Connection& c, const std::string& id) {
  c.query("DELETE FROM stakeholder_updates WHERE stakeholder_id = ?", {std::string_view(id)});
  return c.query("DELETE FROM stakeholders WHERE id = ?", {std::string_view(id)}).affected > 0;
}

std::optional<Stakeholder> find(Connection& c, const std::string& id) {
  auto r = c.query(std::string(columns) + " WHERE id = ?", {std::string_view(id)});
  if (r.rows.empty()) return std::nullopt;
  return from_row(r.rows[0]);
}

Page<Stakeholder> list(Connection& c, const PageRequest& page) {
  auto r = page.cursor ? c.query(std::string(columns) + " WHERE id < ? ORDER BY id DESC LIMIT ?",
                                 {std::string_view(*page.cursor), page.limit + 1})
                       : c.query(std::string(columns) + " ORDER BY id DESC LIMIT ?", {page.limit + 1});
  return to_page<Stakeholder>(r, page, from_row);
}

std::vector<Stakeholder> all(Connection& c) {
  std::vector<Stakeholder> out;
  for (const auto& row : c.query(std::string(columns) + " ORDER BY id").rows) out.push_back(from_row(row));
  return out;
}

json::object to_json(const Stakeholder& s) {
  json::array topics;
  for (const auto& t : s.topics) topics.emplace_back(t);
  return {{"id", s.id},
          {"name", s.name},
          {"role", s.role},
          {"influence", s.influence},
          {"interest", s.interest},
          {"channel", s.channel},
          {"contact", text_or_null(s.contact)},
          {"topics", std::move(topics)},
          {"created_at", core::format_timestamp(s.created_at)},
          {"updated_at", core::format_timestamp(s.updated_at)}};
}
}  // namespace stakeholders

namespace stakeholder_updates {
namespace {
constexpr const char* columns =
    "SELECT id, stakeholder_id, quadrant, subject, body, event_ids, method, provider, status, created_by, created_at, "
    "sent_at, sent_via, delivery FROM stakeholder_updates";

Update from_row(const Row& r) {
  Update u;
  u.id = r.text(0);
  u.stakeholder_id = r.text(1);
  u.quadrant = r.text(2);
  u.subject = r.text(3);
  u.body = r.text(4);
  for (const auto& e : array_of(r.text(5)))
    if (e.is_int64()) u.event_ids.push_back(e.get_int64());
  u.method = r.text(6);
  u.provider = r.optional_text(7);
  u.status = r.text(8);
  u.created_by = r.optional_text(9);
  u.created_at = r.integer(10);
  u.sent_at = r.optional_integer(11);
  u.sent_via = r.optional_text(12);
  if (!r.is_null(13))
    if (auto delivery = parse_stored(r.text(13)); delivery.is_object()) u.delivery = std::move(delivery.get_object());
  return u;
}
}  // namespace

void insert(Connection& c, const Update& u) {
  json::array ids;
  for (auto id : u.event_ids) ids.emplace_back(id);
  auto event_ids = to_text(ids);
  c.query("INSERT INTO stakeholder_updates (id, stakeholder_id, quadrant, subject, body, event_ids, method, provider, "
          "status, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
          {std::string_view(u.id), std::string_view(u.stakeholder_id), std::string_view(u.quadrant),
           std::string_view(u.subject), std::string_view(u.body), std::string_view(event_ids), std::string_view(u.method),
           nullable(u.provider), std::string_view(u.status), nullable(u.created_by), u.created_at});
}

std::optional<Update> find(Connection& c, const std::string& id) {
  auto r = c.query(std::string(columns) + " WHERE id = ?", {std::string_view(id)});
  if (r.rows.empty()) return std::nullopt;
  return from_row(r.rows[0]);
}

Page<Update> list(Connection& c, const std::optional<std::string>& stakeholder_id, const PageRequest& page) {
  std::string sql = columns;
  std::vector<Param> params;
  if (stakeholder_id) {
    sql += " WHERE stakeholder_id = ?";
    params.emplace_back(std::string_view(*stakeholder_id));
  }
  if (page.cursor) {
    sql += params.empty() ? " WHERE id < ?" : " AND id < ?";
    params.emplace_back(std::string_view(*page.cursor));
  }
  sql += " ORDER BY id DESC LIMIT ?";
  params.emplace_back(page.limit + 1);
  return to_page<Update>(c.query(sql, std::span<const Param>(params)), page, from_row);
}

bool mark_sent(Connection& c, const Update& sent) {
  auto delivery = to_text(sent.delivery);
  return c.query("UPDATE stakeholder_updates SET status = 'sent', sent_at = ?, sent_via = ?, delivery = ? "
                 "WHERE id = ? AND status = 'draft'",
                 {sent.sent_at.value_or(0), nullable(sent.sent_via), std::string_view(delivery), std::string_view(sent.id)})
             .affected > 0;
}

json::object to_json(const Update& u) {
  json::array ids;
  for (auto id : u.event_ids) ids.emplace_back(id);
  return {{"id", u.id},
          {"stakeholder_id", u.stakeholder_id},
          {"quadrant", u.quadrant},
          {"subject", u.subject},
          {"body", u.body},
          {"event_ids", std::move(ids)},
          {"method", u.method},
          {"provider", text_or_null(u.provider)},
          {"status", u.status},
          {"created_by", text_or_null(u.created_by)},
          {"created_at", core::format_timestamp(u.created_at)},
          {"sent_at", core::time_or_null(u.sent_at)},
          {"sent_via", text_or_null(u.sent_via)},
          {"delivery", u.sent_at ? json::value(u.delivery) : json::value(nullptr)}};
}
}  // namespace stakeholder_updates

std::vector<StoredEvent> product_events_since(Connection& c, std::int64_t since_ms, std::int64_t limit) {
  // An event may share the data of an earlier one (data_from), as Database::events_since reads it.
  auto r = c.query(
      "SELECT e.id, e.topic, CASE WHEN e.data_from IS NULL THEN e.data ELSE d.data END, e.created_at FROM events e "
      "LEFT JOIN events d ON d.id = e.data_from WHERE e.created_at >= ? AND (e.topic LIKE 'requirements.%' OR "
      "e.topic LIKE 'deals.%' OR e.topic LIKE 'campaigns.%') ORDER BY e.id DESC LIMIT ?",
      {since_ms, limit});
  std::vector<StoredEvent> out;
  for (const auto& row : r.rows) out.push_back({row.integer(0), row.text(1), object_of(row.text(2)), row.integer(3)});
  std::reverse(out.begin(), out.end());
  return out;
}

}  // namespace de::store
