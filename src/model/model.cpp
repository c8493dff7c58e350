#include "model/model.hpp"
#include "model/password.hpp"

#include <fmt/format.h>

#include <cctype>

#include "core/clock.hpp"
#include "core/ids.hpp"

namespace de::model {

namespace {
json::value optional_string(const std::optional<std::string>& s) {
  return s ? json::value(*s) : json::value(nullptr);
}
json::array string_array(const std::vector<std::string>& items) {
  json::array a;
  for (const auto& s : items) a.emplace_back(s);
  return a;
}
}  // namespace

std::optional<Role> parse_role(std::string_view name) {
  for (std::size_t i = 0; i < std::size(role_names); ++i)
    if (role_names[i] == name) return static_cast<Role>(i);
  return std::nullopt;
}

std::string_view to_string(Role role) { return role_names[static_cast<std::size_t>(role)]; }

RoleSet role_bit(Role role) { return RoleSet(1u << static_cast<unsigned>(role)); }

std::vector<std::string> role_list(RoleSet roles) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < std::size(role_names); ++i)
    if (roles & (1u << i)) out.emplace_back(role_names[i]);
  return out;
}

std::optional<RoleSet> read_roles(core::ObjectReader& reader, std::string_view key, bool required) {
  auto names = reader.strings(key, required, std::size(role_names));
  if (!names) return std::nullopt;
  RoleSet set = 0;
  for (std::size_t i = 0; i < names->size(); ++i) {
    auto role = parse_role((*names)[i]);
    if (!role) {
      reader.errors().push_back(
          {fmt::format("{}[{}]", reader.field_name(key), i),
           fmt::format("must be one of: {}", fmt::join(role_names, ", "))});
      return std::nullopt;
    }
    set |= role_bit(*role);
  }
  if (set == 0) {
    reader.error(key, "must name at least one role");
    return std::nullopt;
  }
  return set;
}

