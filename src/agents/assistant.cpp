#include "agents/assistant.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include <atomic>
#include <mutex>
#include <unordered_map>

#include "ai/schema.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/json.hpp"
#include "store/ai_repository.hpp"
#include "store/write.hpp"

namespace de::agents {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {
constexpr std::int64_t default_max_steps = 6, most_steps = 20;
constexpr auto tool_timeout = std::chrono::minutes(2);
constexpr auto approval_poll = std::chrono::milliseconds(500);
constexpr std::string_view platform_prefix = "platform.";

// Tool names may hold letters, digits, '_' and '-' (OpenAI's rule): a dot becomes "__".
std::string tool_name(std::string_view type) {
  std::string out;
  for (char c : type) c == '.' ? out.append("__") : out.append(1, c);
  return out;
}

std::string tool_of(std::string_view name) {
  std::string out;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (name.substr(i, 2) == "__") out += '.', ++i;
    else out += name[i];
  }
  return out;
}

// A tool the agent may use: a task type, or a platform tool ("platform.*").
struct ToolSpec {
  std::string name;
  bool requires_approval = false;
  std::string approver_role = "manager";  // the least role that may decide
};

struct Settings {
  std::string provider, model, system_prompt;
  std::vector<ToolSpec> tools;
  std::int64_t max_steps = default_max_steps;
  ai::Budget budget;
  const ToolSpec* tool(std::string_view name) const {
    for (const auto& t : tools)
      if (t.name == name) return &t;
    return nullptr;
  }
};

// `tools`: names, or {"name","requires_approval","approver_role"}.
std::vector<ToolSpec> read_tools(const json::value* list, std::vector<core::FieldError>& errors) {
  std::vector<ToolSpec> tools;
  if (!list) return tools;
  if (!list->is_array() || list->get_array().size() > 50) {
    errors.push_back({"config.tools", "must be a list of at most 50 tools"});
    return tools;
  }
  static constexpr std::string_view roles[] = {"admin", "manager", "operator"};
  for (std::size_t i = 0; i < list->get_array().size(); ++i) {
    const auto& item = list->get_array()[i];
    auto field = "config.tools[" + std::to_string(i) + "]";
    ToolSpec spec;
    if (item.is_string()) {
      spec.name = item.get_string();
    } else if (item.is_object()) {
      core::ObjectReader r(item.get_object(), field);
      spec.name = r.string("name", true, 200).value_or("");
      spec.requires_approval = r.boolean("requires_approval", false).value_or(false);
      spec.approver_role = r.choice("approver_role", false, roles).value_or(spec.approver_role);
      for (auto& e : r.take_errors()) errors.push_back(std::move(e));
    } else {
      errors.push_back({field, "must be a tool name or {\"name\",\"requires_approval\",\"approver_role\"}"});
    }
    if (item.is_string() && spec.name.empty()) errors.push_back({field, "must not be empty"});
    if (!spec.name.empty()) tools.push_back(std::move(spec));
  }
  return tools;
}

// The agent's config, read when a run starts (so a change applies to the next run).
Settings settings_of(const json::object& config) {
  core::ObjectReader r(config, "config");
  Settings s;
  s.provider = r.string("provider", false, 20).value_or("");
  s.model = r.string("model", false, 200).value_or("");
  s.system_prompt = r.string("system_prompt", false, 100 * 1024).value_or("");
  s.tools = read_tools(r.any("tools", false), r.errors());
  s.max_steps = r.integer("max_steps", false, 1, most_steps).value_or(default_max_steps);
  s.budget = ai::read_budget(r, "budget");
  // Other keys (a description, settings of later features) are left alone: only the known
  // ones are checked, so the reader's unknown-field check (take_errors) is not asked for.
  core::throw_if_errors(std::move(r.errors()));
  return s;
}

// ---- what the model is offered ---------------------------------------------------------------
const PlatformTool* find_platform_tool(const std::vector<PlatformTool>& tools, std::string_view name) {
  for (const auto& t : tools)
    if (t.name == name) return &t;
  return nullptr;
}

// The tool as the model sees it; for a task type, from what the type accepts (model::task_type_info).
std::optional<ai::Tool> offered_tool(const std::string& name, const std::vector<PlatformTool>& platform) {
  if (name.starts_with(platform_prefix)) {
    const auto* tool = find_platform_tool(platform, name);
    if (!tool) return std::nullopt;
    return ai::Tool{tool_name(name), tool->description, tool->parameters};
  }
  std::string description = "Runs a '" + name + "' task on the agent that offers it and returns its output.";
  json::value parameters = json::object{{"type", "object"}};
  if (const auto* info = model::task_type_info(name)) {
    description = std::string(info->description) + " (a '" + name + "' task)";
    parameters = core::parse_stored(info->input_schema);
  }
  return ai::Tool{tool_name(name), description, parameters};
}

// ---- steps -----------------------------------------------------------------------------------
json::object step_json(std::string_view type, json::object fields) {
  fields.emplace("type", type);
  fields.emplace("at", core::format_timestamp(core::now_ms()));
  return fields;
}

json::array calls_json(const std::vector<ai::ToolCall>& calls) {
  json::array out;
  for (const auto& c : calls) out.push_back({{"id", c.id}, {"tool", tool_of(c.name)}, {"arguments", c.arguments}});
  return out;
}

// (The JSON is made outside the coroutines: GCC 12 miscompiles braced lists of string
// literals inside them.)
json::object model_step(const ai::ChatResponse& reply) {
  return step_json("model", {{"provider", reply.provider},
                             {"model", reply.model},
                             {"content", reply.content},
                             {"tool_calls", calls_json(reply.tool_calls)},
                             {"input_tokens", reply.usage.input_tokens},
                             {"output_tokens", reply.usage.output_tokens},
                             {"cost_usd", reply.cost_usd},
                             {"latency_ms", reply.latency_ms}});
}

json::object tool_step(const std::string& call_id, const std::string& tool, const json::value& arguments,
                       const json::object& result) {
  return step_json("tool", {{"call_id", call_id}, {"tool", tool}, {"arguments", arguments}, {"result", result}});
}

json::object approval_step(const store::tool_approvals::Approval& a) {
  return step_json("approval", {{"call_id", a.call_id}, {"tool", a.tool}, {"approval_id", a.id}, {"role", a.role}});
}

json::object failed_tool(std::string_view status, std::string error) { return {{"status", status}, {"error", std::move(error)}}; }

hub::Outcome finished_run(const std::string& answer, json::array steps, std::int64_t max_steps, bool answered) {
  json::object output{{"answer", answer}, {"steps", std::move(steps)}, {"stopped", answered ? "answered" : "max_steps"}};
  if (!answered) output["reason"] = "reached max_steps (" + std::to_string(max_steps) + ") before a final answer";
  return hub::Outcome::success(std::move(output));
}

json::object budget_event(const std::string& agent_id, const std::string& task_id, const ai::BudgetReached& reached) {
  auto event = reached.to_json();
  event["agent_id"] = agent_id;
  event["task_id"] = task_id;
  return event;
}

json::object steps_event(const std::string& agent_id, const std::string& task_id, std::size_t index, const json::object& step) {
  return {{"agent_id", agent_id}, {"task_id", task_id}, {"index", index}, {"step", step}};
}

// A tool task's final state, as the assistant's model reads it.
json::object tool_result(const std::string& task_id, const std::optional<json::value>& finished) {
  if (!finished) return {{"task_id", task_id}, {"status", "timed_out"}, {"error", "no result within 2 minutes"}};
  const auto& done = finished->as_object();
  json::object result{{"task_id", task_id}, {"status", done.at("status")}};
  if (auto* output = done.if_contains("output_data"); output && !output->is_null()) result["output"] = *output;
  if (auto* error = done.if_contains("error"); error && !error->is_null()) result["error"] = *error;
  return result;
}

json::object rejected_tool(const store::tool_approvals::Approval& a) {
  json::object result = failed_tool("rejected", "a person rejected this tool call" +
                                                    (a.comment && !a.comment->empty() ? ": " + *a.comment : std::string()));
  result["by"] = a.decided_by ? json::value(*a.decided_by) : json::value(nullptr);
  return result;
}

json::object approval_of(const store::tool_approvals::Approval& a) {
  return {{"approval_id", a.id},
          {"status", a.status},
          {"by", a.decided_by ? json::value(*a.decided_by) : json::value(nullptr)},
          {"comment", a.comment ? json::value(*a.comment) : json::value(nullptr)}};
}

// ---- the conversation, rebuilt from the steps (so that a resumed run goes on where it was) -----
std::vector<ai::ToolCall> calls_of(const json::object& model) {
  std::vector<ai::ToolCall> calls;
  for (const auto& c : model.at("tool_calls").as_array()) {
    const auto& call = c.as_object();
    calls.push_back({std::string(call.at("id").as_string()), tool_name(call.at("tool").as_string()), call.at("arguments")});
  }
  return calls;
}

ai::ChatRequest conversation(const Settings& settings, const std::vector<PlatformTool>& platform, std::string prompt,
                             const json::array& steps) {
  ai::ChatRequest request;
  if (!settings.system_prompt.empty()) request.messages.push_back({ai::Role::system, settings.system_prompt, {}, {}, {}});
  request.messages.push_back({ai::Role::user, std::move(prompt), {}, {}, {}});
  for (const auto& spec : settings.tools)
    if (auto tool = offered_tool(spec.name, platform)) request.tools.push_back(std::move(*tool));
  for (const auto& s : steps) {
    const auto& step = s.as_object();
    auto type = step.at("type").as_string();
    if (type == "model")
      request.messages.push_back({ai::Role::assistant, std::string(step.at("content").as_string()), calls_of(step), {}, {}});
    else if (type == "tool")
      request.messages.push_back({ai::Role::tool, core::to_text(step.at("result")), {}, std::string(step.at("call_id").as_string()),
                                  tool_name(step.at("tool").as_string())});
  }
  return request;
}

const json::object* last_model_step(const json::array& steps) {
  for (auto it = steps.rbegin(); it != steps.rend(); ++it)
    if (it->as_object().at("type") == "model") return &it->as_object();
  return nullptr;
}

std::int64_t model_calls(const json::array& steps) {
  return std::count_if(steps.begin(), steps.end(), [](const json::value& s) { return s.as_object().at("type") == "model"; });
}

// The last model step's tool calls that have no tool step yet.
std::vector<ai::ToolCall> unanswered_calls(const json::array& steps) {
  const auto* model = last_model_step(steps);
  if (!model) return {};
  std::vector<ai::ToolCall> pending;
  for (auto& call : calls_of(*model)) {
    bool answered = std::any_of(steps.begin(), steps.end(), [&](const json::value& s) {
      const auto& step = s.as_object();
      return step.at("type") == "tool" && step.at("call_id").as_string() == call.id;
    });
    if (!answered) pending.push_back(std::move(call));
  }
  return pending;
}

ai::CallOptions call_options(const Settings& settings, const std::string& agent_id) {
  ai::CallOptions options;
  options.provider = settings.provider;
  options.model = settings.model;
  options.labels.agent_id = agent_id;
  return options;
}

// The run's state as kept in the store: its steps, and the tool tasks it started by call id.
struct RunState {
  json::array steps;
  json::object tool_tasks;
  json::object to_json() const { return {{"steps", steps}, {"tool_tasks", tool_tasks}}; }
  static RunState from(const std::optional<json::object>& stored) {
    RunState state;
    if (!stored) return state;
    if (auto* steps = stored->if_contains("steps"); steps && steps->is_array()) state.steps = steps->get_array();
    if (auto* tasks = stored->if_contains("tool_tasks"); tasks && tasks->is_object()) state.tool_tasks = tasks->get_object();
    return state;
  }
};

json::object with_tool_tasks(const RunState& state, const json::object& tool_tasks) {
  return {{"steps", state.steps}, {"tool_tasks", tool_tasks}};
}

void add_assistant_turn(ai::ChatRequest& request, const ai::ChatResponse& reply) {
  request.messages.push_back({ai::Role::assistant, reply.content, reply.tool_calls, {}, {}});
}

void add_tool_result(ai::ChatRequest& request, const ai::ToolCall& call, const json::object& result) {
  request.messages.push_back({ai::Role::tool, core::to_text(result), {}, call.id, call.name});
}

// What the hub calls when a tool task ends: the waiting run resumes on its own executor.
std::function<void(const json::value&)> wake_on_end(asio::any_io_executor executor, std::shared_ptr<asio::steady_timer> timer,
                                                     std::shared_ptr<std::optional<json::value>> finished) {
  return [executor, timer, finished](const json::value& data) {
    asio::post(executor, [timer, finished, data] {
      *finished = data;
      timer->cancel();
    });
  };
}

model::Task tool_task(const model::Task& parent, const std::string& type, const json::value& arguments) {
  model::Task t;
  t.id = core::new_id();
  t.type = type;
  t.title = type + " (tool call of assistant task " + parent.id.substr(0, 8) + ")";
  t.input_data = arguments.is_object() ? arguments.get_object() : json::object();
  t.created_by = parent.created_by;
  t.max_attempts = 1;
  t.created_at = t.updated_at = core::id_time_ms(t.id);
  return t;
}

store::tool_approvals::Approval new_approval(const model::Task& task, const std::string& agent_id, const ai::ToolCall& call,
                                             const ToolSpec& spec) {
  store::tool_approvals::Approval a;
  a.id = core::new_id();
  a.task_id = task.id;
  a.call_id = call.id;
  a.agent_id = agent_id;
  a.tool = spec.name;
  a.arguments = call.arguments;
  a.role = spec.approver_role;
  a.requested_at = core::now_ms();
  return a;
}

class AssistantExecutor final : public hub::Executor, public std::enable_shared_from_this<AssistantExecutor> {
 public:
  AssistantExecutor(std::string agent_id, AssistantServices services)
      : agent_id_(std::move(agent_id)), services_(services) {}

