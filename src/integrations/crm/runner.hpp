#pragma once
// Where CRM sync runs begin (docs/integrations.md, "Runs and schedules"): on demand through the
// API, or by the schedule of an integration whose config has `sync_every`. A run goes on in the
// background on the event loop under its node's lease, renewed while it runs, so with several
// nodes on one PostgreSQL one run at a time per integration goes on, whichever node began it,
// and a run whose node died is marked interrupted when its lease runs out.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "store/database.hpp"
#include "store/sync_repository.hpp"

namespace de::integrations::crm {

struct RunnerOptions {
  std::string node_id;
  bool single_node = true;          // SQLite: every run left running at start-up had stopped
  std::vector<std::string> stages;  // the deal stages a pulled deal may take, the first for unknown ones
  std::chrono::milliseconds lease{30'000};
  std::chrono::milliseconds tick{5'000};  // how often the schedule looks for a due integration
};

class SyncRunner {
 public:
  SyncRunner(boost::asio::io_context& io, store::Database& db, std::string master_key, RunnerOptions options);

  // Marks what stopped with the last process (one node) and starts the schedule.
  void start();

  // Begins a run of the integration now and answers it as begun. Throws not_found, conflict
  // (switched off, or a run of it goes on), bad_request (not a CRM, no usable credentials).
  boost::asio::awaitable<store::sync::Run> run_now(const std::string& integration_id);

 private:
  boost::asio::awaitable<void> run_schedule();
  // The scheduled run of `integration` when it is due; failures are logged, never thrown.
  boost::asio::awaitable<void> run_if_due(const store::sync::IntegrationRow& integration);
  struct Prepared;
  Prepared prepare(const store::sync::IntegrationRow& integration);
  boost::asio::awaitable<void> run_and_hold(std::shared_ptr<Prepared> prepared, store::sync::Run run);
  boost::asio::awaitable<void> renew(std::string run_id);

  boost::asio::io_context& io_;
  store::Database& db_;
  std::string master_key_;
  RunnerOptions options_;
};

}  // namespace de::integrations::crm
