#pragma once
// Domain types of the platform and their JSON form (the public contract of DESIGN.md §6).
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.hpp"

namespace de::model {

namespace json = boost::json;

// ---- roles -------------------------------------------------------------------------------
enum class Role : std::uint8_t { admin, manager, operator_, viewer, agent };
inline constexpr std::string_view role_names[] = {"admin", "manager", "operator", "viewer",
                                                  "agent"};
std::optional<Role> parse_role(std::string_view name);
std::string_view to_string(Role role);
using RoleSet = std::uint8_t;  // bit per Role
RoleSet role_bit(Role role);
std::vector<std::string> role_list(RoleSet roles);
// Validates a "roles" array; errors go to the reader.
std::optional<RoleSet> read_roles(core::ObjectReader& reader, std::string_view key, bool required);

// ---- users -------------------------------------------------------------------------------
struct User {
  std::string id;
  std::string email;
  std::string username;
  std::string password_hash;
  RoleSet roles = 0;
  bool is_active = true;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
};
json::object to_json(const User& user);  // never the hash

// Field checks shared by the API and the command line; each returns an error message or "".
std::string email_problem(std::string_view email);
std::string username_problem(std::string_view username);
std::string password_problem(std::string_view password);
std::string lower(std::string_view text);

// A validated user-creation request (password still in clear: hash it off the I/O threads).
struct NewUser {
  std::string email;
  std::string username;
  std::string password;
  RoleSet roles = 0;
};
// Throws core::Error(validation) naming every bad field.
NewUser read_new_user(const json::object& body);

// ---- agents ------------------------------------------------------------------------------
inline constexpr std::array<std::string_view, 6> agent_types = {
    "product_manager", "sales", "marketing", "echo", "remote", "assistant"};
inline constexpr std::array<std::string_view, 6> agent_statuses = {
    "idle", "busy", "paused", "stopped", "offline", "error"};

struct AgentStats {
  std::int64_t tasks_completed = 0;
  std::int64_t tasks_failed = 0;
  double avg_latency_ms = 0;
  std::int64_t queue_depth = 0;
};

struct Agent {
  std::string id;
  std::string name;
  std::string type;
  std::string version = "1.0.0";
  json::object config;
  std::string status = "idle";
  std::vector<std::string> capabilities;
  std::optional<std::string> created_by;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
  AgentStats stats;
};
json::object to_json(const Agent& agent);
// The task types an agent of `type` handles unless told otherwise (DESIGN.md §6).
std::vector<std::string> default_capabilities(std::string_view type);
// What a task type does and the JSON Schema of its input_data (as JSON text): the tools an
// assistant offers its model are described by these (docs/ai.md). Null for a type not known
// here (any object is then offered).
struct TaskTypeInfo {
  std::string_view type, description, input_schema;
};
const TaskTypeInfo* task_type_info(std::string_view type);

// ---- tasks -------------------------------------------------------------------------------
inline constexpr std::array<std::string_view, 6> task_statuses = {
    "pending", "queued", "running", "completed", "failed", "cancelled"};
inline constexpr std::array<std::string_view, 4> task_priorities = {"low", "normal",
                                                                             "high", "critical"};
// critical 3 > high 2 > normal 1 > low 0; the queue runs higher ranks first.
int priority_rank(std::string_view priority);
bool is_terminal_task_status(std::string_view status);

struct Task {
  std::string id;
  std::string title;
  std::string description;
  std::string type;
  std::string status = "queued";
  std::string priority = "normal";
  std::optional<std::string> assigned_agent;  // the agent running it, or that ran it last
  std::optional<std::string> pinned_agent;    // the agent asked for at creation: only it may run it
  std::optional<std::string> workflow_execution_id;  // set when a workflow step created it
  std::optional<std::string> created_by;
  json::object input_data;
  std::optional<json::value> output_data;
  std::optional<std::string> error;
  std::int64_t attempts = 0;
  std::int64_t max_attempts = 3;
  std::int64_t timeout_ms = 300000;
  std::optional<std::int64_t> started_at;
  std::optional<std::int64_t> completed_at;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
};
json::object to_json(const Task& task);
// The same as text (what to_json serializes to), made without building the object.
std::string to_text(const Task& task);

// Why a waiting task may not run soon (docs/api.md, "Task warnings"): no agent offers its type
// (`no_capable_agent`), or the agents that could run it are not running (`agent_stopped`).
struct TaskWarning {
  std::string code;
  std::string detail;
  std::optional<std::string> agent_id;  // the agent to start, for agent_stopped
};
// Empty unless the task waits (pending or queued) and none of `agents` can take it now.
std::vector<TaskWarning> task_warnings(const Task& task, const std::vector<Agent>& agents);
// The same for a task of `type` (pinned to `pinned_agent` when set) about to be created.
std::vector<TaskWarning> type_warnings(std::string_view type, const std::optional<std::string>& pinned_agent,
                                       const std::vector<Agent>& agents);
json::array to_json(const std::vector<TaskWarning>& warnings);

// 1 to 100 of a-z, 0-9, '_', '.' and '-'.
bool valid_task_type(std::string_view type);
// A validated task-creation request. `field_prefix` names the fields in errors ("tasks[2]").
struct NewTask {
  std::string title;
  std::string description;
  std::string type;
  std::string priority = "normal";
  json::object input_data;
  std::optional<std::string> assigned_agent;
  std::optional<std::int64_t> max_attempts;
  std::optional<std::int64_t> timeout_ms;
};
// Returns the task, or nullopt with errors appended to `errors`.
std::optional<NewTask> read_new_task(const json::value& body, const std::string& field_prefix,
                                     std::vector<core::FieldError>& errors);

// ---- workflows ---------------------------------------------------------------------------
inline constexpr std::array<std::string_view, 3> workflow_statuses = {"draft", "active", "archived"};

struct Workflow {
  std::string id;
  std::string name;
  std::string description;
  json::value definition;
  std::string status = "active";
  std::optional<std::string> webhook_token;
  std::optional<std::string> created_by;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
};
json::object to_json(const Workflow& workflow);

struct StepState {
  std::string step_id;
  std::string type;
  std::string status = "pending";  // pending running waiting completed failed skipped cancelled
  std::int64_t attempts = 0;
  std::optional<json::value> input, output;
  std::optional<std::string> error;
  std::optional<std::string> task_id;
  std::optional<std::int64_t> wake_at, started_at, completed_at;
};
json::object to_json(const StepState& step);

struct Execution {
  std::string id;
  std::string workflow_id;
  std::string status = "running";  // pending running waiting completed failed cancelled
  json::value input;
  std::optional<json::value> output;
  std::optional<std::string> error;
  json::value definition;  // the definition it runs (a later edit does not change it)
  std::string trigger_type = "manual";
  std::optional<std::string> created_by;
  std::optional<std::string> parent_execution_id, parent_step_id;  // set for a sub-workflow
  std::optional<std::int64_t> started_at, completed_at;
  std::int64_t created_at = 0;
  std::vector<StepState> steps;
};
json::object to_json(const Execution& execution);

// ---- analytics ---------------------------------------------------------------------------
struct Metric {
  std::string name;
  double value = 0;
  std::optional<std::string> agent_id;
  json::object tags;
  std::int64_t recorded_at = 0;
};

// ---- messages between agents ----------------------------------------------------------------
struct Message {
  std::string id;
  std::optional<std::string> from_agent;  // null: sent by a person through the API
  std::string to_agent;
  std::string message_type;
  json::value payload;
  std::string status = "sent";  // sent | delivered
  std::int64_t sent_at = 0;
  std::optional<std::int64_t> delivered_at;
};
json::object to_json(const Message& message);

// ---- events ------------------------------------------------------------------------------
class Event {
 public:
  Event() = default;
  Event(std::int64_t id, std::string topic, json::value data, std::int64_t created_at)
      : id(id), topic(std::move(topic)), created_at(created_at), data_(std::move(data)) {}
  // A task event made from the task itself: the JSON is made only if a listener asks for it.
  Event(std::int64_t id, std::string topic, std::shared_ptr<const Task> task, std::int64_t created_at)
      : id(id), topic(std::move(topic)), created_at(created_at), task(std::move(task)) {}

  std::int64_t id = 0;
  std::string topic;
  std::int64_t created_at = 0;
  // The message subscribers get, made once for all of them (when stored, or read back).
  std::shared_ptr<const std::string> wire;
  // A task event's task, when its emitter had it: for listeners that need a field or two.
  std::shared_ptr<const Task> task;

  // The data as JSON. A task event's is made from its task on first use and then kept: an event
  // is read by one thread at a time (emitted and triggered on the writer, then published).
  const json::value& data() const {
    if (task && data_.is_null()) data_ = to_json(*task);
    return data_;
  }

 private:
  mutable json::value data_;
};
// {"type":"event","id","topic","data","ts"}, given the data as stored (already JSON text).
std::string to_wire(const Event& event, std::string_view data_text);

}  // namespace de::model
