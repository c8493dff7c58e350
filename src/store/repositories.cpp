#include "store/repositories.hpp"

#include <algorithm>
#include <cmath>
#include <deque>

#include "core/clock.hpp"
#include "core/json.hpp"
#include "store/planning.hpp"

namespace de::store {

namespace json = boost::json;
using core::parse_stored;
using core::to_text;

namespace {

std::vector<std::string> parse_string_array(const std::string& text) {
  std::vector<std::string> out;
  auto value = parse_stored(text, json::array());
  if (value.is_array())
    for (const auto& item : value.get_array())
      if (item.is_string()) out.emplace_back(item.get_string());
  return out;
}

std::string string_array_text(const std::vector<std::string>& items) {
  json::array a;
  for (const auto& s : items) a.emplace_back(s);
  return to_text(a);
}

model::RoleSet parse_roles(const std::string& text) {
  model::RoleSet set = 0;
  for (const auto& name : parse_string_array(text))
    if (auto role = model::parse_role(name)) set |= model::role_bit(*role);
  return set;
}

std::string roles_text(model::RoleSet roles) { return string_array_text(model::role_list(roles)); }

// Appends "WHERE/AND id < ? ORDER BY id DESC LIMIT ?" and builds the page from the rows.
struct Paging {
  std::string sql;
  std::vector<Param> params;
  std::deque<std::string> owned;  // keeps filter values alive (stable) for the string_view params