  void start(const model::Task& task, std::function<void(hub::Outcome)> done) override {
    auto cancelled = std::make_shared<std::atomic<bool>>(false);
    {
      std::lock_guard lock(mutex_);
      cancelled_[task.id] = cancelled;
    }
    asio::co_spawn(services_.io, run(task, cancelled),
                   [self = shared_from_this(), id = task.id, cancelled, done = std::move(done)](std::exception_ptr error,
                                                                                                  hub::Outcome outcome) {
                     {
                       // Another run of the task may have started since (its lease taken over).
                       std::lock_guard lock(self->mutex_);
                       if (auto it = self->cancelled_.find(id); it != self->cancelled_.end() && it->second == cancelled)
                         self->cancelled_.erase(it);
                     }
                     if (!error) {
                       // A run stopped from outside (its lease taken over, its agent stopped, a
                       // timeout) keeps its steps for the next attempt; a task cancelled for good
                       // loses them at the next start (assistant_runs::remove_finished).
                       if (!*cancelled) self->forget_run(id);
                       return done(std::move(outcome));
                     }
                     try {
                       std::rethrow_exception(error);
                     } catch (const core::Error& e) {
                       // A request the model or the settings refuse cannot succeed on a retry.
                       bool permanent = e.kind() == core::ErrorKind::validation || e.kind() == core::ErrorKind::bad_request;
                       if (permanent) self->forget_run(id);
                       done(hub::Outcome::failure(e.what(), !permanent));
                     } catch (const std::exception& e) {
                       // Kept: a retry resumes where this attempt was.
                       done(hub::Outcome::failure(e.what(), true));
                     }
                   });
  }

