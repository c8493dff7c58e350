#include "store/workflow_repository.hpp"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>

#include "core/json.hpp"

namespace de::store {

namespace json = boost::json;
using core::parse_stored;
using core::to_text;

namespace {
std::optional<std::string> text_of(const std::optional<json::value>& v) {
  if (!v) return std::nullopt;
  return to_text(*v);
}
}  // namespace

namespace workflows {
namespace {
constexpr const char* columns =
    "SELECT id, name, description, definition, status, webhook_token, created_by, created_at, updated_at FROM workflows";
model::Workflow from_row(const Row& r) {
  return {r.text(0), r.text(1), r.text(2), parse_stored(r.text(3)), r.text(4), r.optional_text(5),
          r.optional_text(6), r.integer(7), r.integer(8)};
}
}  // namespace

void insert(Connection& c, const model::Workflow& w) {
  auto definition = to_text(w.definition);
  c.query(
      "INSERT INTO workflows (id, name, description, definition, status, webhook_token, created_by, created_at, "
      "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {std::string_view(w.id), std::string_view(w.name), std::string_view(w.description), std::string_view(definition),
       std::string_view(w.status), nullable(w.webhook_token), nullable(w.created_by), w.created_at, w.updated_at});
}

void update(Connection& c, const model::Workflow& w) {
  auto definition = to_text(w.definition);
  c.query(
      "UPDATE workflows SET name = ?, description = ?, definition = ?, status = ?, webhook_token = ?, updated_at = ? "
      "WHERE id = ?",
      {std::string_view(w.name), std::string_view(w.description), std::string_view(definition), std::string_view(w.status),
       nullable(w.webhook_token), w.updated_at, std::string_view(w.id)});
}

bool remove(Connection& c, const std::string& id) {
  return c.query("DELETE FROM workflows WHERE id = ?", {std::string_view(id)}).affected > 0;
}

std::optional<model::Workflow> find(Connection& c, const std::string& id) {
  auto r = c.query(std::string(columns) + " WHERE id = ?", {std::string_view(id)});
  if (r.rows.empty()) return std::nullopt;
  return from_row(r.rows[0]);
}

std::optional<model::Workflow> find_by_webhook(Connection& c, const std::string& token) {
  auto r = c.query(std::string(columns) + " WHERE webhook_token = ?", {std::string_view(token)});
  if (r.rows.empty()) return std::nullopt;
  return from_row(r.rows[0]);
}

Page<model::Workflow> list(Connection& c, const PageRequest& page) {
  auto r = c.query(std::string(columns) + (page.cursor ? " WHERE id < ?" : "") + " ORDER BY id DESC LIMIT ?",
                   page.cursor ? std::initializer_list<Param>{std::string_view(*page.cursor), page.limit + 1}
                               : std::initializer_list<Param>{page.limit + 1});
  return to_page<model::Workflow>(r, page, from_row);
}

std::vector<model::Workflow> find_by_name(Connection& c, const std::string& name) {
  std::vector<model::Workflow> out;
  for (const auto& row : c.query(std::string(columns) + " WHERE name = ?", {std::string_view(name)}).rows)
    out.push_back(from_row(row));
  return out;
}

std::pair<std::int64_t, std::int64_t> fingerprint(Connection& c) {
  auto row = c.query("SELECT count(*), CAST(COALESCE(SUM(updated_at), 0) AS BIGINT) FROM workflows").rows.at(0);
  return {row.integer(0), row.integer(1)};
}

bool claim_firing(Connection& c, const std::string& workflow_id, std::int64_t scheduled_at) {
  c.query("DELETE FROM schedule_firings WHERE workflow_id = ? AND scheduled_at < ?",
          {std::string_view(workflow_id), scheduled_at - 24 * 3600 * 1000});
  return c.query("INSERT INTO schedule_firings (workflow_id, scheduled_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
                 {std::string_view(workflow_id), scheduled_at})
             .affected == 1;
}

std::vector<model::Workflow> active(Connection& c) {
  std::vector<model::Workflow> out;
  for (const auto& row : c.query(std::string(columns) + " WHERE status = 'active'").rows) out.push_back(from_row(row));
  return out;
}
}  // namespace workflows

