#pragma once
// The `assistant` agent type (docs/ai.md, "Tool-using agents"): runs `assistant.run` tasks
// ({"prompt"}) in a loop where the model answers or asks for tools. A tool is a task type of
// another agent (the hub runs the task) or one of the platform's own tools; a tool marked
// `requires_approval` waits for a person's decision. Every step (model call, approval, tool
// call with its result) is an `agents.steps` event as it happens, part of the task's output
// ({"answer","steps","stopped"}), and kept in the store while the run lasts, so that a run
// resumes after a crash where it was, without running a tool twice.
#include <boost/asio/io_context.hpp>
#include <boost/json/object.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ai/service.hpp"
#include "hub/hub.hpp"

namespace de::agents {

// A tool of the platform itself ("platform.start_workflow", ...): run inside a write
// transaction for the assistant task `caller`, with arguments valid against `parameters`;
// its answer goes back to the model. Throws core::Error for arguments it cannot use.
struct PlatformTool {
  std::string name, description;
  boost::json::value parameters;  // JSON Schema
  std::function<boost::json::object(store::Tx& tx, const boost::json::object& arguments, const model::Task& caller)> run;
};

struct AssistantServices {
  boost::asio::io_context& io;
  store::Database& db;
  hub::OrchestrationHub& hub;
  ai::AiService& ai;
  const std::vector<PlatformTool>& platform_tools;
};

// An executor for the assistant agent `agent_id`; its runs are coroutines on the I/O threads
// (a model call, a tool task or an approval parks no thread).
std::shared_ptr<hub::Executor> make_assistant(const std::string& agent_id, AssistantServices services);

}  // namespace de::agents
