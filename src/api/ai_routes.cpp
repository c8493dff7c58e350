// The AI services layer's routes (docs/ai.md): the providers and their keys (write-only,
// sealed at rest), a model call, prompt templates with immutable versions, the usage report.
#include <array>

#include "ai/prompt.hpp"
#include "api/audit.hpp"
#include "api/context.hpp"
#include "auth/crypto.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"
#include "store/ai_repository.hpp"

namespace de::api {

namespace {
using auth::Permission;
constexpr std::array<std::string_view, 4> usage_groups{"agent", "model", "provider", "day"};

bool valid_prompt_name(std::string_view name) {
  return !name.empty() && name.size() <= 100 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
  });
}

// A version's template and variables from a body, checked against each other.
store::prompts::Version read_version(core::ObjectReader& r, const json::object& body, const auth::Principal& who) {
  store::prompts::Version v;
  v.template_text = r.string("template", true, ai::max_template_bytes).value_or("");
  std::vector<ai::PromptVariable> variables;
  if (const auto* given = r.any("variables", false)) variables = ai::read_variables(*given, "variables", r.errors());
  if (!body.contains("template")) return v;
  ai::check_template(v.template_text, variables, "template", r.errors());
  v.variables = ai::to_json(variables);
  v.created_by = who.user_id;
  v.created_at = core::now_ms();
  return v;
}

store::prompts::Prompt find_prompt(store::Connection& c, const std::string& id) {
  auto p = store::prompts::find(c, id);
  if (!p) throw core::not_found("prompt", id);
  return *p;
}

json::object with_versions(store::Connection& c, const store::prompts::Prompt& p) {
  auto o = store::prompts::to_json(p);
  json::array versions;
  for (const auto& v : store::prompts::versions(c, p.id)) versions.push_back(store::prompts::to_json(v, p.active_version));
  o["versions"] = std::move(versions);
  return o;
}

std::vector<ai::PromptVariable> variables_of(const store::prompts::Version& v) {
  std::vector<core::FieldError> stored_errors;  // stored versions were checked when written
  return ai::read_variables(v.variables, "variables", stored_errors);
}

ai::AiService& service_of(Context& ctx) {
  if (!ctx.ai || !ctx.ai_providers) throw core::Error(core::ErrorKind::unavailable, "the AI services are not running");
  return *ctx.ai;
}

json::value time_or_null(std::int64_t ms) { return ms ? json::value(core::format_timestamp(ms)) : json::value(nullptr); }

std::string provider_param(Context& ctx, const Request& request) {
  std::string name(request.param("name"));
  service_of(ctx);
  if (!ctx.ai_providers->known(name)) throw core::not_found("AI provider", name);
  if (!ctx.ai_providers->takes_key(name))
    throw core::Error(core::ErrorKind::conflict, "the " + name + " provider needs no key");
  return name;
}

// A model call's messages: "messages" as given, or "prompt" {name, version?, variables}
// rendered (its name and version then label the call), after an optional "system".
std::vector<ai::Message> read_messages(Context& ctx, core::ObjectReader& r, ai::CallLabels& labels) {
  std::vector<ai::Message> messages;
  if (auto system = r.string("system", false, ai::max_template_bytes)) messages.push_back({ai::Role::system, *system});
  const auto* given = r.any("messages", false);
  const auto* prompt = r.object("prompt", false);
  if (!given == !prompt) {
    r.error("messages", "give either messages or prompt");
    return messages;
  }
  if (given) {
    if (!given->is_array() || given->get_array().empty() || given->get_array().size() > 200) {
      r.error("messages", "must be an array of 1 to 200 {\"role\",\"content\"} objects");
      return messages;
    }
    static constexpr std::array<std::string_view, 3> roles{"system", "user", "assistant"};
    const auto& items = given->get_array();
    for (std::size_t i = 0; i < items.size(); ++i) {
      auto at = "messages[" + std::to_string(i) + "]";
      if (!items[i].is_object()) {
        r.error(at, "must be a {\"role\",\"content\"} object");
        continue;
      }
      core::ObjectReader m(items[i].get_object(), at);
      auto role = m.choice("role", true, roles);
      auto content = m.string("content", true, 1024 * 1024);
      for (auto& e : m.take_errors()) r.errors().push_back(std::move(e));
      if (role && content)
        messages.push_back({*role == "system" ? ai::Role::system : *role == "user" ? ai::Role::user : ai::Role::assistant, *content});
    }
    return messages;
  }
  core::ObjectReader p(*prompt, "prompt");
  auto name = p.string("name", true, 100);
  auto number = p.integer("version", false, 1, 1000000);
  const auto* values = p.object("variables", false);
  for (auto& e : p.take_errors()) r.errors().push_back(std::move(e));
  if (!name) return messages;
  auto [found, version] = ctx.db.read([&](store::Connection& c) {
    auto found = store::prompts::find_by_name(c, *name);
    if (!found) throw core::Error(core::ErrorKind::validation, "no prompt is named '" + *name + "'", {{"prompt.name", "no such prompt"}});
    auto v = number ? store::prompts::version(c, found->id, *number) : std::optional(found->active);
    if (!v) throw core::Error(core::ErrorKind::validation, "the prompt has no such version", {{"prompt.version", "no such version"}});
    return std::make_pair(*found, *v);
  });
  messages.push_back({ai::Role::user, ai::render(version.template_text, variables_of(version), values ? *values : json::object())});
  labels.prompt_name = found.name;
  labels.prompt_version = int(version.version);
  return messages;
}

