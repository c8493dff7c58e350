#include "agents/assistant.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include <atomic>
#include <mutex>
#include <unordered_map>

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

// Tool names may hold letters, digits, '_' and '-' (OpenAI's rule): a task type's dots become "__".
std::string tool_name(std::string_view type) {
  std::string out;
  for (char c : type) c == '.' ? out.append("__") : out.append(1, c);
  return out;
}

std::string task_type_of(std::string_view name) {
  std::string out;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (name.substr(i, 2) == "__") out += '.', ++i;
    else out += name[i];
  }
  return out;
}

// Limits on what an agent's model calls use; a call that would go over one is not made.
struct Budget {
  std::optional<std::int64_t> tokens_per_day, requests_per_minute;
  std::optional<double> usd_per_day;
};

struct Settings {
  std::string provider, model, system_prompt;
  std::vector<std::string> tools;  // task types
  std::int64_t max_steps = default_max_steps;
  Budget budget;
};

// The agent's config, read when a run starts (so a change applies to the next run).
Settings settings_of(const json::object& config) {
  core::ObjectReader r(config, "config");
  Settings s;
  s.provider = r.string("provider", false, 20).value_or("");
  s.model = r.string("model", false, 200).value_or("");
  s.system_prompt = r.string("system_prompt", false, 100 * 1024).value_or("");
  s.tools = r.strings("tools", false, 50).value_or(std::vector<std::string>{});
  s.max_steps = r.integer("max_steps", false, 1, most_steps).value_or(default_max_steps);
  if (const auto* budget = r.object("budget", false)) {
    core::ObjectReader b(*budget, "config.budget");
    s.budget.tokens_per_day = b.integer("tokens_per_day", false, 1, std::int64_t(1) << 50);
    s.budget.requests_per_minute = b.integer("requests_per_minute", false, 1, 1000000);
    s.budget.usd_per_day = b.number("usd_per_day", false);
    for (auto& e : b.take_errors()) r.errors().push_back(std::move(e));
  }
  // Other keys (a description, settings of later features) are left alone: only the known
  // ones are checked, so the reader's unknown-field check (take_errors) is not asked for.
  core::throw_if_errors(std::move(r.errors()));
  return s;
}

json::object step_json(std::string_view type, json::object fields) {
  fields.emplace("type", type);
  fields.emplace("at", core::format_timestamp(core::now_ms()));
  return fields;
}