  void where(const std::string& condition, std::string value) {
    sql += params.empty() ? " WHERE " : " AND ";
    sql += condition;
    owned.push_back(std::move(value));
    params.emplace_back(std::string_view(owned.back()));
  }
  Result run(Connection& c, const PageRequest& page) {
    if (page.cursor) where("id < ?", *page.cursor);
    sql += " ORDER BY id DESC LIMIT ?";
    params.emplace_back(page.limit + 1);
    return c.query(sql, std::span<const Param>(params));
  }
};

// The first row of `sql` mapped by `from_row`, or nothing.
template <class F>
auto find_one(Connection& c, std::string_view columns, std::string_view where, std::string_view value,
              F from_row) -> std::optional<decltype(from_row(std::declval<const Row&>()))> {
  auto r = c.query(std::string(columns) + std::string(where), {value});
  if (r.rows.empty()) return std::nullopt;
  return from_row(r.rows[0]);
}

// ---- users ------------------------------------------------------------------------------
constexpr const char* user_columns =
    "SELECT id, email, username, password_hash, roles, is_active, created_at, updated_at FROM users";

model::User user_from_row(const Row& r) {
  model::User u;
  u.id = r.text(0);
  u.email = r.text(1);
  u.username = r.text(2);
  u.password_hash = r.text(3);
  u.roles = parse_roles(r.text(4));
  u.is_active = r.boolean(5);
  u.created_at = r.integer(6);
  u.updated_at = r.integer(7);
  return u;
}

// ---- agents -----------------------------------------------------------------------------
constexpr const char* agent_columns =
    "SELECT id, name, type, version, config, status, capabilities, created_by, created_at, "
    "updated_at, tasks_completed, tasks_failed, total_latency_ms, "
    "(SELECT count(*) FROM tasks t WHERE t.assigned_agent = agents.id AND t.status IN "
    "('queued', 'running')) FROM agents";

model::Agent agent_from_row(const Row& r) {
  model::Agent a;
  a.id = r.text(0);
  a.name = r.text(1);
  a.type = r.text(2);
  a.version = r.text(3);
  auto config = parse_stored(r.text(4));
  if (config.is_object()) a.config = std::move(config.get_object());
  a.status = r.text(5);
  a.capabilities = parse_string_array(r.text(6));
  a.created_by = r.optional_text(7);
  a.created_at = r.integer(8);
  a.updated_at = r.integer(9);
  a.stats.tasks_completed = r.integer(10);
  a.stats.tasks_failed = r.integer(11);
  auto finished = a.stats.tasks_completed + a.stats.tasks_failed;
  a.stats.avg_latency_ms = finished ? double(r.integer(12)) / double(finished) : 0.0;
  a.stats.queue_depth = r.integer(13);
  return a;
}

// ---- tasks ------------------------------------------------------------------------------
constexpr std::string_view task_column_list =
    "id, title, description, type, status, priority, assigned_agent, created_by, input_data, output_data, "
    "error, attempts, max_attempts, timeout_ms, started_at, completed_at, created_at, updated_at, "
    "pinned_agent, workflow_execution_id";
const std::string task_columns = "SELECT " + std::string(task_column_list) + " FROM tasks";

model::Task task_from_row(const Row& r) {
  model::Task t;
  t.id = r.text(0);
  t.title = r.text(1);
  t.description = r.text(2);
  t.type = r.text(3);
  t.status = r.text(4);
  t.priority = r.text(5);
  t.assigned_agent = r.optional_text(6);
  t.created_by = r.optional_text(7);
  auto input = parse_stored(r.text(8));
  if (input.is_object()) t.input_data = std::move(input.get_object());
  if (!r.is_null(9)) t.output_data = parse_stored(r.text(9), nullptr);
  t.error = r.optional_text(10);
  t.attempts = r.integer(11);
  t.max_attempts = r.integer(12);
  t.timeout_ms = r.integer(13);
  t.started_at = r.optional_integer(14);
  t.completed_at = r.optional_integer(15);
  t.created_at = r.integer(16);
  t.updated_at = r.integer(17);
  t.pinned_agent = r.optional_text(18);
  t.workflow_execution_id = r.optional_text(19);
  return t;
}

std::map<std::string, std::int64_t> counts(Connection& c, const char* sql) {
  std::map<std::string, std::int64_t> out;
  for (const auto& row : c.query(sql).rows) out[row.text(0)] = row.integer(1);
  return out;
}

}  // namespace

// ---- users ------------------------------------------------------------------------------
namespace users {
void insert(Connection& c, const model::User& u) {
  auto roles = roles_text(u.roles);
  c.query(
      "INSERT INTO users (id, email, username, password_hash, roles, is_active, created_at, "
      "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      {std::string_view(u.id), std::string_view(u.email), std::string_view(u.username),
       std::string_view(u.password_hash), std::string_view(roles), std::int64_t(u.is_active),
       u.created_at, u.updated_at});
}

void update(Connection& c, const model::User& u) {
  auto roles = roles_text(u.roles);
  c.query(
      "UPDATE users SET email = ?, username = ?, password_hash = ?, roles = ?, is_active = ?, "
      "updated_at = ? WHERE id = ?",
      {std::string_view(u.email), std::string_view(u.username), std::string_view(u.password_hash),
       std::string_view(roles), std::int64_t(u.is_active), u.updated_at, std::string_view(u.id)});
}

bool remove(Connection& c, const std::string& id) {
  return c.query("DELETE FROM users WHERE id = ?", {std::string_view(id)}).affected > 0;
}

std::optional<model::User> find(Connection& c, const std::string& id) {
  return find_one(c, user_columns, " WHERE id = ?", id, user_from_row);
}

std::optional<model::User> find_by_login(Connection& c, const std::string& login) {
  auto r = c.query(std::string(user_columns) + " WHERE email = ? OR username = ?",
                   {std::string_view(login), std::string_view(login)});
  if (r.rows.empty()) return std::nullopt;
  return user_from_row(r.rows[0]);
}

Page<model::User> list(Connection& c, const PageRequest& page) {
  Paging q{user_columns};
  auto r = q.run(c, page);
  return to_page<model::User>(r, page, user_from_row);
}

std::int64_t count(Connection& c) { return c.query("SELECT count(*) FROM users").rows[0].integer(0); }
}  // namespace users

// ---- agents -----------------------------------------------------------------------------
namespace agents {
void insert(Connection& c, const model::Agent& a) {
  auto config = to_text(a.config);
  auto caps = string_array_text(a.capabilities);
  c.query(
      "INSERT INTO agents (id, name, type, version, config, status, capabilities, created_by, "
      "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {std::string_view(a.id), std::string_view(a.name), std::string_view(a.type),
       std::string_view(a.version), std::string_view(config), std::string_view(a.status),
       std::string_view(caps), nullable(a.created_by), a.created_at, a.updated_at});
}

