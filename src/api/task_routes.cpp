#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <fmt/format.h>

#include <charconv>

#include "api/context.hpp"
#include "auth/crypto.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"

namespace de::api {

namespace {
using auth::Permission;

model::Task make_task(const model::NewTask& in, const auth::Principal& who) {
  model::Task t;
  t.id = core::new_id();
  t.title = in.title;
  t.description = in.description;
  t.type = in.type;
  t.priority = in.priority;
  t.input_data = in.input_data;
  t.assigned_agent = t.pinned_agent = in.assigned_agent;
  t.created_by = who.user_id;
  if (in.max_attempts) t.max_attempts = *in.max_attempts;
  if (in.timeout_ms) t.timeout_ms = *in.timeout_ms;
  t.created_at = t.updated_at = core::id_time_ms(t.id);
  return t;
}

// Checks the pinned agent exists, then hands the prepared task to the hub (stored, and given
// to an agent at once when it has a seat); `field` names it in errors. Returns the task's JSON.
std::string insert_task(Context& ctx, store::Tx& tx, hub::OrchestrationHub::Prepared& task, const std::string& field,
                        const std::optional<std::string>& idempotency_key = {},
                        const std::optional<std::string>& request_hash = {}) {
  const auto& pinned = task.task().pinned_agent;
  if (pinned && !store::agents::find(tx.connection, *pinned))
    throw core::validation_error(field.empty() ? "assigned_agent" : field + ".assigned_agent",
                                 "no agent has this id");
  return ctx.hub.submit(tx, task, idempotency_key, request_hash);
}

model::Task find_task(store::Connection& c, const std::string& id) {
  auto task = store::tasks::find(c, id);
  if (!task) throw core::not_found("task", id);
  return *task;
}

// Changes a task's status in one transaction, with the event `tasks.<status>`.
asio::awaitable<model::Task> transition(Context& ctx, const std::string& id,
                                        std::function<void(model::Task&)> change) {
  co_return co_await write(ctx.db, [&](store::Tx& tx) {
    auto task = find_task(tx.connection, id);
    change(task);
    task.updated_at = core::now_ms();
    store::tasks::update(tx.connection, task);
    tx.emit("tasks." + task.status, model::to_json(task));
    return task;
  });
}

// A waiting task's warnings (docs/api.md, "Task warnings") added to its JSON text; a task
// that runs, or that one of the agents can take, is answered as it is.
std::string with_warnings(std::string task_text, const std::vector<model::TaskWarning>& warnings) {
  if (warnings.empty()) return task_text;
  task_text.pop_back();  // the object's closing brace
  return task_text + R"(,"warnings":)" + core::to_text(model::to_json(warnings)) + "}";
}

std::vector<model::Agent> all_agents(Context& ctx) {
  return ctx.db.read([](store::Connection& c) { return store::agents::all(c); });
}

// `?require_agent=true`: a task no agent can take now is refused (422) instead of waiting.
bool require_agent(const Request& request) {
  auto value = request.query("require_agent");
  if (value && *value != "true" && *value != "false")
    throw core::Error(core::ErrorKind::bad_request, "require_agent must be true or false");
  return value == "true";
}

void refuse_if_no_agent(const std::vector<model::TaskWarning>& warnings, const std::string& field) {
  if (warnings.empty()) return;
  auto name = warnings[0].code == "no_capable_agent" ? "type" : "assigned_agent";
  throw core::validation_error(field.empty() ? name : field + "." + name, warnings[0].detail);
}

std::optional<std::string> choice_query(const Request& request, const char* key,
                                        std::span<const std::string_view> allowed) {
  auto value = request.query(key);
  if (value && std::find(allowed.begin(), allowed.end(), *value) == allowed.end())
    throw core::Error(core::ErrorKind::bad_request,
                      fmt::format("{} must be one of: {}", key, fmt::join(allowed, ", ")));
  return value;
}
}  // namespace

void add_task_routes(Context& ctx, http::Router& router) {
  secured(ctx, router, "POST", "/api/v1/tasks", Permission::run_tasks,
          [&ctx](Request& request, const auth::Principal& who) -> asio::awaitable<Response> {
            auto body = json_body(request);
            std::vector<core::FieldError> errors;
            auto input = model::read_new_task(body, "", errors);
            core::throw_if_errors(std::move(errors));
            if (require_agent(request))
              refuse_if_no_agent(model::type_warnings(input->type, input->assigned_agent, all_agents(ctx)), "");
            std::optional<std::string> key;
            if (auto header = request.header("idempotency-key"); !header.empty()) {
              if (header.size() > 255)
                throw core::Error(core::ErrorKind::bad_request, "Idempotency-Key must be at most 255 characters");
              key = std::string(header);
            }
            // Only a keyed request can be replayed, so only it needs the hash of its body.
            std::optional<std::string> hash;
            if (key) hash = auth::sha256_hex(request.body);
            // Made ready here, so that the writer thread only stores it.
            auto task = ctx.hub.prepare(make_task(*input, who));
            std::string stored;
            auto submit = [&](store::Tx& tx) -> std::optional<model::Task> {
              if (key) {
                if (auto existing = store::tasks::find_by_idempotency_key(tx.connection, who.user_id, *key)) {
                  if (existing->request_hash != *hash)
                    throw core::Error(core::ErrorKind::validation,
                                      "this Idempotency-Key was used with a different request body");
                  return existing->task;
                }
              }
              stored = insert_task(ctx, tx, task, "", key, hash);
              return std::nullopt;
            };
            std::optional<model::Task> replayed;
            bool raced = false;
            try {
              replayed = co_await write(ctx.db, submit);
            } catch (const core::Error& e) {
              // The same key stored by a request that committed between this one's look-up and
              // its insert (a client's retry on another node while the first still ran): looked
              // up again, it is a replay.
              if (!key || e.kind() != core::ErrorKind::conflict) throw;
              raced = true;
            }
            if (raced) replayed = co_await write(ctx.db, submit);
            if (replayed) {
              auto response = Response::json(200, model::to_json(*replayed));
              response.set_header("Idempotent-Replayed", "true");
              co_return response;
            }
            // Only a task left waiting needs the agents read; one given a seat runs.
            if (task.task().status != "running")
              stored = with_warnings(std::move(stored), model::task_warnings(task.task(), all_agents(ctx)));
            co_return created(std::move(stored), "/api/v1/tasks/" + task.task().id);
          });

  secured(ctx, router, "POST", "/api/v1/tasks/batch", Permission::run_tasks,
          [&ctx](Request& request, const auth::Principal& who) -> asio::awaitable<Response> {
            auto body = json_body(request);
            core::ObjectReader r(body);
            const auto* items = r.any("tasks", true);
            if (items && (!items->is_array() || items->get_array().empty() || items->get_array().size() > 1000))
              r.error("tasks", "must be an array of 1 to 1000 tasks");
            r.finish();
            std::vector<core::FieldError> errors;
            std::vector<model::Task> inputs;
            const auto& array = items->get_array();
            for (std::size_t i = 0; i < array.size(); ++i)
              if (auto input = model::read_new_task(array[i], fmt::format("tasks[{}]", i), errors))
                inputs.push_back(make_task(*input, who));
            core::throw_if_errors(std::move(errors));
            std::optional<std::vector<model::Agent>> agents;
            if (require_agent(request)) {
              agents = all_agents(ctx);
              for (std::size_t i = 0; i < inputs.size(); ++i)
                refuse_if_no_agent(model::task_warnings(inputs[i], *agents), fmt::format("tasks[{}]", i));
            }
            std::vector<hub::OrchestrationHub::Prepared> tasks;
            for (auto& task : inputs) tasks.push_back(ctx.hub.prepare(std::move(task)));
            std::vector<std::string> stored(tasks.size());
            co_await write(ctx.db, [&](store::Tx& tx) {
              for (std::size_t i = 0; i < tasks.size(); ++i)
                stored[i] = insert_task(ctx, tx, tasks[i], fmt::format("tasks[{}]", i));
            });
            for (std::size_t i = 0; i < tasks.size(); ++i) {
              if (tasks[i].task().status == "running") continue;
              if (!agents) agents = all_agents(ctx);
              stored[i] = with_warnings(std::move(stored[i]), model::task_warnings(tasks[i].task(), *agents));
            }
            co_return Response::json_text(201, fmt::format(R"({{"items":[{}]}})", fmt::join(stored, ",")));
          });

  // Runs a task on one agent and answers the finished task, or 504 with its id.
  secured(ctx, router, "POST", "/api/v1/agents/{id}/execute", Permission::control_agents,
          [&ctx](Request& request, const auth::Principal& who) -> asio::awaitable<Response> {
            const auto& agent_id = id_param(request, "agent");
            std::int64_t timeout_ms = 30000;
            if (auto t = request.query("timeout_ms")) {
              auto [end, ec] = std::from_chars(t->data(), t->data() + t->size(), timeout_ms);
              if (ec != std::errc() || end != t->data() + t->size() || timeout_ms < 1 || timeout_ms > 300000)
                throw core::Error(core::ErrorKind::bad_request, "timeout_ms must be an integer from 1 to 300000");
            }
            auto body = json_body(request);
            std::vector<core::FieldError> errors;
            auto input = model::read_new_task(body, "", errors);
            core::throw_if_errors(std::move(errors));
            input->assigned_agent = agent_id;
            if (!ctx.db.read([&](store::Connection& c) { return store::agents::find(c, agent_id).has_value(); }))
              throw core::not_found("agent", agent_id);
            auto task = ctx.hub.prepare(make_task(*input, who));
            const auto& task_id = task.task().id;

            auto executor = co_await asio::this_coro::executor;
            auto timer = std::make_shared<asio::steady_timer>(executor, std::chrono::milliseconds(timeout_ms));
            auto finished = std::make_shared<std::optional<json::value>>();
            auto waiter = ctx.hub.wait_for(task_id, [timer, finished, executor](const json::value& t) {
              asio::post(executor, [timer, finished, t] {
                *finished = t;
                timer->cancel();
              });
            });
            try {
              co_await write(ctx.db, [&](store::Tx& tx) { insert_task(ctx, tx, task, ""); });
            } catch (...) {
              ctx.hub.forget(waiter);
              throw;
            }
            if (!*finished) co_await timer->async_wait(asio::as_tuple(asio::use_awaitable));
            ctx.hub.forget(waiter);
            if (!*finished) {
              core::Error error(core::ErrorKind::timeout, "task " + task_id + " did not finish within " +
                                                              std::to_string(timeout_ms) + " ms; it keeps running");
              auto response = Response::problem(error);
              auto problem = json::parse(response.body).as_object();
              problem["task_id"] = task_id;
              response.body = core::to_text(problem);
              response.set_header("Location", "/api/v1/tasks/" + task_id);
              co_return response;
            }
            co_return Response::json(200, **finished);
          });

  secured(ctx, router, "GET", "/api/v1/tasks", Permission::read,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            auto page = page_request(request);
            store::tasks::Filter filter{choice_query(request, "status", model::task_statuses),
                                        request.query("type"), request.query("type_prefix"), request.query("agent")};
            if (filter.type_prefix && !model::valid_task_type(*filter.type_prefix))
              throw core::Error(core::ErrorKind::bad_request,
                                "type_prefix may hold only a-z, 0-9, '_', '.' and '-', at most 100 characters");
            if (filter.agent && !core::is_uuid(*filter.agent))
              throw core::Error(core::ErrorKind::bad_request, "agent must be an agent id (UUID)");
            auto tasks = ctx.db.read([&](store::Connection& c) { return store::tasks::list(c, filter, page); });
            co_return Response::json(200, page_json(tasks));
          });

