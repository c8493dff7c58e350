// Workflows, their executions, approvals, and the webhook trigger (docs/workflows.md).
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>

#include "api/audit.hpp"
#include "api/context.hpp"
#include "auth/crypto.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"
#include "store/workflow_repository.hpp"

namespace de::api {

namespace {
using auth::Permission;

std::string trigger_type(const json::value& definition) {
  auto* trigger = definition.is_object() ? definition.get_object().if_contains("trigger") : nullptr;
  auto* type = trigger && trigger->is_object() ? trigger->get_object().if_contains("type") : nullptr;
  return type && type->is_string() ? std::string(type->get_string()) : "";
}

// Reads name/description/definition/status into `w`; the definition is checked in full.
void read_workflow(const json::object& body, model::Workflow& w, bool creating) {
  core::ObjectReader r(body);
  if (auto name = r.string("name", creating, 200)) w.name = *name;
  if (auto description = r.string("description", false, 5000)) w.description = *description;
  if (auto status = r.choice("status", false, model::workflow_statuses)) w.status = *status;
  const auto* definition = r.any("definition", creating);
  auto errors = r.take_errors();
  if (definition) {
    try {
      auto refusals = workflow::outbound_refusals(workflow::parse_definition(*definition));
      errors.insert(errors.end(), refusals.begin(), refusals.end());
      w.definition = *definition;
    } catch (const core::Error& e) {
      errors.insert(errors.end(), e.fields().begin(), e.fields().end());
      if (e.fields().empty()) errors.push_back({"definition", e.what()});
    }
  }
  core::throw_if_errors(std::move(errors));
  // A webhook trigger gets a secret URL; other triggers none.
  if (trigger_type(w.definition) == "webhook") {
    if (!w.webhook_token) w.webhook_token = auth::random_token(24);
  } else {
    w.webhook_token.reset();
  }
}

// The webhook URL's token is the credential that starts the workflow: shown only to those who
// may change the workflow (and so rotate the token), never to readers.
json::object workflow_json(const model::Workflow& w, const auth::Principal& who) {
  auto o = model::to_json(w);
  if (!who.may(Permission::manage_workflows)) o.erase("webhook_url");
  return o;
}

model::Workflow find_workflow(store::Connection& c, const std::string& id) {
  auto w = store::workflows::find(c, id);
  if (!w) throw core::not_found("workflow", id);
  return *w;
}

json::object execution_json(store::Connection& c, const std::string& id) {
  auto e = store::executions::find(c, id);
  if (!e) throw core::not_found("workflow execution", id);
  return model::to_json(*e);
}

json::value input_of(const json::object& body) {
  core::ObjectReader r(body);
  const auto* input = r.any("input", false);
  if (input && !input->is_object()) r.error("input", "must be an object");
  r.finish();
  return input ? *input : json::value(json::object());
}
}  // namespace

void add_workflow_routes(Context& ctx, http::Router& router) {
  secured(ctx, router, "GET", "/api/v1/workflows", Permission::read,
          [&ctx](Request& request, const auth::Principal& who) -> asio::awaitable<Response> {
            auto page = page_request(request);
            auto list = ctx.db.read([&](store::Connection& c) { return store::workflows::list(c, page); });
            co_return Response::json(200, page_json(list, [&](const model::Workflow& w) { return workflow_json(w, who); }));
          });

  secured(ctx, router, "POST", "/api/v1/workflows", Permission::manage_workflows,
          [&ctx](Request& request, const auth::Principal& who) -> asio::awaitable<Response> {
            model::Workflow w;
            read_workflow(json_body(request), w, true);
            w.id = core::new_id();
            w.created_by = who.user_id;
            w.created_at = w.updated_at = core::now_ms();
            co_await write(ctx.db, [&](store::Tx& tx) {
              store::workflows::insert(tx.connection, w);
              tx.emit("workflows.created", json::object{{"id", w.id}, {"name", w.name}});
            });
            ctx.workflows.reload_triggers();
            co_return created(model::to_json(w), "/api/v1/workflows/" + w.id);
          });

  secured(ctx, router, "GET", "/api/v1/workflows/{id}", Permission::read,
          [&ctx](Request& request, const auth::Principal& who) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "workflow");
            co_return Response::json(200, workflow_json(ctx.db.read([&](store::Connection& c) { return find_workflow(c, id); }), who));
          });

  secured(ctx, router, "PATCH", "/api/v1/workflows/{id}", Permission::manage_workflows,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "workflow");
            auto body = json_body(request);
            auto w = co_await write(ctx.db, [&](store::Tx& tx) {
              auto w = find_workflow(tx.connection, id);
              read_workflow(body, w, false);
              w.updated_at = core::now_ms();
              store::workflows::update(tx.connection, w);
              tx.emit("workflows.updated", json::object{{"id", w.id}, {"name", w.name}});
              return w;
            });
            ctx.workflows.reload_triggers();
            co_return Response::json(200, model::to_json(w));
          });

  // A new webhook token: the old URL stops working at once (a leaked URL is revoked this way).
  secured(ctx, router, "POST", "/api/v1/workflows/{id}/rotate-webhook", Permission::manage_workflows,
          [&ctx](Request& request, const auth::Principal& who) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "workflow");
            auto w = co_await write(ctx.db, [&](store::Tx& tx) {
              auto w = find_workflow(tx.connection, id);
              if (!w.webhook_token)
                throw core::Error(core::ErrorKind::conflict, "the workflow has no webhook trigger: there is no token to rotate");
              w.webhook_token = auth::random_token(24);
              w.updated_at = core::now_ms();
              store::workflows::update(tx.connection, w);
              tx.emit("workflows.updated", json::object{{"id", w.id}, {"name", w.name}});
              audit(tx, request, who, "workflows.webhook_rotated", "workflow", id, {{"name", w.name}});
              return w;
            });
            co_return Response::json(200, model::to_json(w));
          });

  secured(ctx, router, "DELETE", "/api/v1/workflows/{id}", Permission::manage_workflows,
          [&ctx](Request& request, const auth::Principal& who) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "workflow");
            co_await write(ctx.db, [&](store::Tx& tx) {
              if (!store::workflows::remove(tx.connection, id)) throw core::not_found("workflow", id);
              tx.emit("workflows.deleted", json::object{{"id", id}});
              audit(tx, request, who, "workflows.deleted", "workflow", id);
            });
            ctx.workflows.reload_triggers();
            co_return Response::no_content();
          });

  secured(ctx, router, "POST", "/api/v1/workflows/{id}/execute", Permission::run_tasks,
          [&ctx](Request& request, const auth::Principal& who) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "workflow");
            auto input = input_of(json_body(request));
            auto execution = co_await write(ctx.db, [&](store::Tx& tx) {
              auto w = find_workflow(tx.connection, id);
              if (w.status != "active")
                throw core::Error(core::ErrorKind::conflict, "the workflow is " + w.status + "; only active workflows run");
              return ctx.workflows.start_execution(tx, w, input, "manual", who.user_id);
            });
            co_return created(model::to_json(execution), "/api/v1/workflow-executions/" + execution.id);
          });

  secured(ctx, router, "GET", "/api/v1/workflow-executions", Permission::read,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            auto page = page_request(request);
            auto workflow_id = request.query("workflow_id");
            if (workflow_id && !core::is_uuid(*workflow_id))
              throw core::Error(core::ErrorKind::bad_request, "workflow_id must be a workflow id (UUID)");
            auto list = ctx.db.read([&](store::Connection& c) { return store::executions::list(c, workflow_id, page); });
            co_return Response::json(200, page_json(list));
          });

  secured(ctx, router, "GET", "/api/v1/workflow-executions/{id}", Permission::read,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "workflow execution");
            co_return Response::json(200, ctx.db.read([&](store::Connection& c) { return execution_json(c, id); }));
          });

  secured(ctx, router, "POST", "/api/v1/workflow-executions/{id}/cancel", Permission::run_tasks,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "workflow execution");
            auto e = co_await write(ctx.db, [&](store::Tx& tx) { return ctx.workflows.cancel(tx, id); });
            co_return Response::json(200, model::to_json(e));
          });

  secured(ctx, router, "POST", "/api/v1/workflow-executions/{id}/steps/{step_id}/approve", Permission::run_tasks,
          [&ctx](Request& request, const auth::Principal& who) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "workflow execution");
            std::string step_id = request.param("step_id");
            auto decision = read_decision(ctx, request, who);
            auto e = co_await write(ctx.db, [&](store::Tx& tx) {
              // The step names the role that decides; admins may always decide.
              auto current = store::executions::find(tx.connection, id);
              if (!current) throw core::not_found("workflow execution", id);
              for (const auto& s : current->steps)
                if (s.step_id == step_id && s.input && s.input->is_object())
                  if (auto* role = s.input->get_object().if_contains("role"); role && role->is_string())
                    require_decider(who, role->get_string());
              auto decided = ctx.workflows.decide(tx, id, step_id, decision.approved, decision.by, decision.comment);
              audit(tx, request, who, "workflow_approvals.decided", "workflow_execution", id,
                    {{"step_id", step_id}, {"approved", decision.approved}, {"workflow_id", decided.workflow_id}});
              return decided;
            });
            co_return Response::json(200, model::to_json(e));
          });

  // The webhook trigger: the token in the URL is the credential.
  router.add("POST", "/api/v1/hooks/{token}", [&ctx](Request& request) -> asio::awaitable<Response> {
    std::string token = request.param("token");
    auto body = request.body.empty() ? json::object() : json_body(request);
    auto workflow = ctx.db.read([&](store::Connection& c) { return store::workflows::find_by_webhook(c, token); });
    if (!workflow || workflow->status != "active") throw core::Error(core::ErrorKind::not_found, "no active workflow has this webhook");
    const auto& trigger = workflow->definition.at("trigger").as_object();
    bool respond = trigger.if_contains("respond_with_output") && trigger.at("respond_with_output").is_bool() &&
                   trigger.at("respond_with_output").get_bool();
    std::int64_t timeout_ms = trigger.if_contains("timeout_ms") && trigger.at("timeout_ms").is_int64() ? trigger.at("timeout_ms").get_int64() : 30000;
    auto id = std::make_shared<std::string>();
    auto executor = co_await asio::this_coro::executor;
    auto timer = std::make_shared<asio::steady_timer>(executor, std::chrono::milliseconds(timeout_ms));
    auto finished = std::make_shared<std::optional<json::value>>();
    std::uint64_t waiter = 0;
    auto execution = co_await write(ctx.db, [&](store::Tx& tx) {
      auto e = ctx.workflows.start_execution(tx, *workflow, body, "webhook", workflow->created_by);
      // Registered inside the job, before the commit publishes the execution's end.
      if (respond && e.status != "completed" && e.status != "failed")
        waiter = ctx.workflows.wait_for(e.id, [timer, finished, executor](const json::value& data) {
          asio::post(executor, [timer, finished, data] {
            *finished = data;
            timer->cancel();
          });
        });
      return e;
    });
    if (!respond) co_return Response::json(202, {{"execution_id", execution.id}, {"status", execution.status}});
    if (execution.status == "completed" || execution.status == "failed")
      co_return Response::json(200, {{"execution_id", execution.id}, {"status", execution.status},
                                     {"output", execution.output ? *execution.output : json::value(nullptr)}});
    if (!*finished) co_await timer->async_wait(asio::as_tuple(asio::use_awaitable));
    ctx.workflows.forget(waiter);
    if (!*finished)
      co_return Response::json(202, {{"execution_id", execution.id}, {"status", "running"}});
    const auto& data = finished->value().as_object();
    co_return Response::json(200, {{"execution_id", execution.id}, {"status", data.at("status")}, {"output", data.at("output")}});
  });
}

}  // namespace de::api