void update(Connection& c, const model::Agent& a) {
  auto config = to_text(a.config);
  auto caps = string_array_text(a.capabilities);
  c.query(
      "UPDATE agents SET name = ?, type = ?, version = ?, config = ?, status = ?, capabilities = "
      "?, updated_at = ? WHERE id = ?",
      {std::string_view(a.name), std::string_view(a.type), std::string_view(a.version),
       std::string_view(config), std::string_view(a.status), std::string_view(caps), a.updated_at,
       std::string_view(a.id)});
}

bool remove(Connection& c, const std::string& id) {
  return c.query("DELETE FROM agents WHERE id = ?", {std::string_view(id)}).affected > 0;
}

bool set_activity(Connection& c, const std::string& id, bool busy, std::int64_t now) {
  return c.query("UPDATE agents SET status = ?, updated_at = ? WHERE id = ? AND status IN ('idle', 'busy') AND status <> ?",
                 {std::string_view(busy ? "busy" : "idle"), now, std::string_view(id),
                  std::string_view(busy ? "busy" : "idle")})
             .affected == 1;
}

void add_outcomes(Connection& c, const std::string& id, std::int64_t completed, std::int64_t failed,
                  std::int64_t latency_ms) {
  c.send("UPDATE agents SET tasks_completed = tasks_completed + ?, tasks_failed = tasks_failed + ?, "
          "total_latency_ms = total_latency_ms + ? WHERE id = ?",
          {completed, failed, latency_ms, std::string_view(id)});
}

std::optional<model::Agent> find(Connection& c, const std::string& id) {
  return find_one(c, agent_columns, " WHERE id = ?", id, agent_from_row);
}

std::optional<model::Agent> find_by_name(Connection& c, const std::string& name) {
  return find_one(c, agent_columns, " WHERE name = ?", name, agent_from_row);
}

Page<model::Agent> list(Connection& c, const Filter& filter, const PageRequest& page) {
  Paging q{agent_columns};
  if (filter.status) q.where("status = ?", *filter.status);
  if (filter.type) q.where("type = ?", *filter.type);
  auto r = q.run(c, page);
  return to_page<model::Agent>(r, page, agent_from_row);
}

std::vector<model::Agent> all(Connection& c) {
  std::vector<model::Agent> out;
  for (const auto& row : c.query(std::string(agent_columns) + " ORDER BY id").rows)
    out.push_back(agent_from_row(row));
  return out;
}

std::map<std::string, std::int64_t> count_by_status(Connection& c) {
  return counts(c, "SELECT status, count(*) FROM agents GROUP BY status");
}
}  // namespace agents

