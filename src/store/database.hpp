#pragma once
// Database: read connections from a pool, writes through one batching writer (group commit).
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <vector>

#include "core/metrics.hpp"
#include "model/model.hpp"
#include "store/sql.hpp"

namespace de::store {

class Tx;
class Notifications;

// Runs inside the transaction that emits one of its topics, right after the event is
// appended (like a database trigger): what it writes commits or rolls back with the event.
// Events a trigger emits run no triggers (as SQLite's triggers are not recursive by default).
// The event's id may not be known yet (PostgreSQL): a trigger that needs it asks tx.id_of.
struct EmitTrigger {
  std::vector<std::string> topics;
  std::function<void(Tx&, const model::Event&)> run;
};

// What a write job sees: the writer's connection inside the batch transaction, and the
// event log, appended in the same transaction as the change it records.
class Tx {
 public:
  explicit Tx(Connection& connection, const std::vector<EmitTrigger>* triggers = nullptr)
      : connection(connection), triggers_(triggers) {}
  Connection& connection;
  // An event this transaction emitted: its place in the transaction's events.
  struct Emitted {
    std::size_t position;
  };
  // Appends to `events`; published to listeners once the transaction commits. On PostgreSQL
  // the row is sent in the writer's pipeline and its id known once the transaction's
  // statements are flushed (id_of).
  Emitted emit(std::string topic, boost::json::value data);
  // The same, with `data` already serialized as `text`.
  Emitted emit(std::string topic, boost::json::value data, std::string_view text);
  // A task's event, `text` being model::to_text(*task): listeners read the task itself.
  // `same_data_as`: an event this transaction emitted with the same data (a task created and
  // started at once), whose stored copy this event's row refers to instead of repeating it.
  Emitted emit(std::string topic, std::shared_ptr<const model::Task> task, std::string_view text,
               std::optional<Emitted> same_data_as = std::nullopt);
  // The id of an event emitted in this transaction (a trigger's), flushing what was sent if
  // it is not known yet.
  std::int64_t id_of(const model::Event& emitted);
  // Sends what waits to be sent (PostgreSQL: the event rows, see append) and every answer's
  // follow-ups, until nothing is left unanswered.
  void flush();
  // Runs `action` as the job's own code: now, or, when a trigger's flush of the statements
  // sent before it (Connection::send) brought it here, once the triggers are done, so that the
  // events it emits run their triggers too. For what a statement's callback emits.
  void as_job(std::function<void()> action);
  // Runs `action` as trigger code: the events it emits run no triggers. For a trigger's work
  // that goes on in the callback of a statement it sent (Connection::send), which may run after
  // the trigger has returned.
  void as_trigger(const std::function<void()>& action);
  // Reads sent without waiting (Connection::send), by what they read (a row's id), until their
  // callbacks have run: a read of the same thing sent meanwhile would not see what the earlier
  // one's callback writes. `reading` marks one out, `read_done` ends it, and `settle_reads_of`
  // flushes while one is out, before a read of that thing.
  void reading(const std::string& key) { unanswered_reads_.insert(key); }
  void read_done(const std::string& key) { unanswered_reads_.erase(key); }
  void settle_reads_of(const std::string& key);
  // Calls `settled` once this job's changes are settled: durable (true; on the commit thread,
  // before the batch's events are published and its jobs answered) or lost (false; rolled back
  // on the writer thread, before the job may run again, or a failed commit). For work that
  // must follow the job's fate, like taking a resource the job's rows refer to.
  void after(std::function<void(bool durable)> settled);
  // Counts a finished task for its agent. A transaction's counts are added to the agents' rows
  // once, just before it commits: an UPDATE per agent and batch instead of one per task.
  void count_outcome(const std::string& agent_id, bool completed, std::int64_t latency_ms);