json::array calls_json(const std::vector<ai::ToolCall>& calls) {
  json::array out;
  for (const auto& c : calls) out.push_back({{"id", c.id}, {"tool", task_type_of(c.name)}, {"arguments", c.arguments}});
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

json::object tool_step(const std::string& type, const json::value& arguments, const json::object& result) {
  return step_json("tool", {{"tool", type}, {"arguments", arguments}, {"result", result}});
}

json::object refused_tool(const std::string& type) { return {{"status", "refused"}, {"error", "no such tool: " + type}}; }

hub::Outcome finished_run(const std::string& answer, json::array steps, std::int64_t max_steps, bool answered) {
  json::object output{{"answer", answer}, {"steps", std::move(steps)}, {"stopped", answered ? "answered" : "max_steps"}};
  if (!answered) output["reason"] = "reached max_steps (" + std::to_string(max_steps) + ") before a final answer";
  return hub::Outcome::success(std::move(output));
}

json::object budget_event(const std::string& agent_id, const std::string& task_id, json::object reached) {
  reached["agent_id"] = agent_id;
  reached["task_id"] = task_id;
  return reached;
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

ai::Tool task_tool(const std::string& type) {
  return {tool_name(type),
          "Runs a '" + type + "' task on the agent that offers it and returns its output. The arguments are the task's input.",
          json::object{{"type", "object"}}};
}

// The conversation's start: the system prompt, the task's prompt, the tools offered.
ai::ChatRequest first_request(const Settings& settings, std::string prompt) {
  ai::ChatRequest request;
  if (!settings.system_prompt.empty()) request.messages.push_back({ai::Role::system, settings.system_prompt, {}, {}, {}});
  request.messages.push_back({ai::Role::user, std::move(prompt), {}, {}, {}});
  for (const auto& type : settings.tools) request.tools.push_back(task_tool(type));
  return request;
}

// The first budget the agent's recorded calls have reached (tokens and cost since midnight
// UTC, requests in the last minute), as {"budget","limit","used"}; nothing when none is.
std::optional<json::object> budget_reached(store::Database& db, const std::string& agent_id, const Budget& budget) {
  if (!budget.tokens_per_day && !budget.usd_per_day && !budget.requests_per_minute) return std::nullopt;
  auto now = core::now_ms();
  auto today = db.read([&](store::Connection& c) { return store::ai_calls::spent_by_agent(c, agent_id, now - now % 86400000); });
  if (budget.tokens_per_day && today.tokens >= *budget.tokens_per_day)
    return json::object{{"budget", "tokens_per_day"}, {"limit", *budget.tokens_per_day}, {"used", today.tokens}};
  if (budget.usd_per_day && today.cost_usd >= *budget.usd_per_day)
    return json::object{{"budget", "usd_per_day"}, {"limit", *budget.usd_per_day}, {"used", today.cost_usd}};
  if (budget.requests_per_minute) {
    auto minute = db.read([&](store::Connection& c) { return store::ai_calls::spent_by_agent(c, agent_id, now - 60000); });
    if (minute.requests >= *budget.requests_per_minute)
      return json::object{{"budget", "requests_per_minute"}, {"limit", *budget.requests_per_minute}, {"used", minute.requests}};
  }
  return std::nullopt;
}

std::string budget_error(const json::object& reached) {
  return "budget exceeded: " + std::string(reached.at("budget").as_string()) + " is " + core::to_text(reached.at("limit")) +
         ", used " + core::to_text(reached.at("used")) + "; the model was not called";
}

ai::CallOptions call_options(const Settings& settings, const std::string& agent_id) {
  ai::CallOptions options;
  options.provider = settings.provider;
  options.model = settings.model;
  options.labels.agent_id = agent_id;
  return options;
}

void add_assistant_turn(ai::ChatRequest& request, const ai::ChatResponse& reply) {
  request.messages.push_back({ai::Role::assistant, reply.content, reply.tool_calls, {}, {}});
}

void add_tool_result(ai::ChatRequest& request, const ai::ToolCall& call, const json::object& result) {
  request.messages.push_back({ai::Role::tool, core::to_text(result), {}, call.id, call.name});
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
                   [self = shared_from_this(), id = task.id, done = std::move(done)](std::exception_ptr error, hub::Outcome outcome) {
                     {
                       std::lock_guard lock(self->mutex_);
                       self->cancelled_.erase(id);
                     }
                     if (!error) return done(std::move(outcome));
                     try {
                       std::rethrow_exception(error);
                     } catch (const core::Error& e) {
                       // A request the model or the settings refuse cannot succeed on a retry.
                       bool permanent = e.kind() == core::ErrorKind::validation || e.kind() == core::ErrorKind::bad_request;
                       done(hub::Outcome::failure(e.what(), !permanent));
                     } catch (const std::exception& e) {
                       done(hub::Outcome::failure(e.what(), true));
                     }
                   });
  }

  void cancel(const std::string& task_id) override {
    std::lock_guard lock(mutex_);
    if (auto it = cancelled_.find(task_id); it != cancelled_.end()) *it->second = true;
  }

 private:
  asio::awaitable<hub::Outcome> run(model::Task task, std::shared_ptr<std::atomic<bool>> cancelled) {
    auto agent = services_.db.read([&](store::Connection& c) { return store::agents::find(c, agent_id_); });
    if (!agent) co_return hub::Outcome::failure("the assistant agent was deleted", false);
    auto settings = settings_of(agent->config);
    auto prompt = task.input_data.if_contains("prompt");
    if (!prompt || !prompt->is_string() || prompt->get_string().empty())
      co_return hub::Outcome::failure("input_data.prompt must be a non-empty string", false);

    auto request = first_request(settings, std::string(prompt->get_string()));
    auto options = call_options(settings, agent_id_);

    json::array steps;
    std::string answer;
    for (std::int64_t step = 1; step <= settings.max_steps; ++step) {
      if (*cancelled) co_return hub::Outcome::failure("cancelled", false);
      if (auto reached = budget_reached(services_.db, agent_id_, settings.budget)) {
        auto event = budget_event(agent_id_, task.id, *reached);
        co_await store::write(services_.db, [&](store::Tx& tx) { tx.emit("agents.budget_exceeded", event); });
        co_return hub::Outcome::failure(budget_error(*reached), false);
      }
      auto reply = co_await services_.ai.chat(request, options);
      answer = reply.content;
      co_await record(task, steps, model_step(reply));
      if (reply.tool_calls.empty()) co_return finished_run(answer, std::move(steps), settings.max_steps, true);
      add_assistant_turn(request, reply);
      for (const auto& call : reply.tool_calls) {
        auto type = task_type_of(call.name);
        bool offered = std::find(settings.tools.begin(), settings.tools.end(), type) != settings.tools.end();
        json::object result = refused_tool(type);
        if (offered) result = co_await run_tool(task, type, call.arguments);
        co_await record(task, steps, tool_step(type, call.arguments, result));
        add_tool_result(request, call, result);
      }
    }
    co_return finished_run(answer, std::move(steps), settings.max_steps, false);
  }

  // A step is kept in the output and published at once, for those watching the run live.
  asio::awaitable<void> record(const model::Task& task, json::array& steps, json::object step) {
    steps.push_back(step);
    auto event = steps_event(agent_id_, task.id, steps.size(), step);
    co_await store::write(services_.db, [&](store::Tx& tx) { tx.emit("agents.steps", event); });
  }

  // The tool as a task of its own, run by whichever agent offers the type: its final state.
  asio::awaitable<json::object> run_tool(const model::Task& parent, const std::string& type, const json::value& arguments) {
    model::Task t;
    t.id = core::new_id();
    t.type = type;
    t.title = type + " (tool call of assistant task " + parent.id.substr(0, 8) + ")";
    t.input_data = arguments.is_object() ? arguments.get_object() : json::object();
    t.created_by = parent.created_by;
    t.max_attempts = 1;
    t.created_at = t.updated_at = core::now_ms();
    auto executor = co_await asio::this_coro::executor;
    auto timer = std::make_shared<asio::steady_timer>(executor, tool_timeout);
    auto finished = std::make_shared<std::optional<json::value>>();
    auto waiter = co_await store::write(services_.db, [&](store::Tx& tx) {
      services_.hub.submit(tx, t);
      return services_.hub.wait_for(t.id, [timer, finished, executor](const json::value& data) {
        asio::post(executor, [timer, finished, data] {
          *finished = data;
          timer->cancel();
        });
      });
    });
    if (!*finished) co_await timer->async_wait(asio::as_tuple(asio::use_awaitable));
    services_.hub.forget(waiter);
    co_return tool_result(t.id, *finished);
  }

  std::string agent_id_;
  AssistantServices services_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<std::atomic<bool>>> cancelled_;
};
}  // namespace

std::shared_ptr<hub::Executor> make_assistant(const std::string& agent_id, AssistantServices services) {
  return std::make_shared<AssistantExecutor>(agent_id, services);
}

}  // namespace de::agents