// ---- tasks ------------------------------------------------------------------------------
namespace tasks {
namespace {
// A batch's new tasks and finished ones each in one statement on PostgreSQL (Connection::
// send_row): the writer's one backend, which bounds a node, paid its work per statement (bind,
// executor start and end) twice per task in load (b) (docs/performance.md, PostgreSQL).
constexpr std::string_view task_insert_columns =
    "INSERT INTO tasks (id, title, description, type, status, priority, priority_rank, "
    "assigned_agent, created_by, input_data, attempts, max_attempts, timeout_ms, "
    "idempotency_key, request_hash, created_at, updated_at, pinned_agent, workflow_execution_id, "
    "lease_owner, lease_expires_at, started_at) ";
const std::string task_insert_one = std::string(task_insert_columns) + "VALUES (" + placeholders(22) + ")";
const std::string task_insert_many =
    std::string(task_insert_columns) +
    "SELECT * FROM unnest(?::uuid[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::int4[], ?::uuid[], "
    "?::uuid[], ?::jsonb[], ?::int4[], ?::int4[], ?::int8[], ?::text[], ?::text[], ?::int8[], ?::int8[], ?::uuid[], "
    "?::uuid[], ?::text[], ?::int8[], ?::int8[])";
const Connection::RowStatement task_insert{task_insert_one, task_insert_many};

// The finished tasks are found by their ids, one primary-key lookup each. `status = 'running'`
// alone would let PostgreSQL read every running task by the status index and hash-join them:
// cheap by its estimate (a few hundred live ones), but the index also holds an entry for every
// task that ever ran, until a vacuum, and a bitmap scan never marks such entries dead: in load
// (b) the statement read 80,000 of them on average, 6.6 ms (a quarter of the writer backend's
// samples in that index scan alone).
// So the status is tested after the lookup (IS TRUE is no index condition), and the statement
// is planned for its rows each time: a plan made once, on a table still small, would be a
// sequential scan for good.
const std::string task_finish_many =
    std::string(plan_each_time) +
    "UPDATE tasks SET status = u.status, output_data = u.output_data, error = u.error, lease_owner = NULL, "
    "lease_expires_at = NULL, available_at = u.available_at, completed_at = u.completed_at, updated_at = u.updated_at "
    "FROM unnest(?::text[], ?::jsonb[], ?::text[], ?::int8[], ?::int8[], ?::int8[], ?::uuid[], ?::text[]) "
    "WITH ORDINALITY AS u(status, output_data, error, available_at, completed_at, updated_at, id, lease, n) "
    "WHERE tasks.id = u.id AND (tasks.status = 'running') IS TRUE AND tasks.lease_owner = u.lease RETURNING u.n";
const Connection::RowStatement task_finish{
    "UPDATE tasks SET status = ?, output_data = ?, error = ?, lease_owner = NULL, lease_expires_at = NULL, "
    "available_at = ?, completed_at = ?, updated_at = ? WHERE id = ? AND status = 'running' AND lease_owner = ?",
    task_finish_many, 6, true};
}  // namespace

void insert(Connection& c, const model::Task& t, const std::optional<std::string>& idempotency_key,
            const std::optional<std::string>& request_hash, const std::optional<Lease>& lease) {
  auto input = to_text(t.input_data);
  c.send_row(
      task_insert,
      {std::string_view(t.id), std::string_view(t.title), std::string_view(t.description),
       std::string_view(t.type), std::string_view(t.status), std::string_view(t.priority),
       std::int64_t(model::priority_rank(t.priority)), nullable(t.assigned_agent),
       nullable(t.created_by), std::string_view(input), t.attempts, t.max_attempts, t.timeout_ms,
       nullable(idempotency_key), nullable(request_hash), t.created_at, t.updated_at,
       nullable(t.pinned_agent), nullable(t.workflow_execution_id),
       lease ? Param(std::string_view(lease->owner)) : Param(nullptr),
       lease ? Param(lease->expires_at) : Param(nullptr), nullable(t.started_at)});
}

void update(Connection& c, const model::Task& t) {
  std::optional<std::string> output;
  if (t.output_data) output = to_text(*t.output_data);
  c.query(
      "UPDATE tasks SET status = ?, assigned_agent = ?, output_data = ?, error = ?, attempts = ?, "
      "started_at = ?, completed_at = ?, updated_at = ? WHERE id = ?",
      {std::string_view(t.status), nullable(t.assigned_agent), nullable(output), nullable(t.error),
       t.attempts, nullable(t.started_at), nullable(t.completed_at), t.updated_at,
       std::string_view(t.id)});
}

std::optional<model::Task> find(Connection& c, const std::string& id) {
  return find_one(c, task_columns, " WHERE id = ?", id, task_from_row);
}

std::optional<IdempotentMatch> find_by_idempotency_key(Connection& c, const std::string& created_by,
                                                       const std::string& key) {
  auto hashes = c.query("SELECT id, request_hash FROM tasks WHERE created_by = ? AND idempotency_key = ?",
                        {std::string_view(created_by), std::string_view(key)});
  if (hashes.rows.empty()) return std::nullopt;
  auto task = find(c, hashes.rows[0].text(0));
  if (!task) return std::nullopt;
  return IdempotentMatch{std::move(*task), hashes.rows[0].text(1)};
}

Page<model::Task> list(Connection& c, const Filter& filter, const PageRequest& page) {
  Paging q{task_columns};
  if (filter.status) q.where("status = ?", *filter.status);
  if (filter.type) q.where("type = ?", *filter.type);
  if (filter.type_prefix && !filter.type_prefix->empty()) {
    // A range rather than LIKE (where `_` is a wildcard), so that tasks_type serves it.
    auto after = *filter.type_prefix;
    after.back() = char(after.back() + 1);
    q.where("type >= ?", *filter.type_prefix);
    q.where("type < ?", after);
  }
  if (filter.agent) q.where("assigned_agent = ?", *filter.agent);
  auto r = q.run(c, page);
  return to_page<model::Task>(r, page, task_from_row);
}

std::map<std::string, std::int64_t> count_by_status(Connection& c) {
  // Kept by triggers (migration 18): a few rows, whatever the number of tasks.
  auto out = counts(c, "SELECT status, CAST(sum(n) AS BIGINT) FROM task_counts GROUP BY status");
  std::erase_if(out, [](const auto& entry) { return entry.second == 0; });
  return out;
}

std::map<std::string, std::int64_t> waiting_by_type(Connection& c) {
  // A shard's count may be negative (migration 18): the sum is the count.
  return counts(c, "SELECT type, CAST(sum(n) AS BIGINT) FROM task_waiting GROUP BY type HAVING sum(n) > 0");
}

double latency_bucket_floor(std::int64_t bucket) {
  return bucket < 20 ? double(bucket) : 20.0 * std::pow(1.05, double(bucket - 20));
}

Latency latency(Connection& c, std::int64_t since_ms) {
  // The histogram kept by triggers (migration 18), by minute of completion.
  auto r = c.query(
      "SELECT bucket, CAST(sum(n) AS BIGINT) FROM task_latency WHERE minute >= ? GROUP BY bucket ORDER BY bucket",
      {since_ms / 60000});
  std::vector<std::pair<std::int64_t, std::int64_t>> buckets;
  std::int64_t total = 0;
  for (const auto& row : r.rows) {
    if (row.integer(1) <= 0) continue;
    buckets.emplace_back(row.integer(0), row.integer(1));
    total += row.integer(1);
  }
  if (total == 0) return {};
  // The value at a rank of the sorted run times, as the bucket it falls in.
  auto at = [&](double q) {
    auto rank = std::int64_t(q * double(total - 1) + 0.5);
    for (const auto& [bucket, n] : buckets) {
      if (rank < n) return latency_bucket_floor(bucket);
      rank -= n;
    }
    return latency_bucket_floor(buckets.back().first);
  };
  return {at(0.50), at(0.95)};
}

std::vector<Queued> queued(Connection& c, std::size_t limit, const std::optional<QueueOf>& of) {
  // An agent's queue is found by its agent (a waiting pinned task is assigned to the agent it is
  // pinned to), the others in the queue's order: SQLite, without statistics, would rather sort
  // the queued tasks found by status. SQLite uses a partial index only when the query repeats
  // its condition: `status = 'queued'` alone does not show it that the task is active.
  bool agent = of && of->agent;
  auto sql = std::string("SELECT id, type, priority_rank, pinned_agent, available_at FROM tasks");
  if (c.dialect() == Dialect::sqlite)
    sql += agent ? " INDEXED BY tasks_agent_active WHERE status IN ('queued', 'running') AND" : " INDEXED BY tasks_ready WHERE";
  else
    sql += " WHERE";
  sql += " status = 'queued'";
  if (of) sql += agent ? " AND assigned_agent = ? AND pinned_agent = ?" : " AND type = ? AND pinned_agent IS NULL";
  sql += " ORDER BY priority_rank DESC, id LIMIT ?";
  std::vector<Param> params;
  if (of) params.emplace_back(std::string_view(of->name));
  if (agent) params.emplace_back(std::string_view(of->name));
  params.emplace_back(std::int64_t(limit));
  auto r = c.query(sql, params);
  std::vector<Queued> out;
  out.reserve(r.rows.size());
  for (const auto& row : r.rows)
    out.push_back({row.text(0), row.text(1), int(row.integer(2)), row.optional_text(3), row.integer(4)});
  return out;
}

void claim(Connection& c, const std::string& id, const std::string& agent_id, const std::string& lease,
           std::int64_t lease_expires_at, std::int64_t now, std::function<void(model::Task)> claimed) {
  constexpr std::string_view claim_sql =
      "UPDATE tasks SET status = 'running', assigned_agent = ?, lease_owner = ?, lease_expires_at = ?, "
      "attempts = attempts + 1, started_at = ?, updated_at = ? WHERE id = ? AND status = 'queued'";
  static const std::string claim_returning = std::string(claim_sql) + " RETURNING " + std::string(task_column_list);
  const Param params[] = {std::string_view(agent_id), std::string_view(lease), lease_expires_at, now, now,
                          std::string_view(id)};
  if (c.dialect() == Dialect::sqlite) {
    // Read back rather than RETURNING, which costs SQLite more: it buffers the row in an
    // ephemeral table.
    if (c.query(claim_sql, params).affected == 1) claimed(*find(c, id));
    return;
  }
  // One statement in the pipeline: a batch's claims share a round trip.
  c.send(claim_returning, params, [claimed = std::move(claimed)](const Result& r) {
    if (r.rows.size() == 1) claimed(task_from_row(r.rows[0]));
  });
}

bool renew_lease(Connection& c, const std::string& id, const std::string& lease, std::int64_t lease_expires_at) {
  return c.query("UPDATE tasks SET lease_expires_at = ? WHERE id = ? AND status = 'running' AND lease_owner = ?",
                 {lease_expires_at, std::string_view(id), std::string_view(lease)})
             .affected == 1;
}

namespace {
std::vector<std::string> ids(Result r) {
  std::vector<std::string> out;
  for (const auto& row : r.rows) out.push_back(row.text(0));
  return out;
}
}  // namespace

std::vector<std::string> expired_leases(Connection& c, std::int64_t now, std::size_t limit) {
  return ids(c.query("SELECT id FROM tasks WHERE status = 'running' AND lease_expires_at < ? LIMIT ?",
                     {now, std::int64_t(limit)}));
}

std::optional<model::Task> expire_lease(Connection& c, const std::string& id, std::int64_t now,
                                        std::int64_t expired_before) {
  // PostgreSQL takes an untyped parameter in a CASE for text: without the CAST it refuses to
  // prepare the statement (completed_at is a BIGINT), and no lease ever ran out there.
  auto r = c.query(
      "UPDATE tasks SET status = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'queued' END, "
      "error = CASE WHEN attempts >= max_attempts THEN 'the agent running it went away and no "
      "attempts are left' ELSE error END, completed_at = CASE WHEN attempts >= max_attempts THEN "
      "CAST(? AS BIGINT) ELSE NULL END, lease_owner = NULL, lease_expires_at = NULL, updated_at = ? "
      "WHERE id = ? AND status = 'running' AND lease_expires_at < ?",
      {now, now, std::string_view(id), expired_before});
  if (r.affected != 1) return std::nullopt;
  return find(c, id);
}

std::vector<std::string> running(Connection& c, std::size_t limit) {
  return ids(c.query("SELECT id FROM tasks WHERE status = 'running' LIMIT ?", {std::int64_t(limit)}));
}

model::Task with_outcome(model::Task task, const std::string& status, std::optional<json::value> output,
                         std::optional<std::string> error, std::int64_t now) {
  task.status = status;
  task.output_data = std::move(output);
  task.error = std::move(error);
  task.completed_at = status == "queued" ? std::nullopt : std::optional<std::int64_t>(now);
  task.updated_at = now;
  return task;
}

void finish(Connection& c, const model::Task& done, const std::string& lease, std::int64_t available_at,
            std::function<void()> recorded) {
  std::optional<std::string> output_text;
  if (done.output_data) output_text = to_text(*done.output_data);
  c.send_row(task_finish,
             {std::string_view(done.status), nullable(output_text), nullable(done.error), available_at,
              nullable(done.completed_at), done.updated_at, std::string_view(done.id), std::string_view(lease)},
             [recorded = std::move(recorded)](bool changed) {
               if (changed) recorded();
             });
}
}  // namespace tasks