  secured(ctx, router, "GET", "/api/v1/tasks/{id}", Permission::read,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "task");
            auto [task, warnings] = ctx.db.read([&](store::Connection& c) {
              auto found = find_task(c, id);
              std::vector<model::TaskWarning> waiting_warnings;
              if (found.status == "pending" || found.status == "queued")
                waiting_warnings = model::task_warnings(found, store::agents::all(c));
              return std::make_pair(std::move(found), std::move(waiting_warnings));
            });
            co_return Response::json_text(200, with_warnings(model::to_text(task), warnings));
          });

  secured(ctx, router, "POST", "/api/v1/tasks/{id}/cancel", Permission::run_tasks,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "task");
            auto task = co_await transition(ctx, id, [](model::Task& t) {
              if (model::is_terminal_task_status(t.status))
                throw core::Error(core::ErrorKind::conflict, "the task is already " + t.status);
              t.status = "cancelled";
              t.completed_at = core::now_ms();
            });
            co_return Response::json(200, model::to_json(task));
          });

  secured(ctx, router, "POST", "/api/v1/tasks/{id}/retry", Permission::run_tasks,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "task");
            auto task = co_await transition(ctx, id, [](model::Task& t) {
              if (t.status != "failed" && t.status != "cancelled")
                throw core::Error(core::ErrorKind::conflict,
                                  "only a failed or cancelled task can be retried; this one is " + t.status);
              t.status = "queued";
              t.attempts = 0;
              t.error.reset();
              t.output_data.reset();
              t.started_at.reset();
              t.completed_at.reset();
            });
            co_return Response::json(200, model::to_json(task));
          });
}

}  // namespace de::api
