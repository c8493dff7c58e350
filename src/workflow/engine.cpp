#include "workflow/engine.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <atomic>
#include <limits>
#include <thread>

#include <boost/asio/thread_pool.hpp>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/ids.hpp"
#include "core/json.hpp"
#include "ai/prompt.hpp"
#include "integrations/connectors.hpp"
#include "store/ai_repository.hpp"
#include "store/workflow_repository.hpp"
#include "workflow/http_call.hpp"

namespace de::workflow {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {
bool terminal_step(std::string_view s) { return s == "completed" || s == "failed" || s == "skipped" || s == "cancelled"; }
bool terminal_execution(std::string_view s) { return s == "completed" || s == "failed" || s == "cancelled"; }

json::object step_event(const model::Execution& e, const model::StepState& s) {
  json::object o{{"execution_id", e.id}, {"workflow_id", e.workflow_id}, {"step_id", s.step_id},
                 {"type", s.type},       {"status", s.status},         {"attempts", s.attempts}};
  if (s.output) o["output"] = *s.output;
  if (s.error) o["error"] = *s.error;
  if (s.wake_at) o["wake_at"] = *s.wake_at;
  return o;
}
}  // namespace

struct WorkflowEngine::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::io_context& io, store::Database& db, bus::MessageRouter& bus, hub::OrchestrationHub& hub, ai::AiService* ai)
      : io(io), strand(asio::make_strand(io)), db(db), bus(bus), hub(hub), ai(ai) {}

  asio::io_context& io;
  asio::strand<asio::io_context::executor_type> strand;
  store::Database& db;
  bus::MessageRouter& bus;
  hub::OrchestrationHub& hub;
  ai::AiService* ai;
  integrations::Connectors* connectors = nullptr;  // integration steps' vendor clients
  std::string master_key;                          // unseals their integrations' credentials
  std::uint64_t subscription = 0;
  std::atomic<bool> stopped{false};
  std::unordered_map<std::string, std::unique_ptr<asio::steady_timer>> timers;  // strand only
  std::mutex waiters_mutex;
  std::unordered_multimap<std::string, std::pair<std::uint64_t, std::function<void(const json::value&)>>> waiters;
  std::uint64_t next_waiter = 1;
  struct Trigger {
    std::string workflow_id;
    std::optional<Expression> filter;
    std::string topic;
  };
  std::vector<Trigger> event_triggers;  // strand only
  asio::thread_pool http_pool{2};  // outbound calls of http steps
  std::atomic<bool> has_event_triggers{false};  // lets the hot path skip the strand

  // ---- the state machine (writer thread only) ------------------------------------------------
  // Definitions parsed, by their text: each transition of an execution needs its definition,
  // and parsing one (checks, expressions, templates) took a fifth of the writer's time under
  // webhook load. Bounded: emptied when full.
  std::unordered_map<std::string, std::shared_ptr<const Definition>> definitions;

  std::shared_ptr<const Definition> definition_of(const json::value& definition) {
    auto text = core::to_text(definition);
    if (auto it = definitions.find(text); it != definitions.end()) return it->second;
    auto parsed = std::make_shared<const Definition>(parse_definition(definition));
    if (definitions.size() >= 256) definitions.clear();
    definitions.emplace(std::move(text), parsed);
    return parsed;
  }

  static model::StepState* state_of(model::Execution& e, std::string_view id) {
    for (auto& s : e.steps)
      if (s.step_id == id) return &s;
    return nullptr;
  }

  json::value context(const model::Execution& e) {
    json::object steps;
    for (const auto& s : e.steps)
      steps[s.step_id] = json::object{{"status", s.status}, {"output", s.output ? *s.output : json::value(nullptr)}};
    return json::object{{"input", e.input}, {"steps", steps}, {"execution", {{"id", e.id}, {"workflow_id", e.workflow_id}}}};
  }

  void save_step(store::Tx& tx, const model::Execution& e, const model::StepState& s) {
    store::executions::update_step(tx.connection, e.id, s);
    tx.emit("workflows.step_" + s.status, step_event(e, s));
  }

  // An http, integration or llm step starts: this node makes its call once the transition
  // commits. With several nodes it holds the step's lease while it lives; when the lease runs
  // out another node makes the call again (at least once, as after a restart).
  std::optional<std::string> node;  // several nodes (PostgreSQL): this node's lease holder id
  static constexpr std::int64_t call_lease_ms = 15'000;
  void start_call(store::Tx& tx, const model::Execution& e, model::StepState& s) {
    s.status = "running";
    s.attempts = 0;
    save_step(tx, e, s);
    if (node) store::executions::lease_call(tx.connection, e.id, s.step_id, *node, core::now_ms() + call_lease_ms);
  }

  // Does `parent`'s outcome let `step` run?
  static bool activates(const Definition& d, const model::StepState& parent, const Step& step) {
    const Step* p = d.find(parent.step_id);
    if (parent.status == "failed") return p->on_failure == "continue";
    if (parent.status != "completed") return false;
    auto in = [&](const std::vector<std::string>& list) { return std::find(list.begin(), list.end(), step.id) != list.end(); };
    if (p->type == "condition" && (in(p->then_steps) || in(p->else_steps))) {
      bool result = parent.output && parent.output->is_object() && truthy(parent.output->at("result"));
      return result ? in(p->then_steps) : in(p->else_steps);
    }
    return true;
  }

  void fail_step(store::Tx& tx, model::Execution& e, const Definition& d, model::StepState& s, std::string error) {
    s.status = "failed";
    s.error = std::move(error);
    s.completed_at = core::now_ms();
    save_step(tx, e, s);
    const Step* step = d.find(s.step_id);
    if (step->on_failure == "fail") finish(tx, e, d, "failed", "step " + s.step_id + " failed: " + *s.error);
  }

  void complete_step(store::Tx& tx, model::Execution& e, model::StepState& s, json::value output) {
    s.status = "completed";
    s.output = std::move(output);
    s.error.reset();
    s.completed_at = core::now_ms();
    save_step(tx, e, s);
  }

  void run_step(store::Tx& tx, model::Execution& e, const Definition& d, const Step& step, model::StepState& s) {
    auto now = core::now_ms();
    s.started_at = now;
    s.attempts += 1;
    try {
      auto ctx = context(e);
      if (step.type == "task") {
        auto input = render(step.input, ctx);
        if (!input.is_object()) throw core::Error(core::ErrorKind::validation, "the task input must render to an object");
        model::Task t;
        t.id = core::new_id();
        t.type = step.task_type;
        t.title = step.task_type + " (workflow step " + step.id + ")";
        t.input_data = input.get_object();
        t.pinned_agent = t.assigned_agent = step.agent;
        t.created_by = e.created_by;
        t.workflow_execution_id = e.id;
        t.max_attempts = step.max_attempts;
        if (step.timeout_ms) t.timeout_ms = step.timeout_ms;
        t.created_at = t.updated_at = core::id_time_ms(t.id);
        if (t.pinned_agent && !store::agents::find(tx.connection, *t.pinned_agent))
          throw core::Error(core::ErrorKind::validation, "no agent has the id " + *t.pinned_agent);
        hub.submit(tx, t);
        s.input = input;
        s.task_id = t.id;
        s.status = "running";
        save_step(tx, e, s);
      } else if (step.type == "condition") {
        bool result = truthy(step.expression->evaluate(ctx));
        complete_step(tx, e, s, json::object{{"result", result}, {"branch", result ? "then" : "else"}});
      } else if (step.type == "parallel") {
        complete_step(tx, e, s, json::object{{"branches", json::value_from(step.branches)}});
      } else if (step.type == "delay") {
        if (step.delay_ms == 0) return complete_step(tx, e, s, json::object{});
        s.status = "waiting";
        s.wake_at = now + step.delay_ms;
        save_step(tx, e, s);
      } else if (step.type == "approval") {
        s.status = "waiting";
        s.input = json::object{{"role", step.role}};
        save_step(tx, e, s);
      } else if (step.type == "notify") {
        auto payload = render(step.input, ctx);
        if (!step.topic.empty()) {
          tx.emit(step.topic, json::object{{"execution_id", e.id}, {"step_id", step.id}, {"payload", payload}});
        } else {
          model::Message m{core::new_id(), std::nullopt, step.to_agent, step.message_type, payload, "sent", now, std::nullopt};
          if (!store::agents::find(tx.connection, m.to_agent))
            throw core::Error(core::ErrorKind::validation, "no agent has the id " + m.to_agent);
          store::messages::insert(tx.connection, m);
          tx.emit("messages.sent", model::to_json(m));
        }
        complete_step(tx, e, s, json::object{{"notified", step.topic.empty() ? step.to_agent : step.topic}});
      } else if (step.type == "http") {
        // The call runs on the engine's HTTP pool once this transition is committed.
        s.input = json::object{{"method", step.method},
                               {"url", render(json::string(step.url), ctx)},
                               {"headers", render(step.headers, ctx)},
                               {"body", step.input.is_null() ? json::value(nullptr) : render(step.input, ctx)},
                               {"timeout_ms", step.timeout_ms},
                               {"max_attempts", step.max_attempts},
                               {"backoff_ms", step.backoff_ms}};
        start_call(tx, e, s);
      } else if (step.type == "integration") {
        // The vendor is called on the I/O threads once this transition is committed.
        s.input = json::object{{"integration", step.integration}, {"action", step.action}, {"input", render(step.input, ctx)}};
        start_call(tx, e, s);
      } else if (step.type == "llm") {
        // The call is made on the I/O threads once this transition is committed.
        s.input = llm_call(tx, e, d, step, render(step.input, ctx));
        start_call(tx, e, s);
      } else if (step.type == "sub_workflow") {
        auto child = store::workflows::find(tx.connection, step.workflow_id);
        if (!child || child->status != "active")
          throw core::Error(core::ErrorKind::validation, "workflow " + step.workflow_id + " does not exist or is not active");
        if (depth(tx, e) >= max_depth)
          throw core::Error(core::ErrorKind::validation, "sub-workflows nest deeper than " + std::to_string(max_depth));
        s.input = render(step.input, ctx);
        s.status = "running";
        save_step(tx, e, s);
        auto started = start_execution(tx, *child, *s.input, "sub_workflow", e.created_by, Parent{e.id, s.step_id});
        if (terminal_execution(started.status)) child_finished(tx, e, s, started.status, started.output, started.error);
      } else {
        throw core::Error(core::ErrorKind::not_implemented, step.type + " steps are not implemented yet");
      }
    } catch (const core::Error& error) {
      fail_step(tx, e, d, s, error.what());
    }
  }

  void finish(store::Tx& tx, model::Execution& e, const Definition& d, const std::string& status, std::string error = {}) {
    if (terminal_execution(e.status)) return;
    e.status = status;
    e.completed_at = core::now_ms();
    if (!error.empty()) e.error = error;
    for (auto& s : e.steps)
      if (!terminal_step(s.status)) {
        s.status = s.status == "pending" ? "skipped" : "cancelled";
        save_step(tx, e, s);
        if (s.task_id) cancel_task(tx, *s.task_id);
      }
    // Only sub_workflow steps start children: the query is spared otherwise.
    if (std::any_of(d.steps.begin(), d.steps.end(), [](const Step& s) { return s.type == "sub_workflow"; }))
      for (const auto& child_id : store::executions::unfinished_children(tx.connection, e.id))
        if (auto child = find_locked(tx, child_id))
          finish(tx, *child, *definition_of(child->definition), "cancelled", "its parent execution ended");
    if (status == "completed" && !d.output.is_null()) {
      try {
        e.output = render(d.output, context(e));
      } catch (const core::Error& err) {
        e.status = "failed";
        e.error = std::string("the output could not be rendered: ") + err.what();
      }
    }
    store::executions::update(tx.connection, e);
    json::object data{{"execution_id", e.id}, {"workflow_id", e.workflow_id}, {"status", e.status},
                      {"output", e.output ? *e.output : json::value(nullptr)},
                      {"error", e.error ? json::value(*e.error) : json::value(nullptr)}};
    if (e.parent_execution_id) {
      data["parent_execution_id"] = *e.parent_execution_id;
      data["parent_step_id"] = *e.parent_step_id;
    }
    tx.emit("workflows.execution_" + e.status, std::move(data));
  }

  static void cancel_task(store::Tx& tx, const std::string& task_id) {
    auto t = store::tasks::find(tx.connection, task_id);
    if (!t || model::is_terminal_task_status(t->status)) return;
    t->status = "cancelled";
    t->completed_at = t->updated_at = core::now_ms();
    store::tasks::update(tx.connection, *t);
    tx.emit("tasks.cancelled", model::to_json(*t));
  }

  // Runs every step that can run now, until nothing changes; then finishes the execution
  // when every step is done.
  void advance(store::Tx& tx, model::Execution& e) {
    if (terminal_execution(e.status)) return;
    auto definition = definition_of(e.definition);
    const Definition& d = *definition;
    std::map<std::string, std::vector<std::string>> failure_sources;  // on_failure target -> steps
    for (const auto& s : d.steps)
      if (s.on_failure != "fail" && s.on_failure != "continue") failure_sources[s.on_failure].push_back(s.id);
    bool changed = true;
    while (changed && !terminal_execution(e.status)) {
      changed = false;
      for (const auto& step : d.steps) {
        auto* s = state_of(e, step.id);
        if (!s || s->status != "pending") continue;
        bool waiting = false, active = false;
        for (const auto& p : step.parents) {
          auto* ps = state_of(e, p);
          if (!terminal_step(ps->status)) waiting = true;
          else if (activates(d, *ps, step)) active = true;
        }
        if (auto it = failure_sources.find(step.id); it != failure_sources.end())
          for (const auto& source : it->second) {
            auto* ss = state_of(e, source);
            if (!terminal_step(ss->status)) waiting = true;
            else if (ss->status == "failed") active = true;
          }
        bool root = step.parents.empty() && !failure_sources.contains(step.id);
        if (waiting) continue;
        changed = true;
        if (root || active) {
          run_step(tx, e, d, step, *s);
        } else {
          s->status = "skipped";
          save_step(tx, e, *s);
        }
        if (terminal_execution(e.status)) return;
      }
    }
    bool done = std::all_of(e.steps.begin(), e.steps.end(), [](const auto& s) { return terminal_step(s.status); });
    if (done) {
      // A failed step whose failure path handled it does not fail the execution.
      finish(tx, e, d, "completed");
    } else {
      bool waiting = std::any_of(e.steps.begin(), e.steps.end(), [](const auto& s) { return s.status == "waiting"; });
      bool running = std::any_of(e.steps.begin(), e.steps.end(), [](const auto& s) { return s.status == "running"; });
      auto status = waiting && !running ? "waiting" : "running";
      if (e.status != status) {
        e.status = status;
        store::executions::update(tx.connection, e);
      }
    }
  }

  model::Execution load(store::Tx& tx, const std::string& id) {
    auto e = find_locked(tx, id);
    if (!e) throw core::not_found("workflow execution", id);
    return std::move(*e);
  }

  // ---- reacting to events (the store's commit thread) -------------------------------
  void on_event(const model::Event& event) {
    const auto& topic = event.topic;
    bool ours = topic.starts_with("workflows.");
    // Other events' data is only read (made, for a task's) when an event trigger may want it.
    if (!(ours || has_event_triggers) || !event.data().is_object()) return;
    const auto& data = event.data().get_object();
    if (!ours) return fire_event_triggers(event);
    if (topic == "workflows.step_running" &&
        (data.at("type") == "http" || data.at("type") == "llm" || data.at("type") == "integration")) {
      call_out(data.at("type").as_string(), std::string(data.at("execution_id").get_string()),
               std::string(data.at("step_id").get_string()));
    } else if (topic == "workflows.step_waiting") {
      if (auto* wake = data.if_contains("wake_at"); wake && wake->is_int64())
        arm(std::string(data.at("execution_id").get_string()), std::string(data.at("step_id").get_string()), wake->get_int64());
    } else if (topic.starts_with("workflows.execution_") && topic != "workflows.execution_started") {
      notify_waiters(std::string(data.at("execution_id").get_string()), event.data());
      // A finished sub-workflow whose parent step was not settled in the same transaction.
      if (auto* parent = data.if_contains("parent_execution_id"); parent && parent->is_string())
        db.write([self = shared_from_this(), parent_id = std::string(parent->get_string()),
                  step_id = std::string(data.at("parent_step_id").get_string()), data = event.data()](store::Tx& tx) {
                   self->on_child_event(tx, parent_id, step_id, data.get_object());
                 },
                 nullptr);
    }
  }

  // A task step's task ended: the step and the execution move on in the transaction that
  // records the task's end (an emit trigger), so no commit is spent in between.
  void on_task_end(store::Tx& tx, const model::Event& event) {
    if (stopped) return;  // a stopped engine catches up when it starts again
    // Most tasks belong to no workflow: a task's event says so without any JSON.
    if ((event.task && !event.task->workflow_execution_id) || !event.data().is_object()) return;
    const auto& task = event.data().get_object();
    auto* execution = task.if_contains("workflow_execution_id");
    if (execution && execution->is_string()) task_finished(tx, std::string(execution->get_string()), task);
  }

  // A task of the execution ended: its step completes or fails, and the execution advances.
  // The execution is read without waiting and acted on when the answer comes back (in the
  // statement's callback, as trigger code), so that the task ends of a batch share a round trip
  // on PostgreSQL; a second read of the same execution waits for the first's changes.
  void task_finished(store::Tx& tx, const std::string& execution_id, json::object task) {
    tx.settle_reads_of(execution_id);
    tx.reading(execution_id);
    store::executions::find_for_update(
        tx.connection, execution_id,
        [self = shared_from_this(), &tx, execution_id, task = std::move(task)](std::optional<model::Execution> e) {
          tx.read_done(execution_id);
          if (e) tx.as_trigger([&] { self->apply_task_end(tx, *e, task); });
        });
  }

  void apply_task_end(store::Tx& tx, model::Execution& e, const json::object& task) {
    if (terminal_execution(e.status)) return;
    std::string task_id(task.at("id").get_string());
    for (auto& s : e.steps) {
      if (s.task_id != task_id || s.status != "running") continue;
      auto status = task.at("status").get_string();
      if (status == "completed") complete_step(tx, e, s, task.at("output_data"));
      else
        fail_step(tx, e, *definition_of(e.definition), s,
                  status == "cancelled" ? std::string("its task was cancelled")
                                        : std::string(task.at("error").is_string() ? task.at("error").get_string() : "the task failed"));
      advance(tx, e);
      return;
    }
  }

  // The execution, locked until the commit (PostgreSQL), once what a read of it sent without
  // waiting brought about (task_finished) is done.
  std::optional<model::Execution> find_locked(store::Tx& tx, const std::string& id) {
    tx.settle_reads_of(id);
    return store::executions::find_for_update(tx.connection, id);
  }

  // Makes an http step's call (with its retries) on the HTTP pool, then records the result.
  void call(std::string execution_id, std::string step_id) {
    asio::post(http_pool, [self = shared_from_this(), execution_id, step_id] {
      auto e = self->db.read([&](store::Connection& c) { return store::executions::find(c, execution_id); });
      if (!e) return;
      auto* s = state_of(*e, step_id);
      if (!s || s->status != "running" || !s->input || !s->input->is_object()) return;
      const auto& in = s->input->get_object();
      auto attempts = in.at("max_attempts").to_number<std::int64_t>();
      auto backoff = in.at("backoff_ms").to_number<std::int64_t>();
      HttpResult result;
      std::int64_t made = 0;
      while (made < attempts && !self->stopped) {
        ++made;
        result = http_call(std::string(in.at("method").get_string()), std::string(in.at("url").get_string()),
                           in.at("headers"), in.at("body"), in.at("timeout_ms").to_number<std::int64_t>(), self->stopped);
        bool client_error = result.status >= 400 && result.status < 500;
        if (result.ok || client_error || made == attempts) break;
        // Sleeps in slices so that a shutdown is not held up by a long backoff.
        auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(backoff << (made - 1));
        while (!self->stopped && std::chrono::steady_clock::now() < until)
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      std::optional<json::value> output;
      if (result.ok) output = json::object{{"status", result.status}, {"body", result.body}};
      self->db.write([self, execution_id, step_id, output, error = result.error, made](store::Tx& tx) {
                       self->call_finished(tx, execution_id, step_id, output, error, made);
                     },
                     nullptr);
    });
  }

  // An http or llm step's call has ended: `output` when it succeeded, else `error`.
  void call_finished(store::Tx& tx, const std::string& execution_id, const std::string& step_id,
                     const std::optional<json::value>& output, const std::string& error, std::int64_t attempts) {
    auto e = find_locked(tx, execution_id);
    if (!e || terminal_execution(e->status)) return;
    auto* s = state_of(*e, step_id);
    if (!s || s->status != "running") return;
    s->attempts = attempts;
    if (output) complete_step(tx, *e, *s, *output);
    else fail_step(tx, *e, *definition_of(e->definition), *s, error);
    advance(tx, *e);
  }

  // The steps whose work is outside the store: made (again, after a restart) when running.
  void call_out(std::string_view type, std::string execution_id, std::string step_id) {
    if (type == "http") call(std::move(execution_id), std::move(step_id));
    else if (type == "llm") asio::co_spawn(io, ask_model(shared_from_this(), std::move(execution_id), std::move(step_id)), asio::detached);
    else if (type == "integration")
      asio::co_spawn(io, use_integration(shared_from_this(), std::move(execution_id), std::move(step_id)), asio::detached);
  }

  // ---- integration steps -------------------------------------------------------------------
  // Runs the step's action through the vendor clients (which retry 429s, 5xx and lost
  // connections themselves), then records the result. Made again after a restart while the
  // step was running: at least once, as http steps.
  static asio::awaitable<void> use_integration(std::shared_ptr<Impl> self, std::string execution_id, std::string step_id) {
    auto e = self->db.read([&](store::Connection& c) { return store::executions::find(c, execution_id); });
    const auto* s = e ? state_of(*e, step_id) : nullptr;
    if (!s || s->status != "running" || !s->input || !s->input->is_object()) co_return;
    const auto call = s->input->get_object();
    std::optional<json::value> output;
    std::string error;
    std::optional<integrations::Account> account;
    if (!self->connectors) error = "integration steps need the vendor clients, which are not running here";
    else try {
        std::string reference(call.at("integration").as_string());
        account = self->db.read([&](store::Connection& c) {
          return integrations::account_of(integrations::find_usable(c, reference), self->master_key);
        });
      } catch (const core::Error& failure) {
        error = failure.what();
      }
    if (account) {
      try {
        std::string action(call.at("action").as_string());
        const auto& input = call.at("input").as_object();
        auto result = co_await self->connectors->act(*account, action, input);
        output = std::move(result);
      } catch (const core::Error& failure) {
        error = failure.what();
      }
    }
    self->db.write([self, execution_id, step_id, output, error](store::Tx& tx) {
                     self->call_finished(tx, execution_id, step_id, output, error, 1);
                   },
                   nullptr);
  }

  // ---- llm steps ---------------------------------------------------------------------------
  // The call as it will be made, kept as the step's input: the prompt rendered (a stored
  // prompt's version fixed now), and the workflow's budget.
  json::object llm_call(store::Tx& tx, const model::Execution& e, const Definition& d, const Step& step,
                        const json::value& rendered) {
    const auto& parts = rendered.as_object();
    json::object call{{"provider", step.provider},         {"model", step.model},
                      {"max_tokens", step.max_tokens},     {"budget", d.budget},
                      {"workflow_id", e.workflow_id},      {"schema", step.schema ? *step.schema : json::value(nullptr)},
                      {"system", parts.contains("system") ? parts.at("system") : json::value("")}};
    if (step.prompt_name.empty()) {
      const auto& prompt = parts.at("prompt");
      call["prompt"] = prompt.is_string() ? std::string(prompt.get_string()) : core::to_text(prompt);
      return call;
    }
    auto found = store::prompts::find_by_name(tx.connection, step.prompt_name);
    if (!found) throw core::Error(core::ErrorKind::validation, "no prompt is named '" + step.prompt_name + "'");
    auto version = step.prompt_version ? store::prompts::version(tx.connection, found->id, *step.prompt_version)
                                       : std::optional(found->active);
    if (!version) throw core::Error(core::ErrorKind::validation, "the prompt '" + step.prompt_name + "' has no such version");
    std::vector<core::FieldError> stored_errors;  // stored versions were checked when written
    auto variables = ai::read_variables(version->variables, "variables", stored_errors);
    call["prompt"] = ai::render(version->template_text, variables, parts.at("variables").as_object());
    call["prompt_name"] = found->name;
    call["prompt_version"] = version->version;
    return call;
  }

  // Makes an llm step's call (the AI service retries and falls back on its own), unless the
  // workflow's budget has been reached, then records the answer.
  static asio::awaitable<void> ask_model(std::shared_ptr<Impl> self, std::string execution_id, std::string step_id) {
    auto e = self->db.read([&](store::Connection& c) { return store::executions::find(c, execution_id); });
    const auto* s = e ? state_of(*e, step_id) : nullptr;
    if (!s || s->status != "running" || !s->input || !s->input->is_object()) co_return;
    auto request = model_request(s->input->get_object());
    auto options = model_options(s->input->get_object());
    std::optional<json::value> output;
    std::string error;
    auto admitted = admit_workflow(*self, s->input->get_object());
    if (auto* reached = std::get_if<ai::BudgetReached>(&admitted)) {
      error = reached->message();
      auto event = reached->to_json();
      event["workflow_id"] = e->workflow_id;
      event["execution_id"] = execution_id;
      event["step_id"] = step_id;
      self->db.write([event](store::Tx& tx) { tx.emit("workflows.budget_exceeded", event); }, nullptr);
    } else if (!self->ai) {
      error = "llm steps need the AI services, which are not running here";
    } else {
      try {
        auto reply = co_await ai::ask(*self->ai, request, options);
        output = llm_output(reply);
      } catch (const std::exception& failure) {
        error = failure.what();
      }
    }
    self->db.write([self, execution_id, step_id, output, error](store::Tx& tx) {
                     self->call_finished(tx, execution_id, step_id, output, error, 1);
                   },
                   nullptr);
  }

  static ai::ChatRequest model_request(const json::object& call) {
    ai::ChatRequest request;
    if (auto system = call.at("system").as_string(); !system.empty())
      request.messages.push_back({ai::Role::system, std::string(system), {}, {}, {}});
    request.messages.push_back({ai::Role::user, std::string(call.at("prompt").as_string()), {}, {}, {}});
    if (!call.at("schema").is_null()) request.json_schema = call.at("schema");
    request.max_tokens = call.at("max_tokens").to_number<std::int64_t>();
    return request;
  }

  static ai::CallOptions model_options(const json::object& call) {
    ai::CallOptions options;
    options.provider = call.at("provider").as_string();
    options.model = call.at("model").as_string();
    options.labels.workflow_id = call.at("workflow_id").as_string();
    if (auto* name = call.if_contains("prompt_name")) {
      options.labels.prompt_name = name->as_string();
      options.labels.prompt_version = int(call.at("prompt_version").to_number<std::int64_t>());
    }
    return options;
  }

  static std::variant<ai::CallGate::Place, ai::BudgetReached> admit_workflow(Impl& self, const json::object& call) {
    const auto& budget_json = call.at("budget").as_object();
    core::ObjectReader r(budget_json);
    auto budget = ai::read_budget_fields(r);
    if (budget.empty() || !self.ai) return ai::CallGate::Place();
    std::string workflow_id(call.at("workflow_id").as_string());
    auto spent = [&](std::int64_t since) {
      return self.db.read(
          [&](store::Connection& c) { return store::ai_calls::spent(c, store::ai_calls::SpentBy::workflow, workflow_id, since); });
    };
    return ai::admit(budget, spent, self.ai->gate(), "workflow:" + workflow_id);
  }

  static json::value llm_output(const ai::ChatResponse& reply) {
    json::object out{{"text", reply.content},
                     {"provider", reply.provider},
                     {"model", reply.model},
                     {"input_tokens", reply.usage.input_tokens},
                     {"output_tokens", reply.usage.output_tokens},
                     {"cost_usd", reply.cost_usd}};
    if (reply.json) out["json"] = *reply.json;
    return out;
  }

  void arm(std::string execution_id, std::string step_id, std::int64_t at) {
    asio::post(strand, [self = shared_from_this(), execution_id, step_id, at] {
      if (self->stopped) return;
      auto key = execution_id + "/" + step_id;
      auto& timer = self->timers[key];
      timer = std::make_unique<asio::steady_timer>(self->strand, std::chrono::milliseconds(std::max<std::int64_t>(0, at - core::now_ms())));
      timer->async_wait([self, key, execution_id, step_id](boost::system::error_code ec) {
        if (ec || self->stopped) return;
        self->timers.erase(key);
        self->db.write([self, execution_id, step_id](store::Tx& tx) { self->wake(tx, execution_id, step_id); }, nullptr);
      });
    });
  }

  // With several nodes on one PostgreSQL, every few seconds: the delays a node armed die with
  // it, so every node wakes the ones overdue by more than a grace (the arming node's own timer
  // comes first while it lives; wake() reads the step under the execution's lock, so a delay is
  // woken once); this node's calls keep their leases and calls whose lease ran out (their node
  // died) are made again here; and the triggers of workflows saved on another node are read again.
  static constexpr std::chrono::milliseconds cluster_interval{5000};
  std::pair<std::int64_t, std::int64_t> workflows_seen;  // strand only
  void watch_cluster() {
    asio::post(strand, [self = shared_from_this()] {
      if (self->stopped) return;
      auto& timer = self->timers["cluster/watch"];
      timer = std::make_unique<asio::steady_timer>(self->strand, cluster_interval);
      timer->async_wait([self](boost::system::error_code ec) {
        if (ec || self->stopped) return;
        auto taken = std::make_shared<std::vector<store::executions::Call>>();
        self->db.write(
            [self, taken](store::Tx& tx) {
              auto now = core::now_ms();
              for (const auto& d : store::executions::delays(tx.connection, now - cluster_interval.count(), 100))
                self->wake(tx, d.execution_id, d.step_id);
              store::executions::renew_calls(tx.connection, *self->node, now + call_lease_ms);
              *taken = store::executions::take_over_calls(tx.connection, *self->node, now, now + call_lease_ms);
            },
            [self, taken](std::exception_ptr error) {
              if (error) return;
              for (const auto& c : *taken) {
                spdlog::info(R"("msg":"a workflow step's call taken over from a node gone","execution_id":{},"step_id":{})",
                             core::quoted(c.execution_id), core::quoted(c.step_id));
                self->call_out(c.type, c.execution_id, c.step_id);
              }
            });
        try {
          auto seen = self->db.read([](store::Connection& c) { return store::workflows::fingerprint(c); });
          if (std::exchange(self->workflows_seen, seen) != seen) self->load_triggers();
        } catch (const std::exception& e) {
          spdlog::warn(R"("msg":"cannot read the workflows' triggers","error":{})", core::quoted(e.what()));
        }
        self->watch_cluster();
      });
    });
  }

  void wake(store::Tx& tx, const std::string& execution_id, const std::string& step_id) {
    auto e = find_locked(tx, execution_id);
    if (!e || terminal_execution(e->status)) return;
    auto* s = state_of(*e, step_id);
    if (!s || s->status != "waiting" || !s->wake_at) return;
    complete_step(tx, *e, *s, json::object{{"waited_ms", core::now_ms() - *s->started_at}});
    advance(tx, *e);
  }

  void notify_waiters(const std::string& execution_id, const json::value& data) {
    std::vector<std::function<void(const json::value&)>> callbacks;
    {
      std::lock_guard lock(waiters_mutex);
      auto [begin, end] = waiters.equal_range(execution_id);
      for (auto it = begin; it != end; ++it) callbacks.push_back(it->second.second);
      waiters.erase(begin, end);
    }
    for (auto& cb : callbacks) cb(data);
  }

  // ---- triggers: events and schedules -----------------------------------------------------------
  void load_triggers() {
    auto workflows = db.read([](store::Connection& c) { return store::workflows::active(c); });
    asio::post(strand, [self = shared_from_this(), workflows] {
      self->event_triggers.clear();
      self->has_event_triggers = false;
      std::erase_if(self->timers, [](const auto& t) { return t.first.starts_with("schedule/"); });
      for (const auto& w : workflows) {
        if (!w.definition.is_object()) continue;
        auto* trigger = w.definition.get_object().if_contains("trigger");
        if (!trigger || !trigger->is_object()) continue;
        const auto& t = trigger->get_object();
        auto type = t.if_contains("type");
        if (!type || !type->is_string()) continue;
        if (*type == "event") {
          Trigger tr{w.id, std::nullopt, std::string(t.at("topic").get_string())};
          if (auto* f = t.if_contains("filter"); f && f->is_string()) tr.filter = Expression::parse(f->get_string());
          self->event_triggers.push_back(std::move(tr));
          self->has_event_triggers = true;
        } else if (*type == "schedule") {
          auto* tz = t.if_contains("timezone");
          try {
            auto cron = Cron::parse(t.at("cron").get_string(), tz && tz->is_string() ? std::string_view(tz->get_string()) : "UTC");
            self->schedule(w.id, cron);
          } catch (const core::Error& e) {  // e.g. a named zone whose file is gone (tzdata)
            spdlog::warn(R"("msg":"schedule trigger not armed","workflow_id":{},"error":{})", core::quoted(w.id),
                         core::quoted(e.what()));
          }
        }
      }
    });
  }

  void schedule(const std::string& workflow_id, Cron cron) {
    auto next = cron.next(core::now_ms());
    if (!next) return;
    auto key = "schedule/" + workflow_id;
    auto& timer = timers[key];
    timer = std::make_unique<asio::steady_timer>(strand, std::chrono::milliseconds(*next - core::now_ms()));
    timer->async_wait([self = shared_from_this(), workflow_id, cron, at = *next](boost::system::error_code ec) {
      if (ec || self->stopped) return;
      self->start_by_trigger(workflow_id, json::object{{"scheduled_at", core::format_timestamp(at)}}, "schedule", at);
      self->schedule(workflow_id, cron);
    });
  }

  void fire_event_triggers(const model::Event& event) {
    asio::post(strand, [self = shared_from_this(), event] {
      for (const auto& t : self->event_triggers) {
        if (!bus::topic_matches(t.topic, event.topic)) continue;
        json::object input{{"topic", event.topic}, {"event_id", event.id}, {"data", event.data()}};
        try {
          if (t.filter && !truthy(t.filter->evaluate(json::object{{"event", input}}))) continue;
        } catch (const core::Error&) {
          continue;
        }
        self->start_by_trigger(t.workflow_id, input, "event");
      }
    });
  }

  // `firing`: a schedule's time. Every node arms every schedule; the node that records the
  // firing first starts the execution, so it runs once across the cluster.
  void start_by_trigger(const std::string& workflow_id, json::value input, std::string trigger,
                        std::optional<std::int64_t> firing = std::nullopt) {
    db.write(
        [self = shared_from_this(), workflow_id, input, trigger, firing](store::Tx& tx) {
          auto w = store::workflows::find(tx.connection, workflow_id);
          if (!w || w->status != "active") return;
          if (firing && !store::workflows::claim_firing(tx.connection, workflow_id, *firing)) return;
          self->start_execution(tx, *w, input, trigger, w->created_by);
        },
        nullptr);
  }

  static constexpr int max_depth = 5;
  struct Parent {
    std::string execution_id, step_id;
  };

  // How many parents an execution has.
  int depth(store::Tx& tx, const model::Execution& e) {
    int d = 0;
    auto parent = e.parent_execution_id;
    while (parent && d <= max_depth) {
      ++d;
      auto p = store::executions::find(tx.connection, *parent);
      parent = p ? p->parent_execution_id : std::nullopt;
    }
    return d;
  }

  // A sub-workflow finished: its step in the parent completes (with the child's output) or fails.
  void child_finished(store::Tx& tx, model::Execution& parent, model::StepState& s, const std::string& status,
                      const std::optional<json::value>& output, const std::optional<std::string>& error) {
    if (s.status != "running") return;
    if (status == "completed") complete_step(tx, parent, s, output ? *output : json::value(json::object()));
    else fail_step(tx, parent, *definition_of(parent.definition), s, "the sub-workflow " + status + (error ? ": " + *error : ""));
  }

  void on_child_event(store::Tx& tx, const std::string& parent_id, const std::string& step_id, const json::object& data) {
    auto parent = find_locked(tx, parent_id);
    if (!parent || terminal_execution(parent->status)) return;
    auto* s = state_of(*parent, step_id);
    if (!s) return;
    std::optional<json::value> output;
    if (!data.at("output").is_null()) output = data.at("output");
    std::optional<std::string> error;
    if (data.at("error").is_string()) error = std::string(data.at("error").get_string());
    child_finished(tx, *parent, *s, std::string(data.at("status").get_string()), output, error);
    advance(tx, *parent);
  }

  model::Execution start_execution(store::Tx& tx, const model::Workflow& w, json::value input, const std::string& trigger,
                                   const std::optional<std::string>& user, std::optional<Parent> parent = std::nullopt) {
    auto definition = definition_of(w.definition);
    const Definition& d = *definition;
    model::Execution e;
    e.id = core::new_id();
    e.workflow_id = w.id;
    e.status = "running";
    e.input = std::move(input);
    e.definition = w.definition;
    e.trigger_type = trigger;
    e.created_by = user;
    e.created_at = core::now_ms();
    e.started_at = e.created_at;
    if (parent) {
      e.parent_execution_id = parent->execution_id;
      e.parent_step_id = parent->step_id;
    }
    for (const auto& s : d.steps) e.steps.push_back(model::StepState{s.id, s.type});
    store::executions::insert(tx.connection, e);
    tx.emit("workflows.execution_started", json::object{{"execution_id", e.id}, {"workflow_id", w.id}, {"status", "running"}, {"trigger", trigger}});
    advance(tx, e);
    return e;
  }
};

WorkflowEngine::WorkflowEngine(asio::io_context& io, store::Database& db, bus::MessageRouter& bus,
                               hub::OrchestrationHub& hub, ai::AiService* ai)
    : impl_(std::make_shared<Impl>(io, db, bus, hub, ai)) {}

WorkflowEngine::~WorkflowEngine() { stop(); }

void WorkflowEngine::start() {
  auto impl = impl_;
  if (impl->db.dialect() == store::Dialect::postgres) impl->node = core::new_id();
  impl->subscription = impl->bus.subscribe({"*"}, [weak = std::weak_ptr<Impl>(impl)](const model::Event& e) {
    if (auto self = weak.lock()) self->on_event(e);
  });
  impl->db.on_emit({{"tasks.completed", "tasks.failed", "tasks.cancelled"},
                    [weak = std::weak_ptr<Impl>(impl)](store::Tx& tx, const model::Event& e) {
                      if (auto self = weak.lock()) self->on_task_end(tx, e);
                    }});
  // Resume: re-evaluate every unfinished execution; tasks that finished while we were down
  // are applied; delays are re-armed.
  auto unfinished = impl->db.read([](store::Connection& c) { return store::executions::unfinished(c); });
  impl->db.write_sync([&](store::Tx& tx) {
    for (const auto& id : unfinished) {
      auto e = impl->find_locked(tx, id);
      if (!e) continue;
      for (std::size_t i = 0; e && i < e->steps.size(); ++i) {  // by index: `e` is read again inside
        const auto& s = e->steps[i];
        if (s.status != "running" || !s.task_id) continue;
        auto t = store::tasks::find(tx.connection, *s.task_id);
        if (t && model::is_terminal_task_status(t->status)) {
          impl->task_finished(tx, id, model::to_json(*t));
          e = impl->find_locked(tx, id);
        }
      }
      if (e) impl->advance(tx, *e);
    }
  });
  auto all = std::numeric_limits<std::int64_t>::max();
  for (const auto& wake : impl->db.read([&](store::Connection& c) { return store::executions::delays(c, all, SIZE_MAX); }))
    impl->arm(wake.execution_id, wake.step_id, wake.at);
  if (impl->node) {
    impl->workflows_seen = impl->db.read([](store::Connection& c) { return store::workflows::fingerprint(c); });
    impl->watch_cluster();
  }
  // Calls in flight when the process died are made again (at least once, like tasks). With
  // several nodes, those whose lease runs out, by whichever node sees it first (watch_cluster).
  if (!impl->node)
    for (const auto& id : unfinished)
      if (auto e = impl->db.read([&](store::Connection& c) { return store::executions::find(c, id); }))
        for (const auto& s : e->steps)
          if (s.status == "running") impl->call_out(s.type, id, s.step_id);
  impl->load_triggers();
  if (!unfinished.empty()) spdlog::info(R"("msg":"resumed workflow executions","count":{})", unfinished.size());
}

void WorkflowEngine::stop() {
  if (impl_->subscription) impl_->bus.unsubscribe(std::exchange(impl_->subscription, 0));
  // Calls in flight are abandoned; their steps are still running in the store and are called
  // again at the next start.
  impl_->stopped = true;
  impl_->http_pool.stop();
  impl_->http_pool.join();
  asio::post(impl_->strand, [impl = impl_] {
    for (auto& [key, timer] : impl->timers) timer->cancel();
  });
}

model::Execution WorkflowEngine::start_execution(store::Tx& tx, const model::Workflow& workflow, json::value input,
                                                 const std::string& trigger, const std::optional<std::string>& user) {
  return impl_->start_execution(tx, workflow, std::move(input), trigger, user);
}

model::Execution WorkflowEngine::decide(store::Tx& tx, const std::string& execution_id, const std::string& step_id,
                                        bool approved, const std::string& by, const std::string& comment) {
  auto e = impl_->load(tx, execution_id);
  auto* s = Impl::state_of(e, step_id);
  if (!s) throw core::not_found("step", step_id);
  if (s->type != "approval" || s->status != "waiting")
    throw core::Error(core::ErrorKind::conflict, "step " + step_id + " is not waiting for an approval (it is " + s->status + ")");
  auto definition = impl_->definition_of(e.definition);
  // Who decided, when and why stays in the step's output, a rejection's too.
  json::object decision;
  decision["approved"] = approved;
  decision["by"] = by;
  decision["comment"] = comment;
  decision["decided_at"] = core::format_timestamp(core::now_ms());
  if (approved) {
    impl_->complete_step(tx, e, *s, std::move(decision));
  } else {
    s->output = std::move(decision);
    impl_->fail_step(tx, e, *definition, *s, "rejected by " + by + (comment.empty() ? "" : ": " + comment));
  }
  impl_->advance(tx, e);
  return e;
}

model::Execution WorkflowEngine::cancel(store::Tx& tx, const std::string& execution_id) {
  auto e = impl_->load(tx, execution_id);
  if (terminal_execution(e.status)) throw core::Error(core::ErrorKind::conflict, "the execution is already " + e.status);
  impl_->finish(tx, e, *impl_->definition_of(e.definition), "cancelled", "cancelled");
  return e;
}

void WorkflowEngine::reload_triggers() { impl_->load_triggers(); }

void WorkflowEngine::use_integrations(integrations::Connectors& connectors, std::string master_key) {
  impl_->connectors = &connectors;
  impl_->master_key = std::move(master_key);
}

std::uint64_t WorkflowEngine::wait_for(const std::string& execution_id, std::function<void(const json::value&)> done) {
  std::lock_guard lock(impl_->waiters_mutex);
  auto id = impl_->next_waiter++;
  impl_->waiters.emplace(execution_id, std::make_pair(id, std::move(done)));
  return id;
}

void WorkflowEngine::forget(std::uint64_t waiter) {
  std::lock_guard lock(impl_->waiters_mutex);
  std::erase_if(impl_->waiters, [&](const auto& w) { return w.second.first == waiter; });
}

}  // namespace de::workflow