// ---- refresh tokens -----------------------------------------------------------------------
namespace refresh_tokens {
void insert(Connection& c, const Record& r, const std::string& token_hash) {
  c.query(
      "INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, expires_at, created_at) "
      "VALUES (?, ?, ?, ?, ?, ?)",
      {std::string_view(r.id), std::string_view(r.user_id), std::string_view(r.family_id),
       std::string_view(token_hash), r.expires_at, core::now_ms()});
}

std::optional<Record> find_by_hash(Connection& c, const std::string& token_hash) {
  // The row stays locked until the caller's transaction ends: of two refreshes racing with one
  // token, the second reads it spent once the first commits, and counts as a reuse. (SQLite
  // runs one write transaction at a time already.)
  auto r = c.query(
      std::string("SELECT id, user_id, family_id, expires_at, used_at, revoked_at FROM refresh_tokens WHERE "
                  "token_hash = ?") +
          (c.dialect() == Dialect::postgres ? " FOR UPDATE" : ""),
      {std::string_view(token_hash)});
  if (r.rows.empty()) return std::nullopt;
  const auto& row = r.rows[0];
  return Record{row.text(0), row.text(1), row.text(2), row.integer(3), row.optional_integer(4),
                row.optional_integer(5)};
}

void mark_used(Connection& c, const std::string& id) {
  c.query("UPDATE refresh_tokens SET used_at = ? WHERE id = ?", {core::now_ms(), std::string_view(id)});
}

void revoke_family(Connection& c, const std::string& family_id) {
  c.query("UPDATE refresh_tokens SET revoked_at = ? WHERE family_id = ? AND revoked_at IS NULL",
          {core::now_ms(), std::string_view(family_id)});
}
}  // namespace refresh_tokens

