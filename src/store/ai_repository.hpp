#pragma once
// The AI services layer's tables (docs/ai.md): prompt templates and their versions, one row per
// model call, and provider keys sealed with the master key.
#include <boost/json/value.hpp>

#include "store/repositories.hpp"

namespace de::store {

namespace prompts {
struct Version {
  std::int64_t version = 1;
  std::string template_text;
  boost::json::value variables;  // [{"name","type"}]
  std::optional<std::string> created_by;
  std::int64_t created_at = 0;
};
struct Prompt {
  std::string id, name, description;
  std::int64_t active_version = 1;
  std::optional<std::string> created_by;
  std::int64_t created_at = 0, updated_at = 0;
  Version active;  // the active version
};
// A new prompt and its first version, active.
void insert(Connection& c, const Prompt& p);
std::optional<Prompt> find(Connection& c, const std::string& id);
std::optional<Prompt> find_by_name(Connection& c, const std::string& name);
Page<Prompt> list(Connection& c, const PageRequest& page);
std::vector<Version> versions(Connection& c, const std::string& id);  // oldest first
std::optional<Version> version(Connection& c, const std::string& id, std::int64_t version);
// The next version number, stored (not active).
std::int64_t add_version(Connection& c, const std::string& id, const Version& v);
bool activate(Connection& c, const std::string& id, std::int64_t version, std::int64_t now);
bool remove(Connection& c, const std::string& id);
boost::json::object to_json(const Prompt& p);
boost::json::object to_json(const Version& v, std::int64_t active_version);
}  // namespace prompts

namespace ai_calls {
struct Call {
  std::int64_t created_at = 0;
  std::string provider, model;
  std::optional<std::string> agent_id, workflow_id, task_id, prompt_name;
  std::optional<std::int64_t> prompt_version;
  std::int64_t input_tokens = 0, output_tokens = 0;
  double cost_usd = 0, latency_ms = 0;
  bool ok = true;
  std::optional<std::string> error;
};
void insert(Connection& c, const Call& call);
struct UsageRow {
  std::optional<std::string> key;  // the group: agent id, model, provider or day (YYYY-MM-DD)
  std::int64_t requests = 0, errors = 0, input_tokens = 0, output_tokens = 0;
  double cost_usd = 0, latency_ms_avg = 0;
};
enum class GroupBy { agent, model, provider, day };
// What an agent's recorded calls since `since` (ms) used: for its budgets.
struct Spent {
  std::int64_t requests = 0, tokens = 0;
  double cost_usd = 0;
};
enum class SpentBy { agent, workflow };
Spent spent(Connection& c, SpentBy by, const std::string& id, std::int64_t since);
// Calls in [from, to) (ms since the epoch), summed by group, largest cost first (days in order).
std::vector<UsageRow> usage(Connection& c, GroupBy group_by, std::int64_t from, std::int64_t to);
}  // namespace ai_calls

namespace ai_provider_keys {
void put(Connection& c, const std::string& provider, const std::string& sealed, const std::optional<std::string>& by,
         std::int64_t now);
bool remove(Connection& c, const std::string& provider);
std::map<std::string, std::string> all(Connection& c);  // provider -> sealed key
}  // namespace ai_provider_keys

// An assistant run's state ({"steps","tool_tasks"}), kept while it runs (resumed after a crash).
namespace assistant_runs {
std::optional<boost::json::object> find(Connection& c, const std::string& task_id);
void save(Connection& c, const std::string& task_id, const std::string& agent_id, const boost::json::object& state,
          std::int64_t now);
void remove(Connection& c, const std::string& task_id);
// The states of runs whose task has ended (kept by a run that ended without its cleanup).
void remove_finished(Connection& c);
}  // namespace assistant_runs

// A tool call of an assistant run that waits for a person's decision.
namespace tool_approvals {
struct Approval {
  std::string id, task_id, call_id, agent_id, tool;
  boost::json::value arguments;
  std::string role;  // the least role that may decide
  std::string status = "waiting";  // waiting, approved, rejected
  std::int64_t requested_at = 0;
  std::optional<std::string> decided_by;
  std::optional<std::int64_t> decided_at;
  std::optional<std::string> comment;
};
void insert(Connection& c, const Approval& a);
std::optional<Approval> find(Connection& c, const std::string& id);
std::optional<Approval> find_for_call(Connection& c, const std::string& task_id, const std::string& call_id);
// Newest first; `status` filters when given ("waiting": of runs still going).
Page<Approval> list(Connection& c, const std::optional<std::string>& status, const PageRequest& page);
// Settles a waiting approval; false when it is not waiting (any more).
bool decide(Connection& c, const std::string& id, bool approved, const std::string& by, const std::string& comment,
            std::int64_t now);
boost::json::object to_json(const Approval& a);
}  // namespace tool_approvals

}  // namespace de::store
