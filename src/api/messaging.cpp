#include "api/messaging.hpp"

#include <boost/json.hpp>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/json.hpp"
#include "store/repositories.hpp"

namespace de::api {

void AgentConnections::add(const std::string& agent_id, std::shared_ptr<http::WebSocket> socket) {
  std::lock_guard lock(mutex_);
  sockets_[agent_id] = socket;
}

void AgentConnections::remove(const std::string& agent_id, const http::WebSocket* socket) {
  std::lock_guard lock(mutex_);
  auto it = sockets_.find(agent_id);
  if (it != sockets_.end() && it->second.lock().get() == socket) sockets_.erase(it);
}

std::shared_ptr<http::WebSocket> AgentConnections::find(const std::string& agent_id) const {
  std::lock_guard lock(mutex_);
  auto it = sockets_.find(agent_id);
  return it == sockets_.end() ? nullptr : it->second.lock();
}

model::Message read_message(const boost::json::object& body, std::optional<std::string> from_agent) {
  core::ObjectReader r(body);
  model::Message m;
  m.id = core::new_id();
  if (!from_agent) {
    from_agent = r.string("from_agent", false, 36);
    if (from_agent && !core::is_uuid(*from_agent)) r.error("from_agent", "must be an agent id (UUID)");
  }
  m.from_agent = from_agent;
  m.to_agent = r.string("to_agent", true, 36).value_or("");
  if (!m.to_agent.empty() && !core::is_uuid(m.to_agent)) r.error("to_agent", "must be an agent id (UUID)");
  m.message_type = r.string("message_type", true, 100).value_or("");
  const auto* payload = r.any("payload", false);
  m.payload = payload ? *payload : boost::json::value(boost::json::object());
  if (core::to_text(m.payload).size() > 256 * 1024) r.error("payload", "must be at most 256 KiB");
  r.finish();
  m.sent_at = core::now_ms();
  return m;
}

void check_message_agents(store::Connection& c, const model::Message& m) {
  if (!store::agents::find(c, m.to_agent)) throw core::validation_error("to_agent", "no agent has this id");
  if (m.from_agent && !store::agents::find(c, *m.from_agent))
    throw core::validation_error("from_agent", "no agent has this id");
}

void store_message(store::Tx& tx, const model::Message& message) {
  check_message_agents(tx.connection, message);
  store::messages::insert(tx.connection, message);
  tx.emit("messages.sent", model::to_json(message));
}

void deliver(store::Database& db, const AgentConnections& connections, const model::Message& m) {
  auto socket = connections.find(m.to_agent);
  if (!socket) return;  // stays "sent"; the agent reads it through the API
  boost::json::object wire{{"type", "message"},
                           {"id", m.id},
                           {"from_agent", m.from_agent ? boost::json::value(*m.from_agent) : boost::json::value(nullptr)},
                           {"message_type", m.message_type},
                           {"payload", m.payload}};
  socket->send(core::to_text(wire));
  db.write(
      [id = m.id](store::Tx& tx) {
        if (store::messages::mark_delivered(tx.connection, id, core::now_ms()))
          if (auto stored = store::messages::find(tx.connection, id)) tx.emit("messages.delivered", model::to_json(*stored));
      },
      nullptr);
}

}  // namespace de::api