namespace executions {
namespace {
constexpr const char* columns =
    "SELECT id, workflow_id, status, input, output, error, definition, trigger_type, created_by, started_at, "
    "completed_at, created_at, parent_execution_id, parent_step_id FROM workflow_executions";
model::Execution from_row(const Row& r) {
  model::Execution e;
  e.id = r.text(0);
  e.workflow_id = r.text(1);
  e.status = r.text(2);
  e.input = parse_stored(r.text(3));
  if (!r.is_null(4)) e.output = parse_stored(r.text(4), nullptr);
  e.error = r.optional_text(5);
  e.definition = parse_stored(r.text(6));
  e.trigger_type = r.text(7);
  e.created_by = r.optional_text(8);
  e.started_at = r.optional_integer(9);
  e.completed_at = r.optional_integer(10);
  e.created_at = r.integer(11);
  e.parent_execution_id = r.optional_text(12);
  e.parent_step_id = r.optional_text(13);
  return e;
}

// An execution's steps in one statement: a statement per step cost the writer's PostgreSQL
// backend its work per statement once more per step (docs/performance.md, PostgreSQL).
void insert_steps(Connection& c, const std::string& execution_id, const std::vector<model::StepState>& steps) {
  if (steps.empty()) return;
  std::string sql = "INSERT INTO workflow_steps (execution_id, step_id, type, status) VALUES ";
  std::vector<Param> params;
  params.reserve(steps.size() * 4);
  for (const auto& s : steps) {
    sql += params.empty() ? "(?, ?, ?, ?)" : ", (?, ?, ?, ?)";
    for (const auto* value : {&execution_id, &s.step_id, &s.type, &s.status}) params.emplace_back(std::string_view(*value));
  }
  c.send(sql, params);
}
}  // namespace

void insert(Connection& c, const model::Execution& e) {
  auto input = to_text(e.input), definition = to_text(e.definition);
  c.send(
      "INSERT INTO workflow_executions (id, workflow_id, status, input, definition, trigger_type, created_by, "
      "started_at, created_at, parent_execution_id, parent_step_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {std::string_view(e.id), std::string_view(e.workflow_id), std::string_view(e.status), std::string_view(input),
       std::string_view(definition), std::string_view(e.trigger_type), nullable(e.created_by), nullable(e.started_at),
       e.created_at, nullable(e.parent_execution_id), nullable(e.parent_step_id)});
  insert_steps(c, e.id, e.steps);
}

void update(Connection& c, const model::Execution& e) {
  auto output = text_of(e.output);
  c.send("UPDATE workflow_executions SET status = ?, output = ?, error = ?, completed_at = ? WHERE id = ?",
          {std::string_view(e.status), nullable(output), nullable(e.error), nullable(e.completed_at), std::string_view(e.id)});
}

void update_step(Connection& c, const std::string& execution_id, const model::StepState& s) {
  auto input = text_of(s.input), output = text_of(s.output);
  c.send(
      "UPDATE workflow_steps SET status = ?, attempts = ?, input = ?, output = ?, error = ?, task_id = ?, wake_at = ?, "
      "started_at = ?, completed_at = ? WHERE execution_id = ? AND step_id = ?",
      {std::string_view(s.status), s.attempts, nullable(input), nullable(output), nullable(s.error), nullable(s.task_id),
       nullable(s.wake_at), nullable(s.started_at), nullable(s.completed_at), std::string_view(execution_id),
       std::string_view(s.step_id)});
}

namespace {
const char* const steps_of_execution =
    "SELECT step_id, type, status, attempts, input, output, error, task_id, wake_at, started_at, completed_at "
    "FROM workflow_steps WHERE execution_id = ?";

// The execution's row (lock: locked until the commit, PostgreSQL) and then its steps, both sent
// in the pipeline (the second reads once the row is locked); `then` gets the two results.
void send_find(Connection& c, const std::string& id, bool for_update,
               std::function<void(const Result& execution, const Result& steps)> then) {
  bool lock = for_update && c.dialect() == Dialect::postgres;  // SQLite's one writer serialises anyway
  auto execution = std::make_shared<Result>();
  c.send(std::string(columns) + (lock ? " WHERE id = ? FOR UPDATE" : " WHERE id = ?"), {std::string_view(id)},
         [execution](const Result& r) { *execution = r; });
  c.send(steps_of_execution, {std::string_view(id)},
         [execution, then = std::move(then)](const Result& steps) { then(*execution, steps); });
}

std::optional<model::Execution> assemble(const Result& execution, const Result& steps) {
  if (execution.rows.empty()) return std::nullopt;
  auto e = from_row(execution.rows[0]);
  std::map<std::string, model::StepState> by_id;
  for (const auto& row : steps.rows) {
    model::StepState s;
    s.step_id = row.text(0);
    s.type = row.text(1);
    s.status = row.text(2);
    s.attempts = row.integer(3);
    if (!row.is_null(4)) s.input = parse_stored(row.text(4), nullptr);
    if (!row.is_null(5)) s.output = parse_stored(row.text(5), nullptr);
    s.error = row.optional_text(6);
    s.task_id = row.optional_text(7);
    s.wake_at = row.optional_integer(8);
    s.started_at = row.optional_integer(9);
    s.completed_at = row.optional_integer(10);
    by_id.emplace(s.step_id, std::move(s));
  }
  // Definition order, as the client wrote the steps.
  if (e.definition.is_object())
    if (auto* steps = e.definition.get_object().if_contains("steps"); steps && steps->is_array())
      for (const auto& step : steps->get_array())
        if (auto it = by_id.find(std::string(step.at("id").get_string())); it != by_id.end()) e.steps.push_back(std::move(it->second));
  return e;
}

std::optional<model::Execution> find(Connection& c, const std::string& id, bool for_update) {
  std::optional<model::Execution> found;
  send_find(c, id, for_update, [&found](const Result& execution, const Result& steps) { found = assemble(execution, steps); });
  c.flush();
  return found;
}
}  // namespace