  void cancel(const std::string& task_id) override {
    std::lock_guard lock(mutex_);
    if (auto it = cancelled_.find(task_id); it != cancelled_.end()) *it->second = true;
  }

 private:
  using Cancelled = std::shared_ptr<std::atomic<bool>>;

  asio::awaitable<hub::Outcome> run(model::Task task, Cancelled cancelled) {
    auto agent = services_.db.read([&](store::Connection& c) { return store::agents::find(c, agent_id_); });
    if (!agent) co_return hub::Outcome::failure("the assistant agent was deleted", false);
    auto settings = settings_of(agent->config);
    auto prompt = task.input_data.if_contains("prompt");
    if (!prompt || !prompt->is_string() || prompt->get_string().empty())
      co_return hub::Outcome::failure("input_data.prompt must be a non-empty string", false);

    // A run tried before (a crash, a retry) goes on from its kept steps.
    auto state = RunState::from(services_.db.read([&](store::Connection& c) { return store::assistant_runs::find(c, task.id); }));
    auto request = conversation(settings, services_.platform_tools, std::string(prompt->get_string()), state.steps);
    auto options = call_options(settings, agent_id_);
    for (;;) {
      auto pending = unanswered_calls(state.steps);  // (named: a temporary in a coroutine's range-for is not safe with GCC 12)
      for (const auto& call : pending) {
        if (*cancelled) co_return cancelled_run();
        auto result = co_await settle_call(task, settings, state, call, cancelled);
        if (!result) co_return cancelled_run();
        add_tool_result(request, call, *result);
      }
      if (const auto* last = last_model_step(state.steps); last && last->at("tool_calls").as_array().empty())
        co_return finished_run(std::string(last->at("content").as_string()), state.steps, settings.max_steps, true);
      if (model_calls(state.steps) >= settings.max_steps) {
        const auto* last = last_model_step(state.steps);
        co_return finished_run(last ? std::string(last->at("content").as_string()) : std::string(), state.steps,
                               settings.max_steps, false);
      }
      if (*cancelled) co_return cancelled_run();
      auto admitted = ai::admit(settings.budget, [this](std::int64_t since) { return spent_since(since); }, services_.ai.gate(), "agent:" + agent_id_);
      if (auto* reached = std::get_if<ai::BudgetReached>(&admitted)) {
        auto event = budget_event(agent_id_, task.id, *reached);
        co_await store::write(services_.db, [&](store::Tx& tx) { tx.emit("agents.budget_exceeded", event); });
        co_return hub::Outcome::failure(reached->message(), false);
      }
      auto reply = co_await ai::ask(services_.ai, request, options);
      auto made = model_step(reply);
      co_await commit_step(task, state, [&made](store::Tx&) { return made; });
      add_assistant_turn(request, reply);
    }
  }