json::object to_json(const User& user) {
  return {{"id", user.id},
          {"email", user.email},
          {"username", user.username},
          {"roles", string_array(role_list(user.roles))},
          {"is_active", user.is_active},
          {"created_at", core::format_timestamp(user.created_at)},
          {"updated_at", core::format_timestamp(user.updated_at)}};
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string email_problem(std::string_view email) {
  auto at = email.find('@');
  if (email.size() > 254 || at == std::string_view::npos || at == 0 ||
      email.find('@', at + 1) != std::string_view::npos || email.find('.', at) == std::string_view::npos ||
      email.back() == '.' || email.find_first_of(" \t\r\n") != std::string_view::npos)
    return "must be an email address";
  return "";
}

std::string username_problem(std::string_view username) {
  if (username.size() < 3 || username.size() > 64) return "must be 3 to 64 characters";
  for (char c : username)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-')
      return "may contain only letters, digits, '_', '.' and '-'";
  return "";
}

NewUser read_new_user(const json::object& body) {
  core::ObjectReader r(body);
  NewUser u;
  if (auto email = r.string("email", true, 254)) {
    if (auto p = email_problem(*email); !p.empty()) r.error("email", p);
    u.email = lower(*email);
  }
  if (auto username = r.string("username", false, 64)) {
    if (auto p = username_problem(*username); !p.empty()) r.error("username", p);
    u.username = lower(*username);
  } else {
    // Derived from the email's local part, made valid.
    u.username = u.email.substr(0, std::min<std::size_t>(u.email.find('@'), 60));
    for (auto& c : u.username)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') c = '_';
    while (u.username.size() < 3) u.username += '_';
  }
  if (auto password = r.string("password", true, 4 * password_max_length)) {
    if (auto p = password_problem(*password, u.email); !p.empty()) r.error("password", p);
    u.password = *password;
  }
  u.roles = read_roles(r, "roles", false).value_or(role_bit(Role::viewer));
  r.finish();
  return u;
}

json::object to_json(const Agent& agent) {
  return {{"id", agent.id},
          {"name", agent.name},
          {"type", agent.type},
          {"version", agent.version},
          {"config", agent.config},
          {"status", agent.status},
          {"capabilities", string_array(agent.capabilities)},
          {"created_by", optional_string(agent.created_by)},
          {"created_at", core::format_timestamp(agent.created_at)},
          {"updated_at", core::format_timestamp(agent.updated_at)},
          {"stats",
           {{"tasks_completed", agent.stats.tasks_completed},
            {"tasks_failed", agent.stats.tasks_failed},
            {"avg_latency_ms", agent.stats.avg_latency_ms},
            {"queue_depth", agent.stats.queue_depth}}}};
}

std::vector<std::string> default_capabilities(std::string_view type) {
  if (type == "product_manager")
    return {"product.analyze_requirements", "product.prioritize", "product.stakeholder_update",
            "product.send_stakeholder_update", "product.publish_requirements"};
  if (type == "sales") return {"sales.score_lead", "sales.train_lead_model", "sales.pipeline_forecast", "sales.sync_crm"};
  if (type == "marketing")
    return {"marketing.generate_content", "marketing.optimize_budget", "marketing.campaign_report"};
  if (type == "echo") return {"echo"};
  if (type == "assistant") return {"assistant.run"};
  return {};
}

namespace {
// As the hub sees it: only idle and busy agents take tasks.
bool takes_tasks(const Agent& agent) { return agent.status == "idle" || agent.status == "busy"; }

TaskWarning stopped_warning(const Agent& agent, std::string_view why) {
  return {"agent_stopped",
          fmt::format("the agent {} {} is {}: start it", agent.name, why, agent.status), agent.id};
}
}  // namespace

std::vector<TaskWarning> type_warnings(std::string_view type, const std::optional<std::string>& pinned_agent,
                                       const std::vector<Agent>& agents) {
  if (pinned_agent) {
    auto pinned = std::find_if(agents.begin(), agents.end(), [&](const Agent& a) { return a.id == *pinned_agent; });
    if (pinned == agents.end() || takes_tasks(*pinned)) return {};
    return {stopped_warning(*pinned, "this task is assigned to")};
  }
  const Agent* stopped = nullptr;
  for (const auto& agent : agents) {
    if (std::find(agent.capabilities.begin(), agent.capabilities.end(), type) == agent.capabilities.end()) continue;
    if (takes_tasks(agent)) return {};
    if (!stopped) stopped = &agent;
  }
  if (stopped) return {stopped_warning(*stopped, fmt::format("that runs {}", type))};
  return {{"no_capable_agent",
           fmt::format("no agent offers {} in its capabilities; the task waits until one does (check the type "
                       "for a typo)",
                       type),
           std::nullopt}};
}

std::vector<TaskWarning> task_warnings(const Task& task, const std::vector<Agent>& agents) {
  if (task.status != "pending" && task.status != "queued") return {};
  return type_warnings(task.type, task.pinned_agent, agents);
}

json::array to_json(const std::vector<TaskWarning>& warnings) {
  json::array out;
  for (const auto& w : warnings) {
    json::object o{{"code", w.code}, {"detail", w.detail}};
    if (w.agent_id) o["agent_id"] = *w.agent_id;
    out.push_back(std::move(o));
  }
  return out;
}

const TaskTypeInfo* task_type_info(std::string_view type) {
  static constexpr TaskTypeInfo known[] = {
      {"echo", "Answers with its input unchanged: any JSON object.", R"({"type":"object"})"},
      {"assistant.run", "Asks an assistant agent: it answers the prompt, using its own tools.",
       R"({"type":"object","properties":{"prompt":{"type":"string","minLength":1,"description":"what to ask"}},"required":["prompt"]})"},
      {"sales.sync_crm",
       "Syncs a CRM (HubSpot or Salesforce) both ways: pulls its changed records into leads and deals, pushes ours, "
       "records conflicts; answers the finished run (docs/integrations.md, \"CRM sync\").",
       R"({"type":"object","properties":{"integration":{"type":"string","description":"the CRM integration's id or name"}},"required":["integration"],"additionalProperties":false})"},
      {"product.send_stakeholder_update",
       "Sends a stakeholder update draft by the stakeholder's channel (email or Slack) through the integration named, or the "
       "only active one of that type (docs/product.md, \"Sending\").",
       R"({"type":"object","properties":{"update_id":{"type":"string","description":"the draft's id"},"integration":{"type":"string","description":"an integration's id or name; default: the only active one of the channel's type"}},"required":["update_id"],"additionalProperties":false})"},
      {"product.publish_requirements",
       "Publishes a saved requirement analysis: a Jira issue per requirement and a Confluence page listing them "
       "(docs/product.md, \"Publishing\").",
       R"({"type":"object","properties":{"analysis_id":{"type":"string","description":"a saved analysis's id"},"version":{"type":"integer","minimum":1},"jira":{"type":"string","description":"a Jira integration's id or name"},"project_key":{"type":"string"},"confluence":{"type":"string","description":"a Confluence integration's id or name"},"space_id":{"type":"string"},"parent_id":{"type":"string"}},"required":["analysis_id"],"additionalProperties":false})"},
      {"marketing.generate_content",
       "Writes marketing content (email, social_post, ad_copy, blog_outline, landing_page) from a brief, checks it and keeps it: "
       "the same as POST /api/v1/content (docs/marketing.md).",
       R"({"type":"object","properties":{"kind":{"enum":["email","social_post","ad_copy","blog_outline","landing_page"]},"network":{"enum":["x","linkedin","instagram"],"description":"social posts only"},"brief":{"type":"object","properties":{"product":{"type":"string","minLength":1},"audience":{"type":"string","minLength":1},"goal":{"type":"string","minLength":1,"description":"what the reader gets done, a verb phrase"},"call_to_action":{"type":"string","minLength":1},"facts":{"type":"array","items":{"type":"string"}}},"required":["product","audience","goal","call_to_action"]},"lead_id":{"type":"string"},"deal_id":{"type":"string"},"variants":{"type":"integer","minimum":1,"maximum":5},"seed":{"type":"integer","minimum":0}},"required":["kind","brief"]})"},
  };
  for (const auto& info : known)
    if (info.type == type) return &info;
  return nullptr;
}

int priority_rank(std::string_view priority) {
  if (priority == "critical") return 3;
  if (priority == "high") return 2;
  if (priority == "low") return 0;
  return 1;
}

bool is_terminal_task_status(std::string_view status) {
  return status == "completed" || status == "failed" || status == "cancelled";
}

json::object to_json(const Task& task) {
  return {{"id", task.id},
          {"title", task.title},
          {"description", task.description},
          {"type", task.type},
          {"status", task.status},
          {"priority", task.priority},
          {"assigned_agent", optional_string(task.assigned_agent)},
          {"pinned_agent", optional_string(task.pinned_agent)},
          {"workflow_execution_id", optional_string(task.workflow_execution_id)},
          {"created_by", optional_string(task.created_by)},
          {"input_data", task.input_data},
          {"output_data", task.output_data ? *task.output_data : json::value(nullptr)},
          {"error", optional_string(task.error)},
          {"attempts", task.attempts},
          {"max_attempts", task.max_attempts},
          {"timeout_ms", task.timeout_ms},
          {"started_at", core::time_or_null(task.started_at)},
          {"completed_at", core::time_or_null(task.completed_at)},
          {"created_at", core::format_timestamp(task.created_at)},
          {"updated_at", core::format_timestamp(task.updated_at)}};
}

std::string to_text(const Task& task) {
  auto time = [](const std::optional<std::int64_t>& t) {
    return t ? std::optional<std::string>(core::format_timestamp(*t)) : std::nullopt;
  };
  static const json::value null;
  core::ObjectText text;
  text.string("id", task.id)
      .string("title", task.title)
      .string("description", task.description)
      .string("type", task.type)
      .string("status", task.status)
      .string("priority", task.priority)
      .string_or_null("assigned_agent", task.assigned_agent)
      .string_or_null("pinned_agent", task.pinned_agent)
      .string_or_null("workflow_execution_id", task.workflow_execution_id)
      .string_or_null("created_by", task.created_by)
      .value("input_data", task.input_data)
      .value("output_data", task.output_data ? *task.output_data : null)
      .string_or_null("error", task.error)
      .integer("attempts", task.attempts)
      .integer("max_attempts", task.max_attempts)
      .integer("timeout_ms", task.timeout_ms)
      .string_or_null("started_at", time(task.started_at))
      .string_or_null("completed_at", time(task.completed_at))
      .string("created_at", core::format_timestamp(task.created_at))
      .string("updated_at", core::format_timestamp(task.updated_at));
  return text.finish();
}

bool valid_task_type(std::string_view type) {
  if (type.empty() || type.size() > 100) return false;
  for (char c : type)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
      return false;
  return true;
}

std::optional<NewTask> read_new_task(const json::value& body, const std::string& field_prefix,
                                     std::vector<core::FieldError>& errors) {
  if (!body.is_object()) {
    errors.push_back({field_prefix.empty() ? "body" : field_prefix, "must be an object"});
    return std::nullopt;
  }
  core::ObjectReader r(body.get_object(), field_prefix);
  NewTask t;
  auto type = r.string("type", true, 100);
  if (type && !valid_task_type(*type))
    r.error("type", "may contain only a-z, 0-9, '_', '.' and '-'");
  else if (type)
    t.type = *type;
  t.title = r.string("title", false, 500).value_or(t.type);
  t.description = r.string("description", false, 20000).value_or("");
  t.priority = r.choice("priority", false, task_priorities).value_or("normal");
  if (const auto* input = r.object("input_data", false)) t.input_data = *input;
  t.assigned_agent = r.string("assigned_agent", false, 36);
  if (t.assigned_agent && !core::is_uuid(*t.assigned_agent)) r.error("assigned_agent", "must be a UUID");
  t.max_attempts = r.integer("max_attempts", false, 1, 10);
  t.timeout_ms = r.integer("timeout_ms", false, 1, 3600000);
  auto found = r.take_errors();
  if (!found.empty()) {
    errors.insert(errors.end(), found.begin(), found.end());
    return std::nullopt;
  }
  if (t.title.empty()) t.title = t.type;
  return t;
}

json::object to_json(const Workflow& w) {
  json::object o{{"id", w.id},
                 {"name", w.name},
                 {"description", w.description},
                 {"definition", w.definition},
                 {"status", w.status},
                 {"created_by", optional_string(w.created_by)},
                 {"created_at", core::format_timestamp(w.created_at)},
                 {"updated_at", core::format_timestamp(w.updated_at)}};
  if (w.webhook_token) o["webhook_url"] = "/api/v1/hooks/" + *w.webhook_token;
  return o;
}

json::object to_json(const StepState& s) {
  return {{"id", s.step_id},
          {"type", s.type},
          {"status", s.status},
          {"attempts", s.attempts},
          {"input", s.input ? *s.input : json::value(nullptr)},
          {"output", s.output ? *s.output : json::value(nullptr)},
          {"error", optional_string(s.error)},
          {"task_id", optional_string(s.task_id)},
          {"wake_at", core::time_or_null(s.wake_at)},
          {"started_at", core::time_or_null(s.started_at)},
          {"completed_at", core::time_or_null(s.completed_at)}};
}

json::object to_json(const Execution& e) {
  json::array steps;
  for (const auto& s : e.steps) steps.push_back(to_json(s));
  return {{"id", e.id},
          {"workflow_id", e.workflow_id},
          {"status", e.status},
          {"trigger", e.trigger_type},
          {"input", e.input},
          {"output", e.output ? *e.output : json::value(nullptr)},
          {"error", optional_string(e.error)},
          {"created_by", optional_string(e.created_by)},
          {"parent_execution_id", optional_string(e.parent_execution_id)},
          {"started_at", core::time_or_null(e.started_at)},
          {"completed_at", core::time_or_null(e.completed_at)},
          {"created_at", core::format_timestamp(e.created_at)},
          {"definition", e.definition},
          {"steps", steps}};
}

json::object to_json(const Message& m) {
  return {{"id", m.id},
          {"from_agent", optional_string(m.from_agent)},
          {"to_agent", m.to_agent},
          {"message_type", m.message_type},
          {"payload", m.payload},
          {"status", m.status},
          {"sent_at", core::format_timestamp(m.sent_at)},
          {"delivered_at", core::time_or_null(m.delivered_at)}};
}

std::string to_wire(const Event& event, std::string_view data_text) {
  auto topic = core::quoted(event.topic);
  auto ts = core::format_timestamp(event.created_at);
  std::string out;
  out.reserve(data_text.size() + topic.size() + ts.size() + 64);
  out.append(R"({"type":"event","id":)").append(std::to_string(event.id));
  out.append(R"(,"topic":)").append(topic);
  out.append(R"(,"data":)").append(data_text);
  out.append(R"(,"ts":")").append(ts).append(R"("})");
  return out;
}

}  // namespace de::model