 private:
  friend class Database;
  Emitted append(model::Event event, std::string_view text, std::optional<Emitted> same_data_as = std::nullopt);
  void run_triggers();
  // The event at `position` in the order appended: events_, then triggered_.
  model::Event& at(std::size_t position);
  std::size_t appended() const { return events_.size() + triggered_.size(); }
  // Gives the first event still without one its id (and its wire text).
  void number_next(std::int64_t id);
  // Forgets the events from `count` on (a job rolled back), once nothing sent is pending.
  void drop_events_from(std::size_t count);
  // Last statements of the transaction: the agents' outcome counts, and on PostgreSQL the
  // notification that wakes the other nodes' event readers (sent at commit, only if it commits),
  // with `node` as its payload (so that this node's own reader can leave it aside).
  void before_commit(std::string_view node);
  struct Outcomes {
    std::int64_t completed = 0, failed = 0, latency_ms = 0;
  };
  std::map<std::string, Outcomes> outcomes_;  // by agent id
  std::vector<model::Event> events_;
  std::vector<std::function<void(bool)>> settled_;
  const std::vector<EmitTrigger>* triggers_;
  // While triggers run, their events wait here, so that the event they were given stays put.
  bool triggering_ = false;
  std::vector<model::Event> triggered_;
  // The data text of the last events appended whose ids have not come back yet (PostgreSQL),
  // oldest first, for their wire text once they do.
  std::deque<std::string> unnumbered_texts_;
  // PostgreSQL: the newest of those, not sent yet: one INSERT for all of them at the next flush.
  struct EventRow {
    std::string topic, data;
    std::optional<std::int64_t> data_from;  // an event of an earlier statement
    std::optional<std::size_t> same_as;     // or the row at this place among these
    std::int64_t created_at;
  };
  std::vector<EventRow> unsent_;
  void send_events();
  std::vector<std::function<void()>> postponed_;  // as_job's, while triggers run
  std::set<std::string, std::less<>> unanswered_reads_;
};

class Database {
 public:
  using Job = std::function<void(Tx&)>;
  using Done = std::function<void(std::exception_ptr)>;
  using CommitListener = std::function<void(const std::vector<model::Event>&)>;

  // `url`: sqlite:PATH or postgres://... Throws core::Error with a clear message.
  static std::unique_ptr<Database> open(const std::string& url, std::size_t read_connections = 4);
  ~Database();

  Dialect dialect() const { return dialect_; }

  // Applies pending migrations (idempotent; serialised across nodes on PostgreSQL).
  void migrate();
  // Highest applied migration version, or 0.
  int schema_version();

  // Runs `fn` with a pooled read connection on the calling thread.
  template <class F>
  auto read(F&& fn) -> std::invoke_result_t<F, Connection&> {
    Lease lease(*this);
    return fn(*lease.connection);
  }

  // Queues a write. `job` runs on the writer thread in the batch transaction: if it throws,
  // only its own changes roll back. For that the batch may run twice (rolled back, then each
  // job in a savepoint), so a job must leave what it captured as it found it: it writes to the
  // database, to `tx` and to its own result slots only (anything else it takes, it gives back
  // through a `Tx::after` hook). `done` runs on the commit thread (the
  // writer, or the syncer) once the batch is durable (nullptr) or with the job's or the
  // commit's error; the batch's events are published just before.
  void write(Job job, Done done);

  // Blocking write for the command line and tests; rethrows the job's error.
  template <class F>
  auto write_sync(F&& fn) -> std::invoke_result_t<F, Tx&> {
    using R = std::invoke_result_t<F, Tx&>;
    std::promise<void> done;
    auto future = done.get_future();
    if constexpr (std::is_void_v<R>) {
      write([&](Tx& tx) { fn(tx); },
            [&](std::exception_ptr e) { e ? done.set_exception(e) : done.set_value(); });
      future.get();
    } else {
      std::optional<R> result;
      write([&](Tx& tx) { result.emplace(fn(tx)); },
            [&](std::exception_ptr e) { e ? done.set_exception(e) : done.set_value(); });
      future.get();
      return std::move(*result);
    }
  }

  void on_commit(CommitListener listener);
  // PostgreSQL: `notified` runs on a thread of its own each time a transaction that emitted
  // events commits on any node (this one included), and each time listening (re)starts. Null
  // on SQLite, where this node's commits are all there are (on_commit).
  std::unique_ptr<Notifications> on_events_committed(std::function<void()> notified);
  // Adds a trigger for the batches queued from now on.
  void on_emit(EmitTrigger trigger);

  // Events after `since` (for replay), oldest first.
  std::vector<model::Event> events_since(std::int64_t since, std::size_t limit);
  // PostgreSQL, several nodes: events after `since` and the xmin of the snapshot they were
  // read in (every transaction id below it had ended by then). Every writer transaction takes
  // its transaction id at BEGIN, before any event id; so if an id is missing below one read
  // here, its transaction was running, and has an id below a transaction id taken after the
  // read (new_transaction_id): once a snapshot's xmin passes that, the missing id will never
  // appear (docs/operations.md, "Events"). The events whose ids are in `known` (ascending: the
  // caller's own, which it has in memory) come without their data and wire text: neither is
  // read back, joined or parsed.
  struct EventPage {
    std::vector<model::Event> events;
    std::int64_t xmin = 0;
    std::int64_t wal_end = 0;  // where the WAL ended at the read: past the commit of every event in it
  };
  EventPage events_with_horizon(std::int64_t since, std::size_t limit, std::span<const std::int64_t> known = {});
  // PostgreSQL: returns once the WAL is on disk up to `wal_end` (an EventPage's), so that what
  // was read there outlives a crash of the server (writers commit before their flush: run_syncer).
  void wait_until_flushed(std::int64_t wal_end);
  // A transaction id above every one assigned so far (PostgreSQL; it spends one).
  std::int64_t new_transaction_id();
  std::int64_t last_event_id();
  std::optional<model::Event> event(std::int64_t id);

