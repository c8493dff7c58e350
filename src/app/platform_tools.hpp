#pragma once
// The platform's own tools for assistants (docs/ai.md, "Tools"): start a workflow, send a
// message to another agent. Each runs inside the transaction that keeps the run's step.
#include <vector>

#include "agents/assistant.hpp"
#include "workflow/engine.hpp"

namespace de::app {

std::vector<agents::PlatformTool> platform_tools(workflow::WorkflowEngine& workflows);

}  // namespace de::app