json::object answer_json(const ai::ChatResponse& a) {
  json::array calls;
  for (const auto& call : a.tool_calls) calls.push_back({{"id", call.id}, {"name", call.name}, {"arguments", call.arguments}});
  return {{"provider", a.provider},
          {"model", a.model},
          {"content", a.content},
          {"json", a.json ? *a.json : json::value(nullptr)},
          {"tool_calls", std::move(calls)},
          {"finish_reason", a.finish_reason},
          {"usage", {{"input_tokens", a.usage.input_tokens}, {"output_tokens", a.usage.output_tokens}}},
          {"cost_usd", a.cost_usd},
          {"latency_ms", a.latency_ms},
          {"attempts", a.attempts}};
}

// A call made on behalf of an agent is labelled with it, and its budget (config.budget) applies.
std::variant<ai::CallGate::Place, ai::BudgetReached> admit_for_agent(Context& ctx, const std::string& agent_id,
                                                                      ai::CallLabels& labels) {
  auto agent = ctx.db.read([&](store::Connection& c) { return store::agents::find(c, agent_id); });
  if (!agent) throw core::validation_error("agent_id", "no agent has this id");
  labels.agent_id = agent_id;
  core::ObjectReader config(agent->config, "config");
  auto budget = ai::read_budget(config, "budget");
  auto spent = [&](std::int64_t since) {
    return ctx.db.read([&](store::Connection& c) { return store::ai_calls::spent(c, store::ai_calls::SpentBy::agent, agent_id, since); });
  };
  return ai::admit(budget, spent, service_of(ctx).gate(), "agent:" + agent_id);
}

json::object budget_event(const ai::BudgetReached& reached, const std::string& agent_id) {
  auto event = reached.to_json();
  event["agent_id"] = agent_id;
  event["task_id"] = nullptr;
  return event;
}

}  // namespace

