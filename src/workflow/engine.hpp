#pragma once
// WorkflowEngine: durable, step-by-step executions of workflow definitions. Every transition
// of an execution runs inside a job of the store's single writer, with its events, so an
// execution survives kill -9 at any point: on start-up the engine re-evaluates unfinished
// executions from their stored steps; no completed step runs again.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "ai/service.hpp"
#include "bus/router.hpp"
#include "hub/hub.hpp"
#include "store/database.hpp"
#include "workflow/definition.hpp"

namespace de::integrations {
class Connectors;
}

namespace de::workflow {

class WorkflowEngine {
 public:
  // Task steps' tasks go to `hub` (placed on an agent at once when one has room); llm steps
  // call `ai` (without it they fail, saying so).
  WorkflowEngine(boost::asio::io_context& io, store::Database& db, bus::MessageRouter& bus, hub::OrchestrationHub& hub,
                 ai::AiService* ai = nullptr);
  ~WorkflowEngine();

  // Subscribes to task and workflow events, resumes unfinished executions, arms delays and
  // schedules, and listens for event triggers.
  void start();
  void stop();

  // --- inside a writer job (store::Tx) ---
  // Creates an execution of `workflow` and runs it as far as it goes now.
  model::Execution start_execution(store::Tx& tx, const model::Workflow& workflow, boost::json::value input,
                                   const std::string& trigger, const std::optional<std::string>& user);
  // Approves or rejects a waiting approval step; returns the execution afterwards.
  model::Execution decide(store::Tx& tx, const std::string& execution_id, const std::string& step_id, bool approved,
                          const std::string& by, const std::string& comment);
  model::Execution cancel(store::Tx& tx, const std::string& execution_id);

  // Integration steps call vendors through `connectors`, with credentials unsealed under
  // `master_key` (without it they fail, saying so). Before start().
  void use_integrations(integrations::Connectors& connectors, std::string master_key);

  // Re-reads the event and schedule triggers (after a workflow is saved or deleted).
  void reload_triggers();

  // Calls `done` (any thread) with the execution's final event data once it has finished.
  std::uint64_t wait_for(const std::string& execution_id, std::function<void(const boost::json::value&)> done);
  void forget(std::uint64_t waiter);

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace de::workflow
