#pragma once
// Messages between agents: stored in `messages`, delivered at once to a connected remote agent.
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "http/websocket.hpp"
#include "model/model.hpp"
#include "store/database.hpp"

namespace de::api {

// Remote agents connected over /ws/agents, by agent id.
class AgentConnections {
 public:
  void add(const std::string& agent_id, std::shared_ptr<http::WebSocket> socket);
  void remove(const std::string& agent_id, const http::WebSocket* socket);
  std::shared_ptr<http::WebSocket> find(const std::string& agent_id) const;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::weak_ptr<http::WebSocket>> sockets_;
};

// Validates a message body ({"to_agent","message_type","payload"?, "from_agent"?}); throws a
// validation error naming the field. Checks that the agents exist inside `tx`.
model::Message read_message(const boost::json::object& body, std::optional<std::string> from_agent);
void check_message_agents(store::Connection& c, const model::Message& message);
void store_message(store::Tx& tx, const model::Message& message);
// After the message is stored: hands it to its target when connected, and records delivery.
void deliver(store::Database& db, const AgentConnections& connections, const model::Message& message);

}  // namespace de::api