  static hub::Outcome cancelled_run() { return hub::Outcome::failure("cancelled", false); }

  store::ai_calls::Spent spent_since(std::int64_t since) const {
    return services_.db.read(
        [&](store::Connection& c) { return store::ai_calls::spent(c, store::ai_calls::SpentBy::agent, agent_id_, since); });
  }

  // A step is kept with the run's state and published at once, for those watching the run
  // live, in one transaction with what `make_step` does (a platform tool's work).
  template <class MakeStep>
  asio::awaitable<json::object> commit_step(const model::Task& task, RunState& state, MakeStep&& make_step) {
    auto step = co_await store::write(services_.db, [&](store::Tx& tx) {
      auto step = make_step(tx);
      auto saved = state.to_json();
      saved.at("steps").as_array().push_back(step);
      store::assistant_runs::save(tx.connection, task.id, agent_id_, saved, core::now_ms());
      tx.emit("agents.steps", steps_event(agent_id_, task.id, state.steps.size() + 1, step));
      return step;
    });
    state.steps.push_back(step);
    co_return step;
  }

  // Runs one tool call the model asked for (after its approval, when it needs one) and keeps
  // its step; the result goes back to the model. Nothing when the run was cancelled meanwhile.
  asio::awaitable<std::optional<json::object>> settle_call(const model::Task& task, const Settings& settings, RunState& state,
                                                           const ai::ToolCall& call, const Cancelled& cancelled) {
    auto tool = tool_of(call.name);
    const ToolSpec* spec = settings.tool(tool);
    const PlatformTool* platform = find_platform_tool(services_.platform_tools, tool);
    std::optional<json::object> result;
    json::object approval;
    if (!spec || (tool.starts_with(platform_prefix) && !platform)) {
      result = failed_tool("refused", "no such tool: " + tool);
    } else if (auto invalid = invalid_arguments(tool, call.arguments)) {
      result = failed_tool("invalid_arguments", *invalid);
    } else if (spec->requires_approval) {
      auto decided = co_await await_approval(task, state, call, *spec, cancelled);
      if (!decided) co_return std::nullopt;
      approval = approval_of(*decided);
      if (decided->status != "approved") result = rejected_tool(*decided);
    }
    if (!result && platform) co_return co_await run_platform_tool(task, state, call, *platform, approval);
    if (!result) result = co_await run_task_tool(task, state, call, tool);
    auto step = tool_step(call.id, tool, call.arguments, *result);
    if (!approval.empty()) step["approval"] = approval;
    co_await commit_step(task, state, [&step](store::Tx&) { return step; });
    co_return result;
  }

