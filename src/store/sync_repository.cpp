#include "store/sync_repository.hpp"

#include <set>

#include "core/error.hpp"
#include "core/json.hpp"
#include "store/planning.hpp"

namespace de::store::sync {

namespace json = boost::json;

namespace {
constexpr const char* link_columns =
    "SELECT integration_id, object_type, local_id, remote_id, synced_values, local_synced_at, remote_modified_at "
    "FROM sync_links";
constexpr const char* run_columns =
    "SELECT id, integration_id, status, pulled, pushed, conflicts, error, started_at, finished_at, origin, lease_owner, "
    "lease_expires_at FROM sync_runs";
constexpr const char* conflict_columns =
    "SELECT id, integration_id, run_id, object_type, local_id, remote_id, field, local_value, remote_value, "
    "local_modified_at, remote_modified_at, rule, applied, status, resolved_value, resolved_by, created_at, resolved_at "
    "FROM sync_conflicts";

Link link_from(const Row& r) {
  Link l;
  l.integration_id = r.text(0);
  l.object_type = r.text(1);
  l.local_id = r.text(2);
  l.remote_id = r.optional_text(3);
  auto values = core::parse_stored(r.text(4));
  if (values.is_object()) l.synced_values = std::move(values.get_object());
  l.local_synced_at = r.integer(5);
  l.remote_modified_at = r.integer(6);
  return l;
}

Run run_from(const Row& r) {
  Run run;
  run.id = r.text(0);
  run.integration_id = r.text(1);
  run.status = r.text(2);
  run.pulled = r.integer(3);
  run.pushed = r.integer(4);
  run.conflicts = r.integer(5);
  run.error = r.optional_text(6);
  run.started_at = r.integer(7);
  run.finished_at = r.optional_integer(8);
  run.origin = r.text(9);
  run.lease_owner = r.optional_text(10);
  run.lease_expires_at = r.optional_integer(11);
  return run;
}

Conflict conflict_from(const Row& r) {
  Conflict c;
  c.id = r.text(0);
  c.integration_id = r.text(1);
  c.run_id = r.text(2);
  c.object_type = r.text(3);
  c.local_id = r.text(4);
  c.remote_id = r.text(5);
  c.field = r.text(6);
  c.local_value = r.text(7);
  c.remote_value = r.text(8);
  c.local_modified_at = r.integer(9);
  c.remote_modified_at = r.integer(10);
  c.rule = r.text(11);
  c.applied = r.text(12);
  c.status = r.text(13);
  c.resolved_value = r.optional_text(14);
  c.resolved_by = r.optional_text(15);
  c.created_at = r.integer(16);
  c.resolved_at = r.optional_integer(17);
  return c;
}

json::value text_or_null(const std::optional<std::string>& text) { return text ? json::value(*text) : json::value(nullptr); }
}  // namespace

constexpr const char* integration_columns = "SELECT id, type, config, credentials_encrypted, is_active FROM integrations";

IntegrationRow integration_from(const Row& row) {
  IntegrationRow out;
  out.id = row.text(0);
  out.type = row.text(1);
  auto config = core::parse_stored(row.text(2));
  if (config.is_object()) out.config = std::move(config.get_object());
  out.credentials_sealed = row.optional_text(3);
  out.is_active = row.boolean(4);
  return out;
}

std::optional<IntegrationRow> integration(Connection& c, const std::string& id) {
  auto r = c.query(std::string(integration_columns) + " WHERE id = ?", {std::string_view(id)});
  if (r.rows.empty()) return std::nullopt;
  return integration_from(r.rows[0]);
}

std::vector<IntegrationRow> active_crm_integrations(Connection& c) {
  std::vector<IntegrationRow> out;
  for (const auto& row : c.query(std::string(integration_columns) + " WHERE type IN ('hubspot', 'salesforce') AND is_active").rows)
    out.push_back(integration_from(row));
  return out;
}

std::map<std::string, Link> links_by_remote(Connection& c, const std::string& integration_id, const std::string& object_type,
                                            const std::vector<std::string>& remote_ids) {
  std::map<std::string, Link> out;
  constexpr std::size_t chunk = 500;
  for (std::size_t start = 0; start < remote_ids.size(); start += chunk) {
    auto end = std::min(remote_ids.size(), start + chunk);
    // Planned for its values: the links grow from none to every record during one run.
    std::string sql = std::string(plan_each_time) + link_columns +
                      " WHERE integration_id = ? AND object_type = ? AND remote_id IN (" + placeholders(end - start) + ")";
    std::vector<Param> params{std::string_view(integration_id), std::string_view(object_type)};
    auto ids = text_params(std::span(remote_ids).subspan(start, end - start));
    params.insert(params.end(), ids.begin(), ids.end());
    for (const auto& row : c.query(sql, std::span<const Param>(params)).rows) {
      auto link = link_from(row);
      out.emplace(*link.remote_id, std::move(link));
    }
  }
  return out;
}

std::optional<Link> link_by_local(Connection& c, const std::string& integration_id, const std::string& object_type,
                                  const std::string& local_id) {
  auto r = c.query(std::string(link_columns) + " WHERE integration_id = ? AND object_type = ? AND local_id = ?",
                   {std::string_view(integration_id), std::string_view(object_type), std::string_view(local_id)});
  if (r.rows.empty()) return std::nullopt;
  return link_from(r.rows[0]);
}

std::map<std::string, std::set<std::string>> link_types_by_local(Connection& c, const std::string& integration_id,
                                                                 const std::vector<std::string>& local_ids) {
  std::map<std::string, std::set<std::string>> out;
  constexpr std::size_t chunk = 500;
  for (std::size_t start = 0; start < local_ids.size(); start += chunk) {
    auto ids = text_params(std::span(local_ids).subspan(start, std::min(chunk, local_ids.size() - start)));
    std::vector<Param> params{std::string_view(integration_id)};
    params.insert(params.end(), ids.begin(), ids.end());
    auto sql = std::string(plan_each_time) + "SELECT local_id, object_type FROM sync_links WHERE integration_id = ? AND local_id IN (" +
               placeholders(ids.size()) + ")";
    for (const auto& row : c.query(sql, std::span<const Param>(params)).rows) out[row.text(0)].insert(row.text(1));
  }
  return out;
}

void save(Connection& c, const Link& link, std::int64_t now) { save(c, std::vector<Link>{link}, now); }

void save(Connection& c, const std::vector<Link>& links, std::int64_t now) {
  constexpr std::size_t rows_per_statement = 500;  // 9 values a row
  for (std::size_t start = 0; start < links.size(); start += rows_per_statement) {
    auto end = std::min(links.size(), start + rows_per_statement);
    std::vector<std::string> values;  // alive while the statement runs
    values.reserve(end - start);
    std::vector<Param> params;
    for (auto i = start; i < end; ++i) {
      const auto& l = links[i];
      values.push_back(core::to_text(l.synced_values));
      params.insert(params.end(), {std::string_view(l.integration_id), std::string_view(l.object_type),
                                   std::string_view(l.local_id), nullable(l.remote_id), std::string_view(values.back()),
                                   l.local_synced_at, l.remote_modified_at, now, now});
    }
    c.query(insert_sql("INSERT INTO sync_links (integration_id, object_type, local_id, remote_id, synced_values, "
                       "local_synced_at, remote_modified_at, created_at, updated_at)",
                       9, end - start,
                       "ON CONFLICT (integration_id, object_type, local_id) DO UPDATE SET remote_id = excluded.remote_id, "
                       "synced_values = excluded.synced_values, local_synced_at = excluded.local_synced_at, "
                       "remote_modified_at = excluded.remote_modified_at, updated_at = excluded.updated_at"),
            std::span<const Param>(params));
  }
}

std::vector<Link> unfinished_creates(Connection& c, const std::string& integration_id, const std::string& object_type) {
  std::vector<Link> out;
  auto r = c.query(std::string(link_columns) + " WHERE integration_id = ? AND object_type = ? AND remote_id IS NULL",
                   {std::string_view(integration_id), std::string_view(object_type)});
  for (const auto& row : r.rows) out.push_back(link_from(row));
  return out;
}

std::optional<std::int64_t> cursor(Connection& c, const std::string& integration_id, const std::string& object_type) {
  auto r = c.query("SELECT modified_ms FROM sync_cursors WHERE integration_id = ? AND object_type = ?",
                   {std::string_view(integration_id), std::string_view(object_type)});
  if (r.rows.empty()) return std::nullopt;
  return r.rows[0].integer(0);
}

void set_cursor(Connection& c, const std::string& integration_id, const std::string& object_type, std::int64_t modified_ms,
                std::int64_t now) {
  c.query("INSERT INTO sync_cursors (integration_id, object_type, modified_ms, updated_at) VALUES (?, ?, ?, ?) "
          "ON CONFLICT (integration_id, object_type) DO UPDATE SET modified_ms = excluded.modified_ms, "
          "updated_at = excluded.updated_at",
          {std::string_view(integration_id), std::string_view(object_type), modified_ms, now});
}

void remove_link(Connection& c, const std::string& integration_id, const std::string& object_type,
                 const std::string& local_id) {
  c.query("DELETE FROM sync_links WHERE integration_id = ? AND object_type = ? AND local_id = ?",
          {std::string_view(integration_id), std::string_view(object_type), std::string_view(local_id)});
}

namespace {
// The local tables sync keeps, named in SQL (never from input: checked all the same).
void check_synced_table(std::string_view table) {
  if (table != "leads" && table != "companies" && table != "deals")
    throw core::Error(core::ErrorKind::internal, "sync keeps leads, companies or deals");
}
}  // namespace

OrphanPage links_without_local(Connection& c, std::string_view table, const std::string& integration_id,
                               const std::string& object_type, const std::string& after_local_id) {
  check_synced_table(table);
  constexpr std::int64_t page = 1000;
  // By the links' primary key, then the page's local records by theirs: linear whatever the
  // statistics (as changed_since_sync).
  std::string where = " WHERE integration_id = ? AND object_type = ?";
  std::vector<Param> params{std::string_view(integration_id), std::string_view(object_type)};
  if (!after_local_id.empty()) {
    where += " AND local_id > ?";
    params.emplace_back(std::string_view(after_local_id));
  }
  params.emplace_back(page);
  auto links = c.query(std::string(link_columns) + where + " ORDER BY local_id LIMIT ?", std::span<const Param>(params)).rows;
  OrphanPage out;
  if (links.empty()) return out;
  auto sql = std::string(plan_each_time) + "SELECT id FROM " + std::string(table) + " WHERE id IN (" +
             placeholders(links.size()) + ")";
  std::vector<Param> ids;
  for (const auto& row : links) ids.emplace_back(std::string_view(row.text(2)));
  std::set<std::string> present;
  for (const auto& row : c.query(sql, std::span<const Param>(ids)).rows) present.insert(row.text(0));
  for (const auto& row : links)
    if (!present.contains(row.text(2))) out.links.push_back(link_from(row));
  if (std::int64_t(links.size()) == page) out.last = links.back().text(2);
  return out;
}

std::vector<std::string> changed_since_sync(Connection& c, std::string_view table, const std::string& integration_id,
                                            const std::string& object_type, const PushScope& scope,
                                            const std::string& after_id, std::int64_t limit) {
  check_synced_table(table);
  // The table in id order, a page at a time, with the page's links by their primary key: a
  // plan that stays linear whatever the statistics say (a join planned while the links were
  // few scanned all of them for every row once there were 100,000).
  constexpr std::int64_t page = 1000;
  std::vector<std::string> out;
  for (auto after = after_id;;) {
    auto head = "SELECT id, updated_at FROM " + std::string(table);
    auto rows = after.empty() ? c.query(head + " ORDER BY id LIMIT ?", {page}).rows
                              : c.query(head + " WHERE id > ? ORDER BY id LIMIT ?", {std::string_view(after), page}).rows;
    if (rows.empty()) return out;
    std::vector<Param> params{std::string_view(integration_id), std::string_view(object_type)};
    for (const auto& type : scope.yield_to) params.emplace_back(std::string_view(type));
    auto sql = std::string(plan_each_time) +
               "SELECT local_id, object_type, remote_id, local_synced_at FROM sync_links WHERE integration_id = ? AND "
               "object_type IN (" + placeholders(params.size() - 1) + ") AND local_id IN (" + placeholders(rows.size()) + ")";
    for (const auto& row : rows) params.emplace_back(std::string_view(row.text(0)));
    std::map<std::string, std::pair<bool, std::int64_t>> links;  // local id: remote id known, synced at
    std::set<std::string> yielded;
    for (const auto& link : c.query(sql, std::span<const Param>(params)).rows) {
      if (link.text(1) == object_type) links.emplace(link.text(0), std::pair(!link.is_null(2), link.integer(3)));
      else yielded.insert(link.text(0));
    }
    for (const auto& row : rows) {
      if (yielded.contains(row.text(0))) continue;
      auto link = links.find(row.text(0));
      bool push = link == links.end() ? scope.creates : link->second.first && row.integer(1) > link->second.second;
      if (push) out.push_back(row.text(0));
      if (std::int64_t(out.size()) == limit) return out;
    }
    if (std::int64_t(rows.size()) < page) return out;
    after = rows.back().text(0);
  }
}

void insert(Connection& c, const Run& r) {
  c.query("INSERT INTO sync_runs (id, integration_id, status, pulled, pushed, conflicts, error, started_at, finished_at, "
          "origin, lease_owner, lease_expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
          {std::string_view(r.id), std::string_view(r.integration_id), std::string_view(r.status), r.pulled, r.pushed,
           r.conflicts, nullable(r.error), r.started_at, nullable(r.finished_at), std::string_view(r.origin),
           nullable(r.lease_owner), nullable(r.lease_expires_at)});
}

void update(Connection& c, const Run& r) {
  c.query("UPDATE sync_runs SET status = ?, pulled = ?, pushed = ?, conflicts = ?, error = ?, finished_at = ? WHERE id = ?",
          {std::string_view(r.status), r.pulled, r.pushed, r.conflicts, nullable(r.error), nullable(r.finished_at),
           std::string_view(r.id)});
}

std::optional<Run> find_run(Connection& c, const std::string& id) {
  auto r = c.query(std::string(run_columns) + " WHERE id = ?", {std::string_view(id)});
  if (r.rows.empty()) return std::nullopt;
  return run_from(r.rows[0]);
}

std::optional<Run> running_run(Connection& c, const std::string& integration_id) {
  auto r = c.query(std::string(run_columns) + " WHERE integration_id = ? AND status = 'running'", {std::string_view(integration_id)});
  if (r.rows.empty()) return std::nullopt;
  return run_from(r.rows[0]);
}

std::optional<std::int64_t> last_started(Connection& c, const std::string& integration_id) {
  return c.query("SELECT MAX(started_at) FROM sync_runs WHERE integration_id = ?", {std::string_view(integration_id)})
      .rows.at(0)
      .optional_integer(0);
}

std::int64_t interrupt_running(Connection& c, bool all, std::int64_t now) {
  if (all) return c.query("UPDATE sync_runs SET status = 'interrupted', finished_at = ? WHERE status = 'running'", {now}).affected;
  return c.query("UPDATE sync_runs SET status = 'interrupted', finished_at = ? WHERE status = 'running' AND "
                 "(lease_expires_at IS NULL OR lease_expires_at < ?)",
                 {now, now}).affected;
}

bool renew_lease(Connection& c, const std::string& id, const std::string& owner, std::int64_t expires_at) {
  return c.query("UPDATE sync_runs SET lease_expires_at = ? WHERE id = ? AND status = 'running' AND lease_owner = ?",
                 {expires_at, std::string_view(id), std::string_view(owner)}).affected == 1;
}

Page<Run> runs(Connection& c, const std::string& integration_id, const PageRequest& page) {
  std::string sql = std::string(run_columns) + " WHERE integration_id = ?";
  std::vector<Param> params{std::string_view(integration_id)};
  if (page.cursor) {
    sql += " AND id < ?";
    params.emplace_back(std::string_view(*page.cursor));
  }
  sql += " ORDER BY id DESC LIMIT ?";
  params.emplace_back(page.limit + 1);
  return to_page<Run>(c.query(sql, std::span<const Param>(params)), page, run_from);
}

json::object to_json(const Run& r) {
  return {{"id", r.id}, {"integration_id", r.integration_id}, {"status", r.status}, {"pulled", r.pulled},
          {"pushed", r.pushed}, {"conflicts", r.conflicts}, {"error", text_or_null(r.error)},
          {"started_at", core::time_or_null(r.started_at)}, {"finished_at", core::time_or_null(r.finished_at)},
          {"trigger", r.origin}};
}

void insert(Connection& c, const Conflict& x) {
  c.query("INSERT INTO sync_conflicts (id, integration_id, run_id, object_type, local_id, remote_id, field, local_value, "
          "remote_value, local_modified_at, remote_modified_at, rule, applied, status, resolved_value, resolved_by, "
          "created_at, resolved_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
          {std::string_view(x.id), std::string_view(x.integration_id), std::string_view(x.run_id),
           std::string_view(x.object_type), std::string_view(x.local_id), std::string_view(x.remote_id),
           std::string_view(x.field), std::string_view(x.local_value), std::string_view(x.remote_value),
           x.local_modified_at, x.remote_modified_at, std::string_view(x.rule), std::string_view(x.applied),
           std::string_view(x.status), nullable(x.resolved_value), nullable(x.resolved_by), x.created_at,
           nullable(x.resolved_at)});
}

std::optional<Conflict> find_conflict(Connection& c, const std::string& id) {
  auto r = c.query(std::string(conflict_columns) + " WHERE id = ?", {std::string_view(id)});
  if (r.rows.empty()) return std::nullopt;
  return conflict_from(r.rows[0]);
}

void resolve(Connection& c, const std::string& id, const std::string& value, const std::optional<std::string>& by,
             std::int64_t now) {
  c.query("UPDATE sync_conflicts SET status = 'resolved', resolved_value = ?, resolved_by = ?, resolved_at = ? WHERE id = ?",
          {std::string_view(value), nullable(by), now, std::string_view(id)});
}

Page<Conflict> conflicts(Connection& c, const std::optional<std::string>& status, const PageRequest& page) {
  std::string sql = std::string(conflict_columns) + " WHERE 1 = 1";
  std::vector<Param> params;
  if (status) {
    sql += " AND status = ?";
    params.emplace_back(std::string_view(*status));
  }
  if (page.cursor) {
    sql += " AND id > ?";
    params.emplace_back(std::string_view(*page.cursor));
  }
  sql += " ORDER BY id LIMIT ?";
  params.emplace_back(page.limit + 1);
  return to_page<Conflict>(c.query(sql, std::span<const Param>(params)), page, conflict_from);
}

std::int64_t count_conflicts(Connection& c, const std::string& integration_id) {
  return c.query("SELECT count(*) FROM sync_conflicts WHERE integration_id = ?", {std::string_view(integration_id)}).rows.at(0).integer(0);
}

json::object to_json(const Conflict& x) {
  return {{"id", x.id}, {"integration_id", x.integration_id}, {"run_id", x.run_id}, {"object_type", x.object_type},
          {"local_id", x.local_id}, {"remote_id", x.remote_id}, {"field", x.field}, {"local_value", x.local_value},
          {"remote_value", x.remote_value}, {"local_modified_at", core::time_or_null(x.local_modified_at)},
          {"remote_modified_at", core::time_or_null(x.remote_modified_at)}, {"rule", x.rule}, {"applied", x.applied},
          {"status", x.status}, {"resolved_value", text_or_null(x.resolved_value)}, {"resolved_by", text_or_null(x.resolved_by)},
          {"created_at", core::time_or_null(x.created_at)}, {"resolved_at", core::time_or_null(x.resolved_at)}};
}

}  // namespace de::store::sync