  // Batches committed and jobs run, for /metrics.
  std::uint64_t batches_committed() const { return batches_; }
  std::uint64_t jobs_committed() const { return jobs_; }
  // Seconds each COMMIT statement took, and (SQLite) each fdatasync of the write-ahead log
  // that made a round of commits durable.
  const core::Histogram& commit_seconds() const { return commit_seconds_; }
  const core::Histogram& sync_seconds() const { return sync_seconds_; }
  // The read connections: open, of which idle, the most that may be open, and how many reads
  // had to wait for one.
  struct PoolStats {
    std::size_t open = 0, idle = 0, limit = 0;
    std::uint64_t waits = 0;
  };
  PoolStats pool_stats();

 private:
  // `wal_path`: SQLite's write-ahead log, made durable by the syncer (run_syncer).
  Database(Dialect dialect, std::function<std::unique_ptr<Connection>()> connect,
           std::size_t read_connections, std::string wal_path = {});
  struct Lease {
    explicit Lease(Database& db);
    ~Lease();
    Database& db;
    std::unique_ptr<Connection> connection;
  };
  struct Pending {
    Job job;
    Done done;
  };
  void run_writer();
  // A committed (or failed) batch on its way to its listeners and callers.
  struct Committed {
    std::vector<Done> done;
    std::vector<std::exception_ptr> errors;
    std::exception_ptr commit_error;
    std::vector<model::Event> events;
    std::vector<std::function<void(bool)>> settled;
  };
  void connect_writer();
  void lose(std::optional<Tx>& tx);
  void hand_off(Committed c);
  void run_syncer();
  std::exception_ptr sync_wal();
  void run_checkpointer(Connection& conn);
  void announce(Committed& c);
  std::exception_ptr run_isolated(std::vector<Pending>& batch, Committed& c,
                                  const std::vector<EmitTrigger>& triggers);

  Dialect dialect_;
  std::function<std::unique_ptr<Connection>()> connect_;
  std::string postgres_url_;
  std::string node_;  // a random id: this database object's name in its notifications' payload

  std::mutex pool_mutex_;
  std::condition_variable pool_cv_;
  std::vector<std::unique_ptr<Connection>> idle_;
  std::size_t pool_size_ = 0;
  std::size_t pool_limit_;

  std::unique_ptr<Connection> writer_connection_;
  std::mutex queue_mutex_;
  std::condition_variable queue_cv_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  std::vector<CommitListener> listeners_;
  std::shared_ptr<const std::vector<EmitTrigger>> triggers_ = std::make_shared<std::vector<EmitTrigger>>();
  std::atomic<std::uint64_t> batches_{0}, jobs_{0};
  std::atomic<std::uint64_t> pool_waits_{0};
  core::Histogram commit_seconds_, sync_seconds_;
  std::thread writer_;

  std::string wal_path_;
  // Commits are made durable by the syncer thread (run_syncer): SQLite's (with a WAL path), and
  // PostgreSQL's, whose writer commits asynchronously and whose syncer flushes the WAL on a
  // connection of its own.
  bool has_syncer() const { return !wal_path_.empty() || dialect_ == Dialect::postgres; }
  std::unique_ptr<Connection> sync_connection_;  // PostgreSQL
  std::mutex sync_mutex_;
  std::condition_variable sync_cv_;
  std::vector<Committed> to_sync_;
  bool sync_stopping_ = false;
  // Set while the syncer has a round to make durable or is at one; the writer commits when not.
  std::atomic<bool> syncer_busy_{false};
  std::thread syncer_;

  // SQLite's WAL is copied back into the database by a thread of its own (run_checkpointer).
  std::mutex checkpoint_mutex_;
  std::condition_variable checkpoint_cv_;
  bool checkpoint_stopping_ = false;
  std::atomic<bool> checkpoint_caught_up_{false};
  std::thread checkpointer_;
};

}  // namespace de::store
