#pragma once
// BaseAgent: the seed's five steps of every agent's work on one task. The hub stores the
// result and publishes completion; agents override the steps they need.
#include <boost/json/value.hpp>

#include <atomic>
#include <memory>

#include "hub/executor.hpp"
#include "model/model.hpp"

namespace de::agents {

class BaseAgent {
 public:
  virtual ~BaseAgent() = default;

  // Runs the five steps in order. A core::Error of kind validation, not_found, conflict or
  // not_implemented is a permanent failure; any other exception may be retried.
  hub::Outcome run(const model::Task& task, const std::atomic<bool>& cancelled);

  // True for work that never waits (no I/O, no AI call, microseconds of CPU): it runs where
  // the hub starts it, sparing two hand-offs to and from the worker pool.
  virtual bool instant() const { return false; }

 protected:
  // 1. Reject input the agent cannot work with (throw core::validation_error).
  virtual void validate_input(const model::Task& task) = 0;
  // 2. Ask an AI provider when the task needs one; null when it does not.
  virtual boost::json::value process_with_ai(const model::Task& task);
  // 3. The agent's own work, given the AI's answer.
  virtual boost::json::value execute_business_logic(const model::Task& task, const boost::json::value& ai_output) = 0;
  // 4. Persist domain results the agent owns (leads, content...); returns the task's output.
  virtual boost::json::value store_results(const model::Task& task, boost::json::value output);
  // 5. Tell others (messages to agents, notifications); the hub already publishes tasks.*.
  virtual void notify_completion(const model::Task& task, const boost::json::value& output);
};

}  // namespace de::agents
