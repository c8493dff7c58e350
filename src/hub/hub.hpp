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
#include "store/repositories.hpp"

namespace de::hub {

struct HubOptions {
  std::string node_id;
  std::chrono::milliseconds lease{30000};         // how long a claim lives without renewal
  std::chrono::milliseconds scan_interval{1000};  // queue rescan and lease reaping
  int default_concurrency = 8;                    // per agent, unless config.max_concurrency
  bool single_node = true;  // SQLite: running tasks at start-up belonged to a dead process
  std::chrono::milliseconds backoff_base{500};
  std::chrono::milliseconds backoff_max{60000};
  // An agent's busy/idle status is stored at most this often, its latest state winning.
  std::chrono::milliseconds activity_interval{1000};
  // Queued tasks held in memory per ready queue (a type, or an agent's pinned tasks); the rest
  // are read back from the database as the queue drains.
  std::size_t queue_window = 10000;
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

  // A new task made ready before its write, so that the writer thread, which every task's
  // writes share, only stores it: given an agent's seat when one that can run it has room and
  // no such task is waiting (running, attempt 1, under a lease), else queued; its JSON text made.
  // Dropped without being submitted, it gives the seat back.
  class Prepared {
   public:
    const model::Task& task() const { return *task_; }

   private:
    friend class OrchestrationHub;
    Prepared() = default;
    // The seat's fate once the write's is known; dropped unsettled, the seat is freed.
    struct Seat {
      std::function<void(bool durable)> settle;
      Seat() = default;
      Seat(Seat&& other) noexcept : settle(std::exchange(other.settle, nullptr)) {}
      Seat& operator=(Seat&& other) noexcept {
        if (this != &other) free(), settle = std::exchange(other.settle, nullptr);
        return *this;
      }
      ~Seat() { free(); }
      void free() {
        if (settle) std::exchange(settle, nullptr)(false);
      }
    };
    std::shared_ptr<const model::Task> task_;  // shared with its events
    std::optional<store::tasks::Lease> lease_;
    Seat seat_;
    std::string text_;
    bool submitted_ = false;
  };
  Prepared prepare(model::Task task);

  // Inside a writer job: stores a prepared task with its `tasks.created` event (and
  // `tasks.running` when it has a seat: it starts once the transaction is durable, saving a
  // claim transaction; a rollback frees the seat). Returns the task's JSON as stored (to answer
  // with). Should the job run again, the task is prepared again there.
  std::string submit(store::Tx& tx, Prepared& task, const std::optional<std::string>& idempotency_key = {},
                     const std::optional<std::string>& request_hash = {});
  // The same for a task made inside the job (prepared there).
  std::string submit(store::Tx& tx, const model::Task& task);

  // Calls `done` (from any thread) with the task's JSON when it reaches completed, failed or
  // cancelled. Register before the task can finish; forget() when no longer interested.
  std::uint64_t wait_for(const std::string& task_id, std::function<void(const boost::json::value&)> done);
  void forget(std::uint64_t waiter);

  // Tasks this node put back (or failed) because the lease of the node or agent running them
  // ran out: a crashed node's, a vanished remote agent's, or orphans found at start-up.
  std::uint64_t lease_takeovers() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace de::hub
