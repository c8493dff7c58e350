// /ws/notifications (live events with replay) and /ws/agents (remote agents), DESIGN.md §6.
#include <mutex>

#include "api/context.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"
#include "store/retention.hpp"

namespace de::api {

namespace {

std::string message_json(const json::object& fields) { return core::to_text(fields); }

std::string error_message(std::string_view text) { return message_json({{"type", "error"}, {"message", text}}); }

// A client's message: a JSON object with a string "type". Otherwise tells the client why and
// returns nothing.
std::optional<json::object> parse_client_message(http::WebSocket& socket, std::string_view text) {
  boost::system::error_code ec;
  auto value = json::parse(text, ec);
  if (ec || !value.is_object()) {
    socket.send(error_message("messages must be JSON objects"));
    return std::nullopt;
  }
  if (core::find_nul(value)) {
    socket.send(error_message("strings must not contain the NUL character (U+0000)"));
    return std::nullopt;
  }
  auto type = value.get_object().if_contains("type");
  if (!type || !type->is_string()) {
    socket.send(error_message("a message needs a string \"type\""));
    return std::nullopt;
  }
  return std::move(value.get_object());
}

// Browsers cannot set headers on a WebSocket: the token may come as ?access_token=.
auth::Principal authenticate_socket(Context& ctx, Request& request) {
  if (auto token = request.query("access_token"); token && request.header("authorization").empty())
    request.headers.emplace_back("authorization", "Bearer " + *token);
  return authenticate(ctx, request);
}

// ---- /ws/notifications ----------------------------------------------------------------------
constexpr std::int64_t max_replay = 100000;

class NotificationSession : public std::enable_shared_from_this<NotificationSession> {
 public:
  NotificationSession(Context& ctx, std::shared_ptr<http::WebSocket> socket) : ctx_(ctx), socket_(socket) {}

  void open() {
    subscription_ = ctx_.notifications.subscribe({"*"}, [weak = weak_from_this()](const model::Event& e) {
      if (auto self = weak.lock()) self->on_event(e);
    });
  }

  void close() { ctx_.notifications.unsubscribe(subscription_); }

  void on_message(std::string_view text) {
    auto socket = socket_.lock();
    if (!socket) return;
    auto message = parse_client_message(*socket, text);
    if (!message) return;
    const auto& type = message->at("type");
    if (type == "ping") return socket->send(message_json({{"type", "pong"}}));
    if (type == "unsubscribe") {
      std::lock_guard lock(mutex_);
      patterns_.clear();
      return socket->send(message_json({{"type", "unsubscribed"}}));
    }
    if (type != "subscribe") return socket->send(error_message("unknown message type; use subscribe, unsubscribe or ping"));
    subscribe(*socket, *message);
  }

 private:
  void subscribe(http::WebSocket& socket, const json::object& message) {
    std::vector<std::string> patterns;
    auto topics = message.if_contains("topics");
    if (!topics || !topics->is_array() || topics->get_array().empty() || topics->get_array().size() > 50)
      return socket.send(error_message("topics must be an array of 1 to 50 topic patterns, e.g. [\"tasks.*\"]"));
    for (const auto& t : topics->get_array()) {
      if (!t.is_string() || t.get_string().empty() || t.get_string().size() > 200)
        return socket.send(error_message("each topic must be a non-empty string"));
      patterns.emplace_back(t.get_string());
    }
    std::optional<std::int64_t> since;
    if (auto s = message.if_contains("since"); s && !s->is_null()) {
      if (!s->is_int64() || s->get_int64() < 0)
        return socket.send(error_message("since must be a non-negative event id"));
      since = s->get_int64();
      // Events up to the retention's mark are gone: a replay from before it would be short.
      auto pruned = ctx_.db.read([](store::Connection& c) { return store::events_pruned_through(c); });
      if (*since < pruned)
        return socket.send(message_json(
            {{"type", "error"},
             {"code", "resync_required"},
             {"message", "the events after since were partly deleted by the retention (DE_RETENTION_EVENTS_DAYS); "
                         "reload the state you keep, then subscribe again with since at or after oldest_since"},
             {"oldest_since", pruned},
             {"last_event_id", ctx_.notifications.last_event_id()}}));
    }
    {
      std::lock_guard lock(mutex_);
      patterns_ = patterns;
      replaying_ = since.has_value();
    }
    socket.send(message_json({{"type", "subscribed"},
                              {"topics", json::value_from(patterns)},
                              {"last_event_id", ctx_.notifications.last_event_id()}}));
    if (since) replay(socket, *since);
  }

