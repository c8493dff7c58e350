#pragma once
// OrchestrationHub: routes queued tasks to the best agent, keeps them durable under leases,
// retries with backoff, times out, cancels, and recovers after a crash (DESIGN.md §4).
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <unordered_map>

#include "bus/router.hpp"
#include "hub/executor.hpp"
#include "store/database.hpp"

namespace de::hub {

struct HubOptions {
  std::string node_id;
  std::chrono::milliseconds lease{30000};         // how long a claim lives without renewal
  std::chrono::milliseconds scan_interval{1000};  // queue rescan and lease reaping
  int default_concurrency = 8;                    // per agent, unless config.max_concurrency
  bool single_node = true;  // SQLite: running tasks at start-up belonged to a dead process
  std::chrono::milliseconds backoff_base{500};
  std::chrono::milliseconds backoff_max{60000};
};

class OrchestrationHub {
 public:
  using ExecutorFactory = std::function<std::shared_ptr<Executor>(const model::Agent&)>;

  OrchestrationHub(boost::asio::io_context& io, store::Database& db, bus::MessageRouter& bus,
                   HubOptions options, ExecutorFactory builtin);
  ~OrchestrationHub();

  // Loads agents and the queue, recovers orphaned tasks, and starts dispatching.
  void start();
  void stop();

  // A remote agent's connection (issue: /ws/agents). Detaching leaves its tasks' leases to expire.
  void attach(const std::string& agent_id, std::shared_ptr<Executor> executor, int max_concurrency);
  void detach(const std::string& agent_id);

  // Inside a writer job: stores a new task with its `tasks.created` event. When an agent that
  // can run it has room and no such task is waiting, the task goes to that agent in the same
  // transaction (running, attempt 1, and `tasks.running`) and starts once the transaction is
  // durable; else it stays queued for the dispatcher. Saves a claim transaction per task.
  // Returns the task's JSON as stored (to answer with).
  std::string submit(store::Tx& tx, model::Task& task, const std::optional<std::string>& idempotency_key = {},
                     const std::optional<std::string>& request_hash = {});

  // Calls `done` (from any thread) with the task's JSON when it reaches completed, failed or
  // cancelled. Register before the task can finish; forget() when no longer interested.
  std::uint64_t wait_for(const std::string& task_id, std::function<void(const boost::json::value&)> done);
  void forget(std::uint64_t waiter);

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace de::hub