  // What is wrong with the arguments for the tool's schema; nothing when they fit.
  std::optional<std::string> invalid_arguments(const std::string& tool, const json::value& arguments) const {
    auto offered = offered_tool(tool, services_.platform_tools);
    if (!offered) return std::nullopt;
    auto errors = ai::validate(arguments, offered->parameters);
    if (errors.empty()) return std::nullopt;
    return "the arguments do not fit the tool's schema: " + ai::describe(errors);
  }

  // The platform tool runs in the transaction that keeps its step: it is never run twice.
  asio::awaitable<json::object> run_platform_tool(const model::Task& task, RunState& state, const ai::ToolCall& call,
                                                  const PlatformTool& tool, const json::object& approval) {
    const auto& arguments = call.arguments.as_object();
    auto step_with = [&](json::object result) {
      auto step = tool_step(call.id, tool.name, call.arguments, result);
      if (!approval.empty()) step["approval"] = approval;
      return step;
    };
    std::string error;
    try {
      auto step = co_await commit_step(task, state, [&](store::Tx& tx) { return step_with(tool.run(tx, arguments, task)); });
      co_return step.at("result").as_object();
    } catch (const core::Error& e) {
      error = e.what();
    }
    // Its writes were undone with the transaction; the model is told why.
    auto step = co_await commit_step(task, state, [&](store::Tx&) { return step_with(failed_tool("failed", error)); });
    co_return step.at("result").as_object();
  }