  // Sends what the log holds after `since` up to the last event published, then what arrived
  // live meanwhile, without gap or duplicate: live events wait in `buffered_` until the replay
  // has caught up. (Later ids come live: on PostgreSQL, the log may already hold an id above
  // one another node has yet to commit, and the live stream keeps them in order.)
  void replay(http::WebSocket& socket, std::int64_t since) {
    std::int64_t cursor = since, sent = 0;
    const auto until = ctx_.notifications.last_event_id();
    try {
      bool caught_up = cursor >= until;
      while (!caught_up && sent < max_replay) {
        auto page = ctx_.db.events_since(cursor, 1000);
        caught_up = page.empty();
        for (const auto& e : page) {
          if (e.id > until) {
            caught_up = true;
            break;
          }
          cursor = e.id;
          if (matches(e.topic)) socket.send(e.wire), ++sent;
        }
        caught_up = caught_up || cursor >= until;
      }
    } catch (const std::exception& e) {
      socket.send(error_message(std::string("replay failed: ") + e.what()));
    }
    if (sent >= max_replay)
      socket.send(error_message("replay stopped after 100000 events; subscribe again with a later since"));
    std::lock_guard lock(mutex_);
    for (const auto& e : buffered_)
      if (e.id > cursor) socket.send(e.wire), cursor = e.id;
    buffered_.clear();
    delivered_up_to_ = cursor;
    replaying_ = false;
  }

  bool matches(const std::string& topic) const {
    for (const auto& p : patterns_)
      if (bus::topic_matches(p, topic)) return true;
    return false;
  }

  void on_event(const model::Event& e) {
    std::lock_guard lock(mutex_);
    if (!matches(e.topic)) return;
    if (replaying_) return buffered_.push_back(e);
    if (e.id <= delivered_up_to_) return;
    if (auto socket = socket_.lock()) socket->send(e.wire);
  }

  Context& ctx_;
  std::weak_ptr<http::WebSocket> socket_;
  std::uint64_t subscription_ = 0;
  std::mutex mutex_;
  std::vector<std::string> patterns_;
  bool replaying_ = false;
  std::vector<model::Event> buffered_;
  std::int64_t delivered_up_to_ = 0;
};

// ---- /ws/agents -----------------------------------------------------------------------------
// Runs the hub's tasks on a remote agent: sends them over the socket, takes the results back.
class RemoteExecutor final : public hub::Executor {
 public:
  explicit RemoteExecutor(std::weak_ptr<http::WebSocket> socket) : socket_(std::move(socket)) {}

  void start(const model::Task& task, std::function<void(hub::Outcome)> done) override {
    auto socket = socket_.lock();
    if (!socket || !socket->is_open()) return done(hub::Outcome::failure("the remote agent disconnected", true));
    {
      std::lock_guard lock(mutex_);
      pending_[task.id] = std::move(done);
    }
    socket->send(core::to_text(json::object{{"type", "task"}, {"task", model::to_json(task)}}));
  }

  void cancel(const std::string& task_id) override {
    bool held;
    {
      std::lock_guard lock(mutex_);
      held = pending_.erase(task_id) > 0;
    }
    if (auto socket = socket_.lock(); socket && held)
      socket->send(message_json({{"type", "cancel"}, {"task_id", task_id}}));
  }

  bool alive() const override {
    auto socket = socket_.lock();
    return socket && socket->is_open();
  }

  // False when this agent does not hold the task.
  bool finish(const std::string& task_id, hub::Outcome outcome) {
    std::function<void(hub::Outcome)> done;
    {
      std::lock_guard lock(mutex_);
      auto it = pending_.find(task_id);
      if (it == pending_.end()) return false;
      done = std::move(it->second);
      pending_.erase(it);
    }
    done(std::move(outcome));
    return true;
  }

 private:
  std::weak_ptr<http::WebSocket> socket_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::function<void(hub::Outcome)>> pending_;
};

class AgentSession : public std::enable_shared_from_this<AgentSession> {
 public:
  AgentSession(Context& ctx, std::shared_ptr<http::WebSocket> socket, auth::Principal who)
      : ctx_(ctx), socket_(socket), who_(std::move(who)), executor_(std::make_shared<RemoteExecutor>(socket)) {}

  void on_message(std::string_view text) {
    auto socket = socket_.lock();
    if (!socket) return;
    auto message = parse_client_message(*socket, text);
    if (!message) return;
    const auto& m = *message;
    const auto* type = &m.at("type");
    try {
      if (*type == "register") return register_agent(*socket, m);
      if (*type == "heartbeat") return socket->send(message_json({{"type", "heartbeat_ack"}}));
      std::string agent_id = registered_id();
      if (agent_id.empty()) return socket->send(error_message("register first"));
      if (*type == "result") return result(*socket, m);
      if (*type == "message") return send_message(*socket, m, agent_id);
      socket->send(error_message("unknown message type; use register, result, heartbeat or message"));
    } catch (const core::Error& e) {
      socket->send(error_message(e.what()));
    }
  }

  void on_close() {
    auto agent_id = registered_id();
    if (agent_id.empty()) return;
    ctx_.connections.remove(agent_id, nullptr);
    ctx_.hub.detach(agent_id);
    // Offline: the hub gives the agent's running tasks back to the queue.
    ctx_.db.write(
        [agent_id](store::Tx& tx) {
          auto a = store::agents::find(tx.connection, agent_id);
          if (!a || (a->status != "idle" && a->status != "busy")) return;
          a->status = "offline";
          a->updated_at = core::now_ms();
          store::agents::update(tx.connection, *a);
          tx.emit("agents.updated", model::to_json(*a));
        },
        nullptr);
  }

