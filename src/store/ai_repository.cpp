#include "store/ai_repository.hpp"

#include "core/clock.hpp"
#include "core/json.hpp"

namespace de::store {

namespace json = boost::json;

namespace prompts {
namespace {
constexpr const char* columns =
    "SELECT p.id, p.name, p.description, p.active_version, p.created_by, p.created_at, p.updated_at, v.template, "
    "v.variables, v.created_by, v.created_at FROM prompts p JOIN prompt_versions v ON v.prompt_id = p.id AND "
    "v.version = p.active_version";

Prompt from_row(const Row& r) {
  Prompt p{r.text(0), r.text(1), r.text(2), r.integer(3), r.optional_text(4), r.integer(5), r.integer(6), {}};
  p.active = {p.active_version, r.text(7), core::parse_stored(r.text(8)), r.optional_text(9), r.integer(10)};
  return p;
}

std::optional<Prompt> first(const Result& r) {
  if (r.rows.empty()) return std::nullopt;
  return from_row(r.rows[0]);
}

void insert_version(Connection& c, const std::string& id, const Version& v) {
  auto variables = core::to_text(v.variables);
  c.query("INSERT INTO prompt_versions (prompt_id, version, template, variables, created_by, created_at) "
          "VALUES (?, ?, ?, ?, ?, ?)",
          {std::string_view(id), v.version, std::string_view(v.template_text), std::string_view(variables),
           nullable(v.created_by), v.created_at});
}
}  // namespace

void insert(Connection& c, const Prompt& p) {
  c.query("INSERT INTO prompts (id, name, description, active_version, created_by, created_at, updated_at) "
          "VALUES (?, ?, ?, ?, ?, ?, ?)",
          {std::string_view(p.id), std::string_view(p.name), std::string_view(p.description), p.active_version,
           nullable(p.created_by), p.created_at, p.updated_at});
  insert_version(c, p.id, p.active);
}

std::optional<Prompt> find(Connection& c, const std::string& id) {
  return first(c.query(std::string(columns) + " WHERE p.id = ?", {std::string_view(id)}));
}

std::optional<Prompt> find_by_name(Connection& c, const std::string& name) {
  return first(c.query(std::string(columns) + " WHERE p.name = ?", {std::string_view(name)}));
}

Page<Prompt> list(Connection& c, const PageRequest& page) {
  auto r = c.query(std::string(columns) + (page.cursor ? " WHERE p.id < ?" : "") + " ORDER BY p.id DESC LIMIT ?",
                   page.cursor ? std::initializer_list<Param>{std::string_view(*page.cursor), page.limit + 1}
                               : std::initializer_list<Param>{page.limit + 1});
  return to_page<Prompt>(r, page, from_row);
}

std::vector<Version> versions(Connection& c, const std::string& id) {
  std::vector<Version> out;
  for (const auto& r : c.query("SELECT version, template, variables, created_by, created_at FROM prompt_versions "
                               "WHERE prompt_id = ? ORDER BY version",
                               {std::string_view(id)})
                           .rows)
    out.push_back({r.integer(0), r.text(1), core::parse_stored(r.text(2)), r.optional_text(3), r.integer(4)});
  return out;
}

std::optional<Version> version(Connection& c, const std::string& id, std::int64_t version) {
  auto r = c.query("SELECT version, template, variables, created_by, created_at FROM prompt_versions "
                   "WHERE prompt_id = ? AND version = ?",
                   {std::string_view(id), version});
  if (r.rows.empty()) return std::nullopt;
  const auto& row = r.rows[0];
  return Version{row.integer(0), row.text(1), core::parse_stored(row.text(2)), row.optional_text(3), row.integer(4)};
}

std::int64_t add_version(Connection& c, const std::string& id, const Version& v) {
  auto next = c.query("SELECT COALESCE(MAX(version), 0) + 1 FROM prompt_versions WHERE prompt_id = ?",
                      {std::string_view(id)})
                  .rows.at(0)
                  .integer(0);
  Version stored = v;
  stored.version = next;
  insert_version(c, id, stored);
  c.query("UPDATE prompts SET updated_at = ? WHERE id = ?", {v.created_at, std::string_view(id)});
  return next;
}

bool activate(Connection& c, const std::string& id, std::int64_t version, std::int64_t now) {
  return c.query("UPDATE prompts SET active_version = ?, updated_at = ? WHERE id = ? AND EXISTS (SELECT 1 FROM "
                 "prompt_versions WHERE prompt_id = ? AND version = ?)",
                 {version, now, std::string_view(id), std::string_view(id), version})
             .affected == 1;
}

bool remove(Connection& c, const std::string& id) {
  return c.query("DELETE FROM prompts WHERE id = ?", {std::string_view(id)}).affected > 0;
}

json::object to_json(const Version& v, std::int64_t active_version) {
  return {{"version", v.version},
          {"template", v.template_text},
          {"variables", v.variables},
          {"active", v.version == active_version},
          {"created_by", v.created_by ? json::value(*v.created_by) : json::value(nullptr)},
          {"created_at", core::format_timestamp(v.created_at)}};
}

json::object to_json(const Prompt& p) {
  return {{"id", p.id},
          {"name", p.name},
          {"description", p.description},
          {"active_version", p.active_version},
          {"template", p.active.template_text},
          {"variables", p.active.variables},
          {"created_by", p.created_by ? json::value(*p.created_by) : json::value(nullptr)},
          {"created_at", core::format_timestamp(p.created_at)},
          {"updated_at", core::format_timestamp(p.updated_at)}};
}
}  // namespace prompts

namespace ai_calls {
void insert(Connection& c, const Call& call) {
  c.query("INSERT INTO ai_calls (created_at, provider, model, agent_id, workflow_id, task_id, prompt_name, "
          "prompt_version, input_tokens, output_tokens, cost_usd, latency_ms, ok, error) "
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
          {call.created_at, std::string_view(call.provider), std::string_view(call.model), nullable(call.agent_id),
           nullable(call.workflow_id), nullable(call.task_id), nullable(call.prompt_name),
           nullable(call.prompt_version), call.input_tokens, call.output_tokens, call.cost_usd, call.latency_ms,
           std::int64_t(call.ok), nullable(call.error)});
}

Spent spent(Connection& c, SpentBy by, const std::string& id, std::int64_t since) {
  auto r = c.query(std::string("SELECT count(*), COALESCE(SUM(input_tokens + output_tokens), 0), COALESCE(SUM(cost_usd), 0) "
                               "FROM ai_calls WHERE ") +
                       (by == SpentBy::agent ? "agent_id" : "workflow_id") + " = ? AND created_at >= ?",
                   {std::string_view(id), since});
  const auto& row = r.rows.at(0);
  return {row.integer(0), row.integer(1), row.real(2)};
}

std::vector<UsageRow> usage(Connection& c, GroupBy group_by, std::int64_t from, std::int64_t to) {
  // Day numbers since the epoch, turned into dates below.
  const char* key = group_by == GroupBy::agent      ? "CAST(agent_id AS TEXT)"
                    : group_by == GroupBy::model    ? "model"
                    : group_by == GroupBy::provider ? "provider"
                                                    : "CAST(created_at / 86400000 AS TEXT)";
  std::string sql = std::string("SELECT ") + key +
                    ", count(*), SUM(CASE WHEN ok THEN 0 ELSE 1 END), SUM(input_tokens), SUM(output_tokens), "
                    "SUM(cost_usd), AVG(latency_ms) FROM ai_calls WHERE created_at >= ? AND created_at < ? GROUP BY 1 "
                    "ORDER BY " +
                    (group_by == GroupBy::day ? "MIN(created_at)" : "6 DESC, 1");
  std::vector<UsageRow> out;
  for (const auto& r : c.query(sql, {from, to}).rows) {
    UsageRow row{r.optional_text(0), r.integer(1), r.integer(2), r.integer(3), r.integer(4), r.real(5), r.real(6)};
    if (group_by == GroupBy::day && row.key)
      row.key = core::format_timestamp(std::stoll(*row.key) * 86400000).substr(0, 10);
    out.push_back(std::move(row));
  }
  return out;
}
}  // namespace ai_calls

namespace ai_provider_keys {
void put(Connection& c, const std::string& provider, const std::string& sealed, const std::optional<std::string>& by,
         std::int64_t now) {
  c.query("DELETE FROM ai_provider_keys WHERE provider = ?", {std::string_view(provider)});
  c.query("INSERT INTO ai_provider_keys (provider, sealed, updated_by, updated_at) VALUES (?, ?, ?, ?)",
          {std::string_view(provider), std::string_view(sealed), nullable(by), now});
}

bool remove(Connection& c, const std::string& provider) {
  return c.query("DELETE FROM ai_provider_keys WHERE provider = ?", {std::string_view(provider)}).affected > 0;
}

std::map<std::string, std::string> all(Connection& c) {
  std::map<std::string, std::string> out;
  for (const auto& r : c.query("SELECT provider, sealed FROM ai_provider_keys").rows) out[r.text(0)] = r.text(1);
  return out;
}
}  // namespace ai_provider_keys

namespace assistant_runs {
std::optional<json::object> find(Connection& c, const std::string& task_id) {
  auto r = c.query("SELECT state FROM assistant_runs WHERE task_id = ?", {std::string_view(task_id)});
  if (r.rows.empty()) return std::nullopt;
  auto state = core::parse_stored(r.rows[0].text(0));
  if (!state.is_object()) return std::nullopt;
  return std::move(state.get_object());
}

void save(Connection& c, const std::string& task_id, const std::string& agent_id, const json::object& state,
          std::int64_t now) {
  auto text = core::to_text(state);
  c.query("INSERT INTO assistant_runs (task_id, agent_id, state, updated_at) VALUES (?, ?, ?, ?) "
          "ON CONFLICT (task_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
          {std::string_view(task_id), std::string_view(agent_id), std::string_view(text), now});
}

void remove(Connection& c, const std::string& task_id) {
  c.query("DELETE FROM assistant_runs WHERE task_id = ?", {std::string_view(task_id)});
}

void remove_finished(Connection& c) {
  // Per run, its task by primary key (a run whose task is gone ended too): `task_id IN (SELECT
  // id FROM tasks WHERE status IN (...))` made SQLite build a temporary index of every finished
  // task at each start-up, in time and memory growing with the history.
  c.query("DELETE FROM assistant_runs WHERE NOT EXISTS (SELECT 1 FROM tasks t WHERE t.id = assistant_runs.task_id "
          "AND t.status NOT IN ('completed', 'failed', 'cancelled'))",
          {});
}
}  // namespace assistant_runs

namespace tool_approvals {
namespace {
constexpr const char* columns =
    "SELECT id, task_id, call_id, agent_id, tool, arguments, role, status, requested_at, decided_by, decided_at, comment "
    "FROM tool_approvals";

Approval from_row(const Row& r) {
  return {r.text(0), r.text(1), r.text(2), r.text(3), r.text(4), core::parse_stored(r.text(5)), r.text(6), r.text(7),
          r.integer(8), r.optional_text(9), r.optional_integer(10), r.optional_text(11)};
}

std::optional<Approval> first(const Result& r) {
  if (r.rows.empty()) return std::nullopt;
  return from_row(r.rows[0]);
}
}  // namespace

void insert(Connection& c, const Approval& a) {
  auto arguments = core::to_text(a.arguments);
  c.query("INSERT INTO tool_approvals (id, task_id, call_id, agent_id, tool, arguments, role, status, requested_at) "
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
          {std::string_view(a.id), std::string_view(a.task_id), std::string_view(a.call_id), std::string_view(a.agent_id),
           std::string_view(a.tool), std::string_view(arguments), std::string_view(a.role), std::string_view(a.status),
           a.requested_at});
}

std::optional<Approval> find(Connection& c, const std::string& id) {
  return first(c.query(std::string(columns) + " WHERE id = ?", {std::string_view(id)}));
}

std::optional<Approval> find_for_call(Connection& c, const std::string& task_id, const std::string& call_id) {
  return first(c.query(std::string(columns) + " WHERE task_id = ? AND call_id = ?",
                       {std::string_view(task_id), std::string_view(call_id)}));
}

Page<Approval> list(Connection& c, const std::optional<std::string>& status, const PageRequest& page) {
  std::string sql = columns;
  std::vector<Param> params;
  std::vector<std::string> where;
  if (status) where.push_back("status = ?"), params.emplace_back(std::string_view(*status));
  // A call still waiting whose run has ended can no longer be decided: not listed as waiting.
  if (status == "waiting")
    where.push_back("EXISTS (SELECT 1 FROM tasks t WHERE t.id = tool_approvals.task_id AND t.status NOT IN "
                    "('completed', 'failed', 'cancelled'))");  // by primary key, not a scan of every task
  if (page.cursor) where.push_back("id < ?"), params.emplace_back(std::string_view(*page.cursor));
  for (std::size_t i = 0; i < where.size(); ++i) sql += (i ? " AND " : " WHERE ") + where[i];
  sql += " ORDER BY id DESC LIMIT ?";
  params.emplace_back(page.limit + 1);
  auto r = c.query(sql, std::span<const Param>(params));
  return to_page<Approval>(r, page, from_row);
}

bool decide(Connection& c, const std::string& id, bool approved, const std::string& by, const std::string& comment,
            std::int64_t now) {
  auto r = c.query("UPDATE tool_approvals SET status = ?, decided_by = ?, decided_at = ?, comment = ? "
                   "WHERE id = ? AND status = 'waiting'",
                   {std::string_view(approved ? "approved" : "rejected"), std::string_view(by), now,
                    std::string_view(comment), std::string_view(id)});
  return r.affected > 0;
}

json::object to_json(const Approval& a) {
  auto optional_text = [](const std::optional<std::string>& s) { return s ? json::value(*s) : json::value(nullptr); };
  return {{"id", a.id},
          {"task_id", a.task_id},
          {"call_id", a.call_id},
          {"agent_id", a.agent_id},
          {"tool", a.tool},
          {"arguments", a.arguments},
          {"role", a.role},
          {"status", a.status},
          {"requested_at", core::format_timestamp(a.requested_at)},
          {"decided_by", optional_text(a.decided_by)},
          {"decided_at", core::time_or_null(a.decided_at)},
          {"comment", optional_text(a.comment)}};
}
}  // namespace tool_approvals

}  // namespace de::store