// ---- API keys -----------------------------------------------------------------------------
namespace api_keys {
namespace {
constexpr const char* key_columns =
    "SELECT id, user_id, name, prefix, roles, created_at, last_used_at, rate_limit_per_minute FROM api_keys";
Record key_from_row(const Row& row) {
  auto limit = row.optional_integer(7);
  return Record{row.text(0),         row.text(1),   row.text(2),
                row.text(3),         parse_roles(row.text(4)), row.integer(5),
                row.optional_integer(6), limit ? std::optional<int>(int(*limit)) : std::nullopt};
}
}  // namespace

json::object to_json(const Record& r) {
  json::array roles;
  for (auto& name : model::role_list(r.roles)) roles.emplace_back(name);
  return {{"id", r.id},
          {"user_id", r.user_id},
          {"name", r.name},
          {"prefix", r.prefix},
          {"roles", roles},
          {"created_at", core::format_timestamp(r.created_at)},
          {"last_used_at", core::time_or_null(r.last_used_at)},
          {"rate_limit_per_minute", r.rate_limit_per_minute ? json::value(*r.rate_limit_per_minute) : json::value()}};
}

void insert(Connection& c, const Record& r, const std::string& key_hash) {
  auto roles = roles_text(r.roles);
  c.query(
      "INSERT INTO api_keys (id, user_id, name, key_hash, prefix, roles, created_at, rate_limit_per_minute) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      {std::string_view(r.id), std::string_view(r.user_id), std::string_view(r.name),
       std::string_view(key_hash), std::string_view(r.prefix), std::string_view(roles),
       r.created_at, nullable(r.rate_limit_per_minute)});
}

