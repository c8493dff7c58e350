#pragma once
// What runs tasks for one agent: a built-in agent (agents/) or a remote agent connected over
// /ws/agents. The hub decides what runs where; an Executor only runs.
#include <boost/json/value.hpp>

#include <functional>
#include <string>

#include "model/model.hpp"

namespace de::hub {

struct Outcome {
  bool ok = false;
  boost::json::value output;
  std::string error;
  bool retryable = true;  // false: invalid input or unsupported work, retrying cannot help

  static Outcome success(boost::json::value output) { return {true, std::move(output), {}, false}; }
  static Outcome failure(std::string error, bool retryable) {
    return {false, nullptr, std::move(error), retryable};
  }
};

class Executor {
 public:
  virtual ~Executor() = default;
  // Starts `task`; calls `done` once, from any thread. After cancel() the call may still come
  // and is ignored.
  virtual void start(const model::Task& task, std::function<void(Outcome)> done) = 0;
  virtual void cancel(const std::string& task_id) = 0;
  // False once a remote agent has gone: its leases are then left to expire.
  virtual bool alive() const { return true; }
};

}  // namespace de::hub
