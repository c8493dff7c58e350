#include <mutex>
#include <unordered_map>

#include "api/audit.hpp"
#include "api/context.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"

namespace de::api {

namespace {
using auth::Permission;

model::Agent find_agent(store::Connection& c, const std::string& id) {
  auto agent = store::agents::find(c, id);
  if (!agent) throw core::not_found("agent", id);
  return *agent;
}

void ensure_unique_name(store::Connection& c, const model::Agent& agent) {
  auto other = store::agents::find_by_name(c, agent.name);
  if (other && other->id != agent.id)
    throw core::Error(core::ErrorKind::conflict, "an agent named \"" + agent.name + "\" already exists");
}

// Fields a client may set on create (all) or update (all but type).
void read_agent_fields(core::ObjectReader& r, model::Agent& agent, bool creating) {
  if (auto name = r.string("name", creating, 100)) agent.name = *name;
  if (creating) {
    if (auto type = r.choice("type", true, model::agent_types)) agent.type = *type;
  }
  if (auto version = r.string("version", false, 50)) agent.version = *version;
  if (auto caps = r.strings("capabilities", false)) agent.capabilities = *caps;
  else if (creating) agent.capabilities = model::default_capabilities(agent.type);
  if (const auto* config = r.object("config", false)) agent.config = *config;
}

// start/pause/stop: the target status, and the event that records it.
void add_control(Context& ctx, http::Router& router, const std::string& action, std::string status) {
  secured(ctx, router, "POST", "/api/v1/agents/{id}/" + action, Permission::control_agents,
          [&ctx, status](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "agent");
            auto agent = co_await write(ctx.db, [&](store::Tx& tx) {
              auto a = find_agent(tx.connection, id);
              if (a.status != status) {
                a.status = status;
                a.updated_at = core::now_ms();
                store::agents::update(tx.connection, a);
                tx.emit("agents.updated", model::to_json(a));
              }
              return a;
            });
            co_return Response::json(200, model::to_json(agent));
          });
}

// The agent list is what dashboards and remote agents poll. A page stays true until the next
// write batch this node commits, or the next event in the log the WebSocket clients read: on
// PostgreSQL that log has every node's events, and every change of an agent row (its counters
// too) is written with one. So its JSON is kept per request target until either moves; another
// node's change shows as soon as this node has read its event (within 100 ms).
class AgentListCache {
 public:
  using Version = std::pair<std::uint64_t, std::int64_t>;  // batches committed, last event read
  std::optional<std::string> find(const std::string& target, Version version) {
    std::lock_guard lock(mutex_);
    if (version != version_) return std::nullopt;
    auto it = bodies_.find(target);
    return it == bodies_.end() ? std::nullopt : std::optional(it->second);
  }
  // `version` is what was seen before the page was read: a write since makes it stale.
  void store(const std::string& target, Version version, const std::string& body) {
    std::lock_guard lock(mutex_);
    if (version != version_) {
      version_ = version;
      bodies_.clear();
    }
    if (bodies_.size() >= 256) bodies_.clear();
    bodies_[target] = body;
  }

 private:
  std::mutex mutex_;
  Version version_{0, 0};
  std::unordered_map<std::string, std::string> bodies_;
};

}  // namespace

void add_agent_routes(Context& ctx, http::Router& router) {
  auto list_cache = std::make_shared<AgentListCache>();
  secured(ctx, router, "GET", "/api/v1/agents", Permission::read,
          [&ctx, list_cache](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            AgentListCache::Version version{ctx.db.batches_committed(), ctx.notifications.last_event_id()};
            if (auto body = list_cache->find(request.target, version)) {
              Response cached;
              cached.body = std::move(*body);
              co_return cached;
            }
            auto page = page_request(request);
            store::agents::Filter filter{request.query("status"), request.query("type")};
            if (filter.status && std::find(model::agent_statuses.begin(), model::agent_statuses.end(),
                                           *filter.status) == model::agent_statuses.end())
              throw core::Error(core::ErrorKind::bad_request, "status must be one of idle, busy, paused, stopped, offline, error");
            auto agents = ctx.db.read([&](store::Connection& c) { return store::agents::list(c, filter, page); });
            auto response = Response::json(200, page_json(agents));
            list_cache->store(request.target, version, response.body);
            co_return response;
          });

  secured(ctx, router, "POST", "/api/v1/agents", Permission::manage_agents,
          [&ctx](Request& request, const auth::Principal& who) -> asio::awaitable<Response> {
            auto body = json_body(request);
            model::Agent agent;
            core::ObjectReader r(body);
            read_agent_fields(r, agent, true);
            r.finish();
            agent.id = core::new_id();
            agent.created_by = who.user_id;
            agent.created_at = agent.updated_at = core::now_ms();
            co_await write(ctx.db, [&](store::Tx& tx) {
              ensure_unique_name(tx.connection, agent);
              store::agents::insert(tx.connection, agent);
              tx.emit("agents.created", model::to_json(agent));
            });
            co_return created(model::to_json(agent), "/api/v1/agents/" + agent.id);
          });

  secured(ctx, router, "GET", "/api/v1/agents/{id}", Permission::read,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "agent");
            auto agent = ctx.db.read([&](store::Connection& c) { return find_agent(c, id); });
            co_return Response::json(200, model::to_json(agent));
          });

  secured(ctx, router, "PATCH", "/api/v1/agents/{id}", Permission::manage_agents,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "agent");
            auto body = json_body(request);
            auto agent = co_await write(ctx.db, [&](store::Tx& tx) {
              auto a = find_agent(tx.connection, id);
              core::ObjectReader r(body);
              read_agent_fields(r, a, false);
              r.finish();
              a.updated_at = core::now_ms();
              ensure_unique_name(tx.connection, a);
              store::agents::update(tx.connection, a);
              tx.emit("agents.updated", model::to_json(a));
              return a;
            });
            co_return Response::json(200, model::to_json(agent));
          });

  secured(ctx, router, "DELETE", "/api/v1/agents/{id}", Permission::manage_agents,
          [&ctx](Request& request, const auth::Principal& who) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "agent");
            co_await write(ctx.db, [&](store::Tx& tx) {
              if (!store::agents::remove(tx.connection, id)) throw core::not_found("agent", id);
              tx.emit("agents.deleted", json::object{{"id", id}});
              audit(tx, request, who, "agents.deleted", "agent", id);
            });
            co_return Response::no_content();
          });

  add_control(ctx, router, "start", "idle");
  add_control(ctx, router, "pause", "paused");
  add_control(ctx, router, "stop", "stopped");
}

}  // namespace de::api