bool update(Connection& c, const std::string& id, const std::string& name, std::optional<int> rate_limit_per_minute) {
  return c.query("UPDATE api_keys SET name = ?, rate_limit_per_minute = ? WHERE id = ?",
                 {std::string_view(name), nullable(rate_limit_per_minute), std::string_view(id)})
             .affected > 0;
}

std::optional<Record> find_by_hash(Connection& c, const std::string& key_hash) {
  return find_one(c, key_columns, " WHERE key_hash = ?", key_hash, key_from_row);
}

std::optional<Record> find(Connection& c, const std::string& id) {
  return find_one(c, key_columns, " WHERE id = ?", id, key_from_row);
}

Page<Record> list(Connection& c, const PageRequest& page) {
  Paging q{key_columns};
  auto r = q.run(c, page);
  return to_page<Record>(r, page, key_from_row);
}

bool remove(Connection& c, const std::string& id) {
  return c.query("DELETE FROM api_keys WHERE id = ?", {std::string_view(id)}).affected > 0;
}

void touch(Connection& c, const std::string& id, std::int64_t at) {
  c.query("UPDATE api_keys SET last_used_at = ? WHERE id = ?", {at, std::string_view(id)});
}
}  // namespace api_keys

// ---- messages -----------------------------------------------------------------------------
namespace messages {
namespace {
constexpr const char* message_columns =
    "SELECT id, from_agent, to_agent, message_type, payload, status, sent_at, delivered_at FROM messages";
model::Message message_from_row(const Row& r) {
  return {r.text(0), r.optional_text(1), r.text(2), r.text(3), parse_stored(r.text(4), nullptr),
          r.text(5), r.integer(6), r.optional_integer(7)};
}
}  // namespace

void insert(Connection& c, const model::Message& m) {
  auto payload = to_text(m.payload);
  c.query(
      "INSERT INTO messages (id, from_agent, to_agent, message_type, payload, status, sent_at, "
      "delivered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      {std::string_view(m.id), nullable(m.from_agent), std::string_view(m.to_agent),
       std::string_view(m.message_type), std::string_view(payload), std::string_view(m.status), m.sent_at,
       nullable(m.delivered_at)});
}