 private:
  std::string registered_id() {
    std::lock_guard lock(mutex_);
    return agent_id_;
  }

  void register_agent(http::WebSocket& socket, const json::object& m) {
    if (!registered_id().empty() || registering_) return socket.send(error_message("already registered"));
    core::ObjectReader r(m);
    r.string("type", true);
    auto name = r.string("name", true, 100);
    auto capabilities = r.strings("capabilities", true);
    auto max_concurrency = r.integer("max_concurrency", false, 1, 1000).value_or(1);
    r.finish();
    registering_ = true;
    auto self = shared_from_this();
    auto agent = std::make_shared<model::Agent>();
    ctx_.db.write(
        [agent, name = *name, capabilities = *capabilities, user = who_.user_id](store::Tx& tx) {
          auto now = core::now_ms();
          auto existing = store::agents::find_by_name(tx.connection, name);
          if (existing && existing->type != "remote")
            throw core::Error(core::ErrorKind::conflict, "the name \"" + name + "\" belongs to a built-in agent");
          if (existing) {
            *agent = *existing;
            agent->capabilities = capabilities;
            agent->status = "idle";
            agent->updated_at = now;
            store::agents::update(tx.connection, *agent);
            tx.emit("agents.updated", model::to_json(*agent));
          } else {
            agent->id = core::new_id();
            agent->name = name;
            agent->type = "remote";
            agent->capabilities = capabilities;
            agent->created_by = user;
            agent->created_at = agent->updated_at = now;
            store::agents::insert(tx.connection, *agent);
            tx.emit("agents.created", model::to_json(*agent));
          }
        },
        [self, agent, max_concurrency](std::exception_ptr error) {
          self->registering_ = false;
          auto socket = self->socket_.lock();
          if (!socket) return;
          if (error) {
            try {
              std::rethrow_exception(error);
            } catch (const std::exception& e) {
              socket->send(error_message(e.what()));
            }
            return;
          }
          {
            std::lock_guard lock(self->mutex_);
            self->agent_id_ = agent->id;
          }
          self->ctx_.connections.add(agent->id, socket);
          self->ctx_.hub.attach(agent->id, self->executor_, int(max_concurrency));
          socket->send(message_json({{"type", "registered"}, {"agent_id", agent->id}}));
        });
  }

  void result(http::WebSocket& socket, const json::object& m) {
    core::ObjectReader r(m);
    r.string("type", true);
    auto task_id = r.string("task_id", true, 36);
    static constexpr std::string_view statuses[] = {"completed", "failed"};
    auto status = r.choice("status", true, statuses);
    const auto* output = r.any("output_data", false);
    auto error = r.string("error", false, 10000);
    r.finish();
    auto outcome = *status == "completed" ? hub::Outcome::success(output ? *output : json::value(json::object()))
                                          : hub::Outcome::failure(error.value_or("the remote agent reported a failure"), true);
    if (!executor_->finish(*task_id, std::move(outcome)))
      socket.send(error_message("task " + *task_id + " is not held by this agent"));
  }

  void send_message(http::WebSocket&, const json::object& m, const std::string& agent_id) {
    json::object body = m;
    body.erase("type");
    auto message = read_message(body, agent_id);
    auto& ctx = ctx_;
    ctx_.db.write([message](store::Tx& tx) { store_message(tx, message); },
                  [&ctx, message, weak = socket_](std::exception_ptr error) {
                    if (!error) return deliver(ctx.db, ctx.connections, message);
                    if (auto socket = weak.lock()) {
                      try {
                        std::rethrow_exception(error);
                      } catch (const std::exception& e) {
                        socket->send(error_message(e.what()));
                      }
                    }
                  });
  }

  Context& ctx_;
  std::weak_ptr<http::WebSocket> socket_;
  auth::Principal who_;
  std::shared_ptr<RemoteExecutor> executor_;
  std::mutex mutex_;
  std::string agent_id_;
  std::atomic<bool> registering_{false};
};

}  // namespace

void add_websocket_routes(Context& ctx, http::Router& router) {
  router.add_websocket("/ws/notifications", [&ctx](Request& request, std::shared_ptr<http::WebSocket> socket) {
    auto who = authenticate_socket(ctx, request);
    if (!auth::allowed(who.roles, auth::Permission::read))
      throw core::Error(core::ErrorKind::forbidden, "your role may not read events");
    auto session = std::make_shared<NotificationSession>(ctx, socket);
    session->open();
    return http::WebSocketHandlers{[session](std::string_view text) { session->on_message(text); },
                                   [session] { session->close(); }};
  });

  router.add_websocket("/ws/agents", [&ctx](Request& request, std::shared_ptr<http::WebSocket> socket) {
    auto who = authenticate_socket(ctx, request);
    if (!auth::allowed(who.roles, auth::Permission::agent_protocol))
      throw core::Error(core::ErrorKind::forbidden, "the agent protocol needs the agent role");
    auto session = std::make_shared<AgentSession>(ctx, socket, who);
    return http::WebSocketHandlers{[session](std::string_view text) { session->on_message(text); },
                                   [session] { session->on_close(); }};
  });
}

}  // namespace de::api