void add_ai_routes(Context& ctx, http::Router& router) {
  secured(ctx, router, "GET", "/api/v1/ai/providers", Permission::read,
          [&ctx](Request&, const auth::Principal&) -> asio::awaitable<Response> {
            auto& service = service_of(ctx);
            json::array items;
            for (const auto& p : service.providers())
              items.push_back({{"name", p.name},
                               {"configured", p.configured},
                               {"key_source", ctx.ai_providers->takes_key(p.name) ? ctx.ai_providers->key_source(p.name) : "none"},
                               {"default_model", p.default_model},
                               {"base_url", ctx.ai_providers->base_url(p.name)},
                               {"circuit", ai::to_string(p.circuit)},
                               {"consecutive_failures", p.consecutive_failures},
                               {"last_error", p.last_error.empty() ? json::value(nullptr) : json::value(p.last_error)},
                               {"last_error_at", time_or_null(p.last_error_at_ms)},
                               {"open_until", time_or_null(p.open_until_ms)}});
            json::array order;
            for (const auto& name : ctx.config.ai_providers) order.push_back(json::string(name));
            co_return Response::json(200, {{"fallback_order", std::move(order)}, {"items", std::move(items)}});
          });

  // Write-only: the key is sealed with the master key at rest, and never answered, logged or
  // put in an event. A key from the environment wins, so storing one beside it is refused.
  secured(ctx, router, "PUT", "/api/v1/ai/providers/{name}/key", Permission::admin,
          [&ctx](Request& request, const auth::Principal& who) -> asio::awaitable<Response> {
            auto name = provider_param(ctx, request);
            auto body = json_body(request);
            core::ObjectReader r(body);
            auto key = r.string("api_key", true, 1000);
            if (key && key->find_first_of(" \t\r\n") != std::string::npos) r.error("api_key", "must not contain spaces or line breaks");
            if (key && key->empty()) r.error("api_key", "must not be empty");
            r.finish();
            if (ctx.ai_providers->key_from_environment(name))
              throw core::Error(core::ErrorKind::conflict, "the " + name + " key is set in the environment, which wins: change it there");
            auto sealed = auth::seal(ctx.master_key, *key);
            co_await write(ctx.db, [&](store::Tx& tx) {
              store::ai_provider_keys::put(tx.connection, name, sealed, who.user_id, core::now_ms());
              tx.emit("ai.providers.updated", json::object{{"provider", name}, {"key_source", "stored"}});
              audit(tx, request, who, "ai_providers.key_set", "ai_provider", name);
            });
            ctx.ai_providers->use_stored_key(name, *key);
            co_return Response::no_content();
          });

  secured(ctx, router, "DELETE", "/api/v1/ai/providers/{name}/key", Permission::admin,
          [&ctx](Request& request, const auth::Principal& who) -> asio::awaitable<Response> {
            auto name = provider_param(ctx, request);
            co_await write(ctx.db, [&](store::Tx& tx) {
              if (!store::ai_provider_keys::remove(tx.connection, name)) throw core::not_found("stored key of", name);
              tx.emit("ai.providers.updated", json::object{{"provider", name}, {"key_source", "none"}});
              audit(tx, request, who, "ai_providers.key_deleted", "ai_provider", name);
            });
            ctx.ai_providers->use_stored_key(name, "");
            co_return Response::no_content();
          });

  // One model call through the service (fallback, retries, schema check, usage recorded):
  // the dashboard's test run, and a way to try a provider from the command line.
  secured(ctx, router, "POST", "/api/v1/ai/chat", Permission::run_tasks,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            auto& service = service_of(ctx);
            auto body = json_body(request);
            core::ObjectReader r(body);
            ai::CallOptions options;
            ai::ChatRequest chat;
            chat.messages = read_messages(ctx, r, options.labels);
            options.provider = r.string("provider", false, 20).value_or("");
            options.model = r.string("model", false, 200).value_or("");
            if (const auto* schema = r.object("json_schema", false)) chat.json_schema = *schema;
            chat.max_tokens = r.integer("max_tokens", false, 1, 32000).value_or(chat.max_tokens);
            if (auto t = r.number("temperature", false)) {
              if (*t < 0 || *t > 2) r.error("temperature", "must be between 0 and 2");
              chat.temperature = *t;
            }
            auto agent_id = r.string("agent_id", false, 36);
            r.finish();
            // Held for the call: a budget's concurrent_calls counts it.
            std::optional<ai::CallGate::Place> place;
            if (agent_id) {
              auto admitted = admit_for_agent(ctx, *agent_id, options.labels);
              if (auto* reached = std::get_if<ai::BudgetReached>(&admitted)) {
                auto event = budget_event(*reached, *agent_id);
                co_await write(ctx.db, [&](store::Tx& tx) { tx.emit("agents.budget_exceeded", event); });
                throw core::Error(core::ErrorKind::budget_exceeded, reached->message());
              }
              place.emplace(std::move(std::get<ai::CallGate::Place>(admitted)));
            }
            auto answer = co_await service.chat(std::move(chat), std::move(options));
            co_return Response::json(200, answer_json(answer));
          });

  secured(ctx, router, "GET", "/api/v1/prompts", Permission::read,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            auto page = page_request(request);
            auto list = ctx.db.read([&](store::Connection& c) { return store::prompts::list(c, page); });
            co_return Response::json(200, page_json(list));
          });

  secured(ctx, router, "POST", "/api/v1/prompts", Permission::manage_prompts,
          [&ctx](Request& request, const auth::Principal& who) -> asio::awaitable<Response> {
            auto body = json_body(request);
            core::ObjectReader r(body);
            store::prompts::Prompt p;
            p.name = r.string("name", true, 100).value_or("");
            if (body.contains("name") && body.at("name").is_string() && !valid_prompt_name(p.name))
              r.error("name", "lowercase letters, digits, '_', '.' and '-', at most 100 characters");
            p.description = r.string("description", false, 2000).value_or("");
            p.active = read_version(r, body, who);
            r.finish();
            p.id = core::new_id();
            p.created_by = who.user_id;
            p.created_at = p.updated_at = p.active.created_at;
            auto created_prompt = co_await write(ctx.db, [&](store::Tx& tx) {
              if (store::prompts::find_by_name(tx.connection, p.name))
                throw core::Error(core::ErrorKind::conflict, "a prompt named '" + p.name + "' exists: add a version to it");
              store::prompts::insert(tx.connection, p);
              tx.emit("prompts.created", json::object{{"id", p.id}, {"name", p.name}, {"version", 1}});
              return with_versions(tx.connection, p);
            });
            co_return created(created_prompt, "/api/v1/prompts/" + p.id);
          });

  secured(ctx, router, "GET", "/api/v1/prompts/{id}", Permission::read,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "prompt");
            co_return Response::json(200, ctx.db.read([&](store::Connection& c) { return with_versions(c, find_prompt(c, id)); }));
          });

  secured(ctx, router, "DELETE", "/api/v1/prompts/{id}", Permission::manage_prompts,
          [&ctx](Request& request, const auth::Principal& who) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "prompt");
            co_await write(ctx.db, [&](store::Tx& tx) {
              if (!store::prompts::remove(tx.connection, id)) throw core::not_found("prompt", id);
              tx.emit("prompts.deleted", json::object{{"id", id}});
              audit(tx, request, who, "prompts.deleted", "prompt", id);
            });
            co_return Response::no_content();
          });

  // A new version, immutable like every other; active only when asked ("activate": true).
  secured(ctx, router, "POST", "/api/v1/prompts/{id}/versions", Permission::manage_prompts,
          [&ctx](Request& request, const auth::Principal& who) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "prompt");
            auto body = json_body(request);
            core::ObjectReader r(body);
            auto version = read_version(r, body, who);
            bool activate = r.boolean("activate", false).value_or(false);
            r.finish();
            auto prompt = co_await write(ctx.db, [&](store::Tx& tx) {
              find_prompt(tx.connection, id);
              auto number = store::prompts::add_version(tx.connection, id, version);
              if (activate) {
                store::prompts::activate(tx.connection, id, number, version.created_at);
                audit(tx, request, who, "prompts.activated", "prompt", id, {{"version", number}});
              }
              tx.emit("prompts.updated", json::object{{"id", id}, {"version", number}, {"activated", activate}});
              return with_versions(tx.connection, find_prompt(tx.connection, id));
            });
            co_return Response::json(201, prompt);
          });

  secured(ctx, router, "POST", "/api/v1/prompts/{id}/activate", Permission::manage_prompts,
          [&ctx](Request& request, const auth::Principal& who) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "prompt");
            auto body = json_body(request);
            core::ObjectReader r(body);
            auto version = r.integer("version", true, 1, 1000000);
            r.finish();
            auto prompt = co_await write(ctx.db, [&](store::Tx& tx) {
              find_prompt(tx.connection, id);
              if (!store::prompts::activate(tx.connection, id, *version, core::now_ms()))
                throw core::Error(core::ErrorKind::validation, "the prompt has no version " + std::to_string(*version),
                                  {{"version", "no such version"}});
              tx.emit("prompts.updated", json::object{{"id", id}, {"version", *version}, {"activated", true}});
              audit(tx, request, who, "prompts.activated", "prompt", id, {{"version", *version}});
              return with_versions(tx.connection, find_prompt(tx.connection, id));
            });
            co_return Response::json(200, prompt);
          });

  // A preview: the active version (or "version") rendered with the variables given.
  secured(ctx, router, "POST", "/api/v1/prompts/{id}/render", Permission::read,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "prompt");
            auto body = json_body(request);
            core::ObjectReader r(body);
            const auto* values = r.object("variables", true);
            auto number = r.integer("version", false, 1, 1000000);
            r.finish();
            auto [name, version] = ctx.db.read([&](store::Connection& c) {
              auto p = find_prompt(c, id);
              auto v = number ? store::prompts::version(c, id, *number) : std::optional(p.active);
              if (!v) throw core::not_found("prompt version", std::to_string(*number));
              return std::make_pair(p.name, *v);
            });
            auto text = ai::render(version.template_text, variables_of(version), *values);
            co_return Response::json(200, {{"name", name}, {"version", version.version}, {"text", text}});
          });

  secured(ctx, router, "GET", "/api/v1/ai/usage", Permission::read,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            auto group = request.query("group_by").value_or("model");
            auto known = std::find(usage_groups.begin(), usage_groups.end(), group);
            if (known == usage_groups.end())
              throw core::Error(core::ErrorKind::bad_request, "group_by must be agent, model, provider or day");
            auto to = time_query(request, "to", core::now_ms() + 1);
            auto from = time_query(request, "from", to - 30LL * 24 * 3600 * 1000);
            if (from >= to) throw core::Error(core::ErrorKind::bad_request, "from must be before to");
            auto by = static_cast<store::ai_calls::GroupBy>(known - usage_groups.begin());
            auto rows = ctx.db.read([&](store::Connection& c) { return store::ai_calls::usage(c, by, from, to); });
            json::array items;
            store::ai_calls::UsageRow total;
            double latency_sum = 0;
            for (const auto& row : rows) {
              items.push_back({{"key", row.key ? json::value(*row.key) : json::value(nullptr)},
                               {"requests", row.requests},
                               {"errors", row.errors},
                               {"input_tokens", row.input_tokens},
                               {"output_tokens", row.output_tokens},
                               {"cost_usd", row.cost_usd},
                               {"latency_ms_avg", row.latency_ms_avg}});
              total.requests += row.requests;
              total.errors += row.errors;
              total.input_tokens += row.input_tokens;
              total.output_tokens += row.output_tokens;
              total.cost_usd += row.cost_usd;
              latency_sum += row.latency_ms_avg * double(row.requests);
            }
            json::object totals{{"requests", total.requests},
                                {"errors", total.errors},
                                {"input_tokens", total.input_tokens},
                                {"output_tokens", total.output_tokens},
                                {"cost_usd", total.cost_usd},
                                {"latency_ms_avg", total.requests ? latency_sum / double(total.requests) : 0.0}};
            co_return Response::json(200, {{"group_by", group},
                                           {"from", core::format_timestamp(from)},
                                           {"to", core::format_timestamp(to)},
                                           {"items", std::move(items)},
                                           {"totals", std::move(totals)}});
          });

  // Tool calls of assistants waiting for a person (docs/ai.md, "Approvals").
  secured(ctx, router, "GET", "/api/v1/tool-approvals", Permission::read,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            auto page = page_request(request);
            std::optional<std::string> status;
            if (auto given = request.query("status")) {
              if (*given != "waiting" && *given != "approved" && *given != "rejected")
                throw core::Error(core::ErrorKind::bad_request, "status must be waiting, approved or rejected");
              status = std::string(*given);
            }
            auto list = ctx.db.read([&](store::Connection& c) { return store::tool_approvals::list(c, status, page); });
            co_return Response::json(200, page_json(list, store::tool_approvals::to_json));
          });

  secured(ctx, router, "GET", "/api/v1/tool-approvals/{id}", Permission::read,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "tool approval");
            auto found = ctx.db.read([&](store::Connection& c) { return store::tool_approvals::find(c, id); });
            if (!found) throw core::not_found("tool approval", id);
            co_return Response::json(200, store::tool_approvals::to_json(*found));
          });

  secured(ctx, router, "POST", "/api/v1/tool-approvals/{id}/approve", Permission::run_tasks,
          [&ctx](Request& request, const auth::Principal& who) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "tool approval");
            auto decision = read_decision(ctx, request, who);
            auto decided = co_await write(ctx.db, [&](store::Tx& tx) {
              auto a = store::tool_approvals::find(tx.connection, id);
              if (!a) throw core::not_found("tool approval", id);
              require_decider(who, a->role);
              auto task = store::tasks::find(tx.connection, a->task_id);
              if (task && model::is_terminal_task_status(task->status))
                throw core::Error(core::ErrorKind::conflict, "the assistant's task is already " + task->status);
              if (!store::tool_approvals::decide(tx.connection, id, decision.approved, decision.by, decision.comment, core::now_ms()))
                throw core::Error(core::ErrorKind::conflict, "this tool call was already " + a->status);
              auto now = store::tool_approvals::find(tx.connection, id);
              tx.emit("agents.tool_approval_decided", store::tool_approvals::to_json(*now));
              audit(tx, request, who, "tool_approvals.decided", "tool_approval", id,
                    {{"approved", decision.approved}, {"tool", now->tool}, {"task_id", now->task_id}});
              return *now;
            });
            co_return Response::json(200, store::tool_approvals::to_json(decided));
          });
}

}  // namespace de::api