bool mark_delivered(Connection& c, const std::string& id, std::int64_t at) {
  return c.query("UPDATE messages SET status = 'delivered', delivered_at = ? WHERE id = ? AND status = 'sent'",
                 {at, std::string_view(id)})
             .affected == 1;
}

std::optional<model::Message> find(Connection& c, const std::string& id) {
  return find_one(c, message_columns, " WHERE id = ?", id, message_from_row);
}

Page<model::Message> list(Connection& c, const std::optional<std::string>& agent_id, const PageRequest& page) {
  Paging q{message_columns};
  if (agent_id) {
    q.sql += " WHERE (from_agent = ? OR to_agent = ?)";
    q.owned.push_back(*agent_id);
    q.params.emplace_back(std::string_view(q.owned.back()));
    q.params.emplace_back(std::string_view(q.owned.back()));
  }
  auto r = q.run(c, page);
  return to_page<model::Message>(r, page, message_from_row);
}
}  // namespace messages

// ---- metrics ------------------------------------------------------------------------------
namespace metrics {
void insert(Connection& c, const model::Metric& m) {
  auto tags = to_text(m.tags);
  c.query("INSERT INTO analytics (name, value, agent_id, tags, recorded_at) VALUES (?, ?, ?, ?, ?)",
          {std::string_view(m.name), m.value, nullable(m.agent_id), std::string_view(tags),
           m.recorded_at});
}

std::vector<Point> series(Connection& c, const Query& q) {
  // `agg` is validated by the caller against a fixed list, so it is safe to splice.
  std::string fn = q.agg == "count" ? "count(*)" : q.agg + "(value)";
  std::string sql = "SELECT (recorded_at / ?) * ? AS bucket, " + fn +
                    " FROM analytics WHERE name = ? AND recorded_at >= ? AND recorded_at < ?";
  std::vector<Param> params{q.bucket_ms, q.bucket_ms, std::string_view(q.name), q.from, q.to};
  if (q.agent_id) {
    sql += " AND agent_id = ?";
    params.emplace_back(std::string_view(*q.agent_id));
  }
  sql += " GROUP BY bucket ORDER BY bucket";
  std::vector<Point> points;
  for (const auto& row : c.query(sql, std::span<const Param>(params)).rows)
    points.push_back({row.integer(0), row.real(1)});
  return points;
}
}  // namespace metrics

}  // namespace de::store