std::optional<model::Execution> find(Connection& c, const std::string& id) { return find(c, id, false); }
std::optional<model::Execution> find_for_update(Connection& c, const std::string& id) { return find(c, id, true); }
void find_for_update(Connection& c, const std::string& id, std::function<void(std::optional<model::Execution>)> then) {
  send_find(c, id, true, [then = std::move(then)](const Result& execution, const Result& steps) { then(assemble(execution, steps)); });
}

Page<model::Execution> list(Connection& c, const std::optional<std::string>& workflow_id, const PageRequest& page) {
  std::string sql = std::string(columns);
  std::vector<Param> params;
  if (workflow_id) sql += " WHERE workflow_id = ?", params.emplace_back(std::string_view(*workflow_id));
  if (page.cursor) sql += workflow_id ? " AND id < ?" : " WHERE id < ?", params.emplace_back(std::string_view(*page.cursor));
  sql += " ORDER BY id DESC LIMIT ?";
  params.emplace_back(page.limit + 1);
  auto r = c.query(sql, std::span<const Param>(params));
  return to_page<model::Execution>(r, page, from_row);
}

std::vector<std::string> unfinished(Connection& c) {
  std::vector<std::string> out;
  for (const auto& row : c.query("SELECT id FROM workflow_executions WHERE status IN ('pending', 'running', 'waiting')").rows)
    out.push_back(row.text(0));
  return out;
}

std::vector<std::string> unfinished_children(Connection& c, const std::string& parent_id) {
  std::vector<std::string> out;
  for (const auto& row : c.query("SELECT id FROM workflow_executions WHERE parent_execution_id = ? AND status IN "
                                 "('pending', 'running', 'waiting')",
                                 {std::string_view(parent_id)})
                             .rows)
    out.push_back(row.text(0));
  return out;
}

void lease_call(Connection& c, const std::string& execution_id, const std::string& step_id, const std::string& holder,
                std::int64_t expires_at) {
  c.query("UPDATE workflow_steps SET lease_owner = ?, lease_expires_at = ? WHERE execution_id = ? AND step_id = ?",
          {std::string_view(holder), expires_at, std::string_view(execution_id), std::string_view(step_id)});
}

void renew_calls(Connection& c, const std::string& holder, std::int64_t expires_at) {
  c.query("UPDATE workflow_steps SET lease_expires_at = ? WHERE lease_owner = ? AND status = 'running'",
          {expires_at, std::string_view(holder)});
}

std::vector<Call> take_over_calls(Connection& c, const std::string& holder, std::int64_t now, std::int64_t expires_at) {
  auto r = c.query(
      "UPDATE workflow_steps SET lease_owner = ?, lease_expires_at = ? WHERE (execution_id, step_id) IN (SELECT "
      "execution_id, step_id FROM workflow_steps WHERE status = 'running' AND lease_expires_at < ? FOR UPDATE SKIP "
      "LOCKED) RETURNING execution_id, step_id, type",
      {std::string_view(holder), expires_at, now});
  std::vector<Call> out;
  for (const auto& row : r.rows) out.push_back({row.text(0), row.text(1), row.text(2)});
  return out;
}

std::vector<Wake> delays(Connection& c, std::int64_t due_before, std::size_t limit) {
  std::vector<Wake> out;
  for (const auto& row : c.query("SELECT execution_id, step_id, wake_at FROM workflow_steps WHERE status = 'waiting' AND "
                                 "wake_at < ? LIMIT ?",
                                 {due_before, std::int64_t(std::min<std::size_t>(limit, INT64_MAX))})
                             .rows)
    out.push_back({row.text(0), row.text(1), row.integer(2)});
  return out;
}
}  // namespace executions

}  // namespace de::store