  // The tool as a task of its own, run by whichever agent offers the type: its final state.
  // The task's id is kept with the run before it can start, so a resumed run waits for the
  // same task instead of starting another.
  asio::awaitable<json::object> run_task_tool(const model::Task& parent, RunState& state, const ai::ToolCall& call,
                                              const std::string& type) {
    auto executor = co_await asio::this_coro::executor;
    auto timer = std::make_shared<asio::steady_timer>(executor, tool_timeout);
    auto finished = std::make_shared<std::optional<json::value>>();
    auto on_end = wake_on_end(executor, timer, finished);
    ToolTask started;
    auto* known = state.tool_tasks.if_contains(call.id);
    if (known && known->is_string()) started = wait_again(std::string(known->get_string()), on_end, *finished);
    else started = co_await submit_tool_task(parent, state, call, type, on_end);
    if (!*finished) co_await timer->async_wait(asio::as_tuple(asio::use_awaitable));
    services_.hub.forget(started.waiter);
    co_return tool_result(started.id, *finished);
  }

  struct ToolTask {
    std::string id;
    std::uint64_t waiter = 0;
  };

  // A tool task started before this run was resumed: waited for again; `finished` is set when
  // it has ended already.
  ToolTask wait_again(std::string task_id, const std::function<void(const json::value&)>& on_end,
                      std::optional<json::value>& finished) {
    auto waiter = services_.hub.wait_for(task_id, on_end);
    auto stored = services_.db.read([&](store::Connection& c) { return store::tasks::find(c, task_id); });
    if (!stored) finished = json::value(failed_tool("lost", "the tool's task no longer exists"));
    else if (model::is_terminal_task_status(stored->status)) finished = json::value(model::to_json(*stored));
    return {std::move(task_id), waiter};
  }

