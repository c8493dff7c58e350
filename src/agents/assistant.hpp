#pragma once
// The `assistant` agent type (docs/ai.md, "Tool-using agents"): runs `assistant.run` tasks
// ({"prompt"}) in a loop where the model answers or asks for tools, and each tool is a task of
// another agent that the hub runs. Its config: provider, model, system_prompt, tools (task
// types), max_steps. Every step (model call, tool call, tool result) is an `agents.steps`
// event as it happens and part of the task's output ({"answer","steps","stopped"}).
#include <boost/asio/io_context.hpp>

#include <memory>

#include "ai/service.hpp"
#include "hub/hub.hpp"

namespace de::agents {

struct AssistantServices {
  boost::asio::io_context& io;
  store::Database& db;
  hub::OrchestrationHub& hub;
  ai::AiService& ai;
};

// An executor for the assistant agent `agent_id`; its runs are coroutines on the I/O threads
// (a model call or a tool task parks no thread).
std::shared_ptr<hub::Executor> make_assistant(const std::string& agent_id, AssistantServices services);

}  // namespace de::agents