  asio::awaitable<ToolTask> submit_tool_task(const model::Task& parent, RunState& state, const ai::ToolCall& call,
                                             const std::string& type, const std::function<void(const json::value&)>& on_end) {
    auto t = tool_task(parent, type, call.arguments);
    auto tasks = state.tool_tasks;
    tasks[call.id] = t.id;
    auto saved = with_tool_tasks(state, tasks);
    auto waiter = co_await store::write(services_.db, [&](store::Tx& tx) {
      services_.hub.submit(tx, t);
      store::assistant_runs::save(tx.connection, parent.id, agent_id_, saved, core::now_ms());
      return services_.hub.wait_for(t.id, on_end);
    });
    state.tool_tasks = std::move(tasks);
    co_return ToolTask{t.id, waiter};
  }

  // The call's approval, asked for once (a resumed run finds it), once a person has decided;
  // nothing when the run is cancelled while it waits.
  asio::awaitable<std::optional<store::tool_approvals::Approval>> await_approval(const model::Task& task, RunState& state,
                                                                                 const ai::ToolCall& call, const ToolSpec& spec,
                                                                                 const Cancelled& cancelled) {
    auto find = [&](auto&& lookup) { return services_.db.read(lookup); };
    auto approval = find([&](store::Connection& c) { return store::tool_approvals::find_for_call(c, task.id, call.id); });
    if (!approval) {
      auto asked = new_approval(task, agent_id_, call, spec);
      co_await commit_step(task, state, [&asked](store::Tx& tx) {
        store::tool_approvals::insert(tx.connection, asked);
        tx.emit("agents.tool_approval_requested", store::tool_approvals::to_json(asked));
        return approval_step(asked);
      });
      approval = std::move(asked);
    }
    auto executor = co_await asio::this_coro::executor;
    asio::steady_timer timer(executor);
    while (approval && approval->status == "waiting") {
      if (*cancelled) co_return std::nullopt;
      timer.expires_after(approval_poll);
      co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
      auto id = approval->id;
      approval = find([&](store::Connection& c) { return store::tool_approvals::find(c, id); });
    }
    co_return approval;
  }

  // A run that ended (or cannot be tried again) no longer needs its kept state.
  void forget_run(const std::string& task_id) {
    services_.db.write([task_id](store::Tx& tx) { store::assistant_runs::remove(tx.connection, task_id); }, nullptr);
  }

  std::string agent_id_;
  AssistantServices services_;
  std::mutex mutex_;
  std::unordered_map<std::string, Cancelled> cancelled_;
};
}  // namespace

std::shared_ptr<hub::Executor> make_assistant(const std::string& agent_id, AssistantServices services) {
  return std::make_shared<AssistantExecutor>(agent_id, services);
}

}  // namespace de::agents
