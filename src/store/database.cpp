#include "store/database.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/ids.hpp"
#include "core/json.hpp"
#include "core/log.hpp"
#include "store/migrations.hpp"
#include "store/notifications.hpp"
#include "store/repositories.hpp"

namespace de::store {

namespace {
// The channel a PostgreSQL transaction that emitted events notifies as it commits (its payload:
// the notifying Database's node_).
constexpr const char* events_channel = "de_events";
const std::string notify_events = std::string("SELECT pg_notify('") + events_channel + "', ?)";

// Flushes PostgreSQL's WAL up to here, so every commit made before it too: a transaction that
// writes to the WAL and commits synchronously flushes it up to its commit record. What it
// writes: a logical-decoding message of a few bytes (`de_sync`, ignored by anyone not decoding;
// any role may send one). Taking a transaction id alone writes nothing, and PostgreSQL does not
// flush for such a commit.
void flush_wal(Connection& conn) { conn.query("SELECT pg_logical_emit_message(true, 'de_sync', '')"); }

// Opens the writer's transaction. On PostgreSQL it takes its transaction id first, before any
// event id from the sequence: what lets other nodes tell a gap in the event ids that may still
// fill from one that never will (events_with_horizon). Both are sent ahead of the first job's
// statements, in the same round trip.
// On PostgreSQL the COMMIT does not wait for the disk either: the syncer makes it durable
// (run_syncer), as on SQLite.
void begin_write(Connection& conn) {
  if (conn.dialect() == Dialect::sqlite) return conn.execute_script("BEGIN IMMEDIATE");
  conn.send("BEGIN", {});
  conn.send("SELECT pg_current_xact_id()", {});
  conn.send("SET LOCAL synchronous_commit = off", {});
}
}  // namespace

namespace {
constexpr std::size_t max_batch = 1024;
// A checkpoint once this many batches were committed since the last: a page that many of them
// changed is copied back once, and a quiet server's disk is left alone.
constexpr std::uint64_t batches_per_checkpoint = 100;

// Copies what it can of the WAL back into the database, waiting for no reader or writer. True
// when all of it was copied; a failure is logged and counts as not.
bool checkpoint(Connection& conn) {
  try {
    // One row: busy, frames in the WAL, frames copied back.
    auto row = conn.query("PRAGMA wal_checkpoint(PASSIVE)").rows.at(0);
    auto frames = row.integer(1), copied = row.integer(2);
    return frames > 0 && copied == frames;
  } catch (const std::exception& e) {
    spdlog::warn(R"("msg":"WAL checkpoint failed","error":{})", core::quoted(e.what()));
    return false;
  }
}

// fdatasync()s a file by its path: nothing when done (or when there is no such file), else why not.
std::optional<std::string> sync_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) return std::nullopt;
  if (fd >= 0 && ::fdatasync(fd) == 0) return ::close(fd), std::nullopt;
  std::string why = std::strerror(errno);
  if (fd >= 0) ::close(fd);
  return why;
}

// Tells the hooks from `from` on how their jobs ended, and forgets them.
void settle(std::vector<std::function<void(bool)>>& hooks, std::size_t from, bool durable) {
  for (auto i = from; i < hooks.size(); ++i) hooks[i](durable);
  hooks.resize(from);
}
}  // namespace

Tx::Emitted Tx::emit(std::string topic, boost::json::value data) {
  auto text = core::to_text(data);
  return emit(std::move(topic), std::move(data), text);
}

Tx::Emitted Tx::emit(std::string topic, boost::json::value data, std::string_view text) {
  return append(model::Event(0, std::move(topic), std::move(data), core::now_ms()), text);
}

Tx::Emitted Tx::emit(std::string topic, std::shared_ptr<const model::Task> task, std::string_view text,
                     std::optional<Emitted> same_data_as) {
  return append(model::Event(0, std::move(topic), std::move(task), core::now_ms()), text, same_data_as);
}

std::int64_t Tx::id_of(const model::Event& emitted) {
  if (emitted.id == 0) flush();
  return emitted.id;
}

void Tx::flush() {
  do {
    send_events();
    connection.flush();  // the callbacks may emit events again
  } while (!unsent_.empty());
}

// The events appended since the last flush, as one statement: its ids are drawn in the rows'
// order (a WITH ORDINALITY scan), so the ids that come back, sorted, number them in order. A
// statement per event paid PostgreSQL's work per statement (bind, executor start and end) three
// times per task in load (b) and eight times per workflow execution in (a), on the writer's
// one backend, which bounds a node (docs/performance.md, PostgreSQL).
void Tx::send_events() {
  if (unsent_.empty()) return;
  std::string topics = "{", data = "{", data_from = "{", same_as = "{", created_at = "{";
  for (const auto& row : std::exchange(unsent_, {})) {
    append_array_element(topics, std::string_view(row.topic));
    append_array_element(data, std::string_view(row.data));
    append_array_element(data_from, nullable(row.data_from));
    append_array_element(same_as, row.same_as ? Param(std::int64_t(*row.same_as + 1)) : Param(nullptr));  // ordinality
    append_array_element(created_at, row.created_at);
  }
  for (auto* array : {&topics, &data, &data_from, &same_as, &created_at}) *array += '}';
  connection.send(
      "WITH r AS MATERIALIZED (SELECT nextval('events_id_seq') AS id, u.* FROM unnest(?::text[], ?::text[], ?::int8[], "
      "?::int8[], ?::int8[]) WITH ORDINALITY AS u(topic, data, data_from, same_as, created_at, n)) "
      "INSERT INTO events (id, topic, data, data_from, created_at) OVERRIDING SYSTEM VALUE "
      "SELECT r.id, r.topic, r.data::json, COALESCE(r.data_from, s.id), r.created_at FROM r LEFT JOIN r s ON s.n = r.same_as "
      "RETURNING id",
      {std::string_view(topics), std::string_view(data), std::string_view(data_from), std::string_view(same_as),
       std::string_view(created_at)},
      [this](const Result& r) {
        std::vector<std::int64_t> ids;
        ids.reserve(r.rows.size());
        for (const auto& row : r.rows) ids.push_back(row.integer(0));
        std::sort(ids.begin(), ids.end());
        for (auto id : ids) number_next(id);
      });
}

Tx::Emitted Tx::append(model::Event event, std::string_view text, std::optional<Emitted> same_data_as) {
  // A row that refers to another's data holds JSON null (see Database::events_since): by its id,
  // or (PostgreSQL) by its place among the rows still to send with this one (send_events).
  std::optional<std::int64_t> data_from;
  std::optional<std::size_t> same_as;
  if (same_data_as) {
    auto back = appended() - same_data_as->position;  // how many events ago it was appended
    if (at(same_data_as->position).id == 0 && back <= unsent_.size()) {
      same_as = unsent_.size() - back;
    } else {
      // Sent, its id on its way back: flushed for it first (by its place: the callbacks that
      // flush runs may emit events of their own, moving it; this event's place is taken after).
      if (at(same_data_as->position).id == 0) flush();
      data_from = at(same_data_as->position).id;
    }
  }
  Emitted emitted{appended()};
  // In place before its row is sent: the answer may come back while it is being sent.
  auto& stored = (triggering_ ? triggered_ : events_).emplace_back(std::move(event));
  auto data = same_data_as ? std::string_view("null") : text;
  if (connection.dialect() == Dialect::sqlite) {
    // SQLite runs it now: RETURNING would buffer the row in an ephemeral table, the last rowid
    // costs nothing.
    stored.id = connection
                    .query("INSERT INTO events (topic, data, data_from, created_at) VALUES (?, ?, ?, ?)",
                           {std::string_view(stored.topic), data, nullable(data_from), stored.created_at})
                    .inserted_rowid;
    stored.wire = std::make_shared<const std::string>(model::to_wire(stored, text));
  } else {
    // Sent with the others at the next flush (send_events).
    unsent_.push_back({stored.topic, std::string(data), data_from, same_as, stored.created_at});
    unnumbered_texts_.emplace_back(text);
  }
  if (!triggering_ && triggers_ && !triggers_->empty()) run_triggers();
  return emitted;
}

model::Event& Tx::at(std::size_t position) {
  return position < events_.size() ? events_[position] : triggered_.at(position - events_.size());
}

void Tx::number_next(std::int64_t id) {
  auto& event = at(appended() - unnumbered_texts_.size());
  event.id = id;
  event.wire = std::make_shared<const std::string>(model::to_wire(event, unnumbered_texts_.front()));
  unnumbered_texts_.pop_front();
}

void Tx::drop_events_from(std::size_t count) {
  postponed_.clear();
  unanswered_reads_.clear();  // their callbacks were discarded with what was sent
  events_.resize(count);
  unnumbered_texts_.clear();
  unsent_.clear();
}

void Tx::run_triggers() {
  const auto& event = events_.back();
  as_trigger([&] {
    for (const auto& trigger : *triggers_)
      if (std::find(trigger.topics.begin(), trigger.topics.end(), event.topic) != trigger.topics.end()) trigger.run(*this, event);
  });
}

void Tx::as_trigger(const std::function<void()>& action) {
  if (triggering_) return action();
  triggering_ = true;
  struct Reset {
    Tx& tx;
    ~Reset() {
      tx.triggering_ = false;
      for (auto& e : tx.triggered_) tx.events_.push_back(std::move(e));
      tx.triggered_.clear();
    }
  };
  {
    Reset reset{*this};
    action();
  }
  for (auto& postponed : std::exchange(postponed_, {})) postponed();
}

void Tx::as_job(std::function<void()> action) {
  if (triggering_) postponed_.push_back(std::move(action));
  else action();
}

void Tx::settle_reads_of(const std::string& key) {
  if (unanswered_reads_.contains(key)) connection.flush();  // what the callbacks send, too
}

void Tx::after(std::function<void(bool durable)> settled) { settled_.push_back(std::move(settled)); }

void Tx::count_outcome(const std::string& agent_id, bool completed, std::int64_t latency_ms) {
  auto& o = outcomes_[agent_id];
  ++(completed ? o.completed : o.failed);
  o.latency_ms += latency_ms;
}

void Tx::before_commit(std::string_view node) {
  for (const auto& [agent_id, o] : outcomes_) agents::add_outcomes(connection, agent_id, o.completed, o.failed, o.latency_ms);
  outcomes_.clear();
  if (connection.dialect() == Dialect::postgres && appended() > 0)
    connection.send(notify_events, {node});
}

std::unique_ptr<Database> Database::open(const std::string& url, std::size_t read_connections) {
  if (url.starts_with("sqlite:")) {
    std::string path = url.substr(7);
    if (path.starts_with("//")) path = path.substr(2);
    if (path.empty())
      throw core::Error(core::ErrorKind::bad_request, "DE_DATABASE_URL sqlite: needs a file path");
    auto parent = std::filesystem::path(path).parent_path();
    std::error_code ec;
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    return std::unique_ptr<Database>(
        new Database(Dialect::sqlite, [path] { return open_sqlite(path); }, read_connections, path + "-wal"));
  }
  if (url.starts_with("postgres://") || url.starts_with("postgresql://")) {
    std::unique_ptr<Database> db(new Database(Dialect::postgres, [url] { return open_postgres(url); }, read_connections));
    db->postgres_url_ = url;
    return db;
  }
  throw core::Error(core::ErrorKind::bad_request,
                    "DE_DATABASE_URL must start with sqlite: or postgres://, got \"" + url + "\"");
}

Database::Database(Dialect dialect, std::function<std::unique_ptr<Connection>()> connect,
                   std::size_t read_connections, std::string wal_path)
    : dialect_(dialect), connect_(std::move(connect)), node_(core::new_id()),
      pool_limit_(std::max<std::size_t>(1, read_connections)), wal_path_(std::move(wal_path)) {
  // PostgreSQL starts a backend for each connection (about 16 ms of CPU each here): the syncer's
  // and the first reader's (every start reads) are opened beside the writer's, not after it.
  // One reader only: more backends starting at once only compete for the same cores.
  std::future<std::unique_ptr<Connection>> sync_connection, reader;
  if (dialect_ == Dialect::postgres) {
    sync_connection = std::async(std::launch::async, connect_);
    reader = std::async(std::launch::async, connect_);
  }
  connect_writer();
  // Opened before any thread starts: a failure leaves nothing running.
  auto checkpoint_connection = wal_path_.empty() ? nullptr : connect_();
  if (dialect_ == Dialect::postgres) {
    sync_connection_ = sync_connection.get();
    idle_.push_back(reader.get());
    pool_size_ = 1;
  }
  writer_ = std::thread([this] {
    core::name_this_thread("de-writer");
    run_writer();
  });
  if (has_syncer())
    syncer_ = std::thread([this] {
      core::name_this_thread("de-syncer");
      run_syncer();
    });
  if (checkpoint_connection) {
    checkpointer_ = std::thread([this, conn = std::move(checkpoint_connection)] {
      core::name_this_thread("de-checkpoint");
      run_checkpointer(*conn);
    });
  }
}

void Database::connect_writer() {
  writer_connection_ = connect_();
  // In WAL mode the syncer makes each commit durable before anyone hears of it (run_syncer).
  // (Where the file system refuses WAL, commits stay synchronous=FULL.)
  // Its checkpoints are the checkpointer's (run_checkpointer).
  if (!wal_path_.empty() && writer_connection_->query("PRAGMA journal_mode").rows.at(0).text(0) == "wal")
    writer_connection_->execute_script("PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=0");
}

Database::~Database() {
  {
    std::lock_guard lock(queue_mutex_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  if (writer_.joinable()) writer_.join();
  {
    std::lock_guard lock(sync_mutex_);
    sync_stopping_ = true;
  }
  sync_cv_.notify_all();
  if (syncer_.joinable()) syncer_.join();
  {
    std::lock_guard lock(checkpoint_mutex_);
    checkpoint_stopping_ = true;
  }
  checkpoint_cv_.notify_all();
  if (checkpointer_.joinable()) checkpointer_.join();
}

Database::Lease::Lease(Database& db) : db(db) {
  std::unique_lock lock(db.pool_mutex_);
  auto available = [&] { return !db.idle_.empty() || db.pool_size_ < db.pool_limit_; };
  if (!available()) {
    db.pool_waits_.fetch_add(1, std::memory_order_relaxed);
    db.pool_cv_.wait(lock, available);
  }
  if (!db.idle_.empty()) {
    connection = std::move(db.idle_.back());
    db.idle_.pop_back();
    return;
  }
  ++db.pool_size_;
  lock.unlock();
  try {
    connection = db.connect_();
  } catch (...) {
    std::lock_guard relock(db.pool_mutex_);
    --db.pool_size_;
    db.pool_cv_.notify_one();
    throw;
  }
}

Database::Lease::~Lease() {
  std::lock_guard lock(db.pool_mutex_);
  db.idle_.push_back(std::move(connection));
  db.pool_cv_.notify_one();
}

Database::PoolStats Database::pool_stats() {
  std::lock_guard lock(pool_mutex_);
  return {pool_size_, idle_.size(), pool_limit_, pool_waits_.load(std::memory_order_relaxed)};
}

void Database::write(Job job, Done done) {
  {
    std::lock_guard lock(queue_mutex_);
    if (!stopping_) {
      queue_.push_back({std::move(job), std::move(done)});
      done = nullptr;
    }
  }
  if (done) {
    done(std::make_exception_ptr(core::Error(core::ErrorKind::unavailable, "shutting down")));
    return;
  }
  queue_cv_.notify_one();
}

void Database::on_commit(CommitListener listener) {
  std::lock_guard lock(queue_mutex_);
  listeners_.push_back(std::move(listener));
}

std::unique_ptr<Notifications> Database::on_events_committed(std::function<void()> notified) {
  if (dialect_ != Dialect::postgres) return nullptr;
  return std::make_unique<Notifications>(postgres_url_, events_channel, node_, std::move(notified));
}

void Database::on_emit(EmitTrigger trigger) {
  std::lock_guard lock(queue_mutex_);
  auto triggers = std::make_shared<std::vector<EmitTrigger>>(*triggers_);
  triggers->push_back(std::move(trigger));
  triggers_ = std::move(triggers);
}

// Jobs run as they come, in one transaction, first without savepoints: savepoints are not free
// (SQLite copies each page a job changes that the batch had already changed; PostgreSQL pays a
// round trip per job). Only when a job throws does the batch roll back and run again with each
// job in a savepoint of its own, so that the failing one's changes alone are lost.
// With SQLite's syncer (WAL mode), the transaction stays open, taking the jobs that come
// meanwhile, until the syncer is free: each fdatasync then covers one commit, not two or three,
// and each commit's fixed cost (the last page of every B-tree it touches, written whole into the
// WAL, and SQLite's locks) is paid once per round; the disk's time per round grows with what it
// writes. PostgreSQL's writer commits each take at once (without waiting for the disk either),
// and its syncer's flush covers every commit made before it.
void Database::run_writer() {
  std::vector<Pending> batch;  // run in the open transaction, not committed yet
  std::optional<Tx> tx;
  std::shared_ptr<const std::vector<EmitTrigger>> triggers;
  while (true) {
    std::size_t first = batch.size();
    bool stopping;
    {
      std::unique_lock lock(queue_mutex_);
      queue_cv_.wait(lock, [&] { return stopping_ || !queue_.empty() || (tx && !syncer_busy_); });
      if (queue_.empty() && !tx) return;  // stopping with nothing left
      stopping = stopping_;
      while (!queue_.empty() && batch.size() < max_batch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      if (!tx) triggers = triggers_;
    }
    Committed c;
    c.errors.resize(batch.size());
    try {
      if (!tx) {
        begin_write(*writer_connection_);
        tx.emplace(*writer_connection_, triggers.get());
      }
      std::exception_ptr failed_job;
      for (auto i = first; i < batch.size() && !failed_job; ++i) {
        try {
          batch[i].job(*tx);
        } catch (...) {
          failed_job = std::current_exception();
        }
      }
      // A statement a job sent without waiting fails here, for a job the rerun will find.
      if (!failed_job) try {
          tx->flush();
        } catch (...) {
          failed_job = std::current_exception();
        }
      if (failed_job) {
        tx->connection.discard_sent();
        tx->connection.execute_script("ROLLBACK");
        settle(tx->settled_, 0, false);
        tx.reset();
        if (batch.size() == 1) c.errors[0] = failed_job;
        else c.commit_error = run_isolated(batch, c, *triggers);
      } else {
        // SQLite only: a PostgreSQL commit rewrites no page, and a transaction held open would
        // hold its row locks and the other nodes' log readers (store::EventCursor) meanwhile.
        if (!stopping && syncer_busy_ && batch.size() < max_batch && dialect_ == Dialect::sqlite) continue;
        tx->before_commit(node_);
        auto commit_started = std::chrono::steady_clock::now();
        tx->connection.execute_script("COMMIT");
        commit_seconds_.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - commit_started).count());
        c.events = std::move(tx->events_);
        c.settled = std::move(tx->settled_);
        tx.reset();
      }
    } catch (...) {
      c.commit_error = std::current_exception();
      lose(tx);
    }
    if (!c.commit_error) {
      batches_.fetch_add(1, std::memory_order_relaxed);
      jobs_.fetch_add(batch.size(), std::memory_order_relaxed);
    }
    for (auto& pending : batch) c.done.push_back(std::move(pending.done));
    batch.clear();
    hand_off(std::move(c));
    if (checkpoint_caught_up_.exchange(false)) checkpoint(*writer_connection_);
  }
}

// A transaction the connection lost (a failed BEGIN, COMMIT or ROLLBACK): rolled back if it can
// be, its hooks told, and the connection opened again for the next batch.
void Database::lose(std::optional<Tx>& tx) {
  try {
    writer_connection_->discard_sent();
    writer_connection_->execute_script("ROLLBACK");
  } catch (...) {
    // The connection may be gone.
  }
  if (tx) settle(tx->settled_, 0, false);
  tx.reset();
  try {
    connect_writer();
  } catch (...) {
  }
}

// To the syncer, which makes it durable, then announces it; without one, announced now.
void Database::hand_off(Committed c) {
  if (!has_syncer()) return announce(c);
  {
    std::lock_guard lock(sync_mutex_);
    to_sync_.push_back(std::move(c));
    syncer_busy_ = true;
  }
  sync_cv_.notify_one();
}

// The writer commits without waiting for the disk (SQLite: synchronous=NORMAL; PostgreSQL:
// synchronous_commit off for its transactions) and goes on with the next batch, while this
// thread makes the WAL durable with one flush for every batch committed meanwhile (SQLite: an
// fdatasync; PostgreSQL: a synchronous commit of its own). Only then are their events published
// and their jobs answered: a 2xx still means stored, but the writer never sits idle during a
// flush. The WAL holds commits in order, so a crash keeps an unflushed batch only if it keeps
// every batch before it too; and a later transaction that read a batch's rows (another node's)
// flushes that batch with its own commit.
void Database::run_syncer() {
  std::vector<Committed> round;
  while (true) {
    {
      std::unique_lock lock(sync_mutex_);
      if (to_sync_.empty()) {
        syncer_busy_ = false;
        lock.unlock();
        {
          std::lock_guard writer_lock(queue_mutex_);  // the writer, waiting or about to, sees it
        }
        queue_cv_.notify_one();
        lock.lock();
      }
      sync_cv_.wait(lock, [&] { return sync_stopping_ || !to_sync_.empty(); });
      if (to_sync_.empty()) return;  // stopping with nothing left
      std::swap(round, to_sync_);
    }
    auto sync_started = std::chrono::steady_clock::now();
    auto error = sync_wal();
    sync_seconds_.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - sync_started).count());
    for (auto& c : round) {
      if (error && !c.commit_error) c.commit_error = error;
      announce(c);
    }
    round.clear();
  }
}

std::exception_ptr Database::sync_wal() {
  std::optional<std::string> why;
  if (dialect_ == Dialect::postgres) {
    // A connection vouches only for commits made while it was open: once it is lost, the
    // server may have restarted since this round's batches committed, taking them with it. So
    // the round fails (their jobs are told the write may not be durable) and the next round,
    // whose batches commit after the new connection opened, uses it.
    if (!sync_connection_) {
      try {
        sync_connection_ = connect_();
        why = "the connection to PostgreSQL was lost: the write may not be durable";
      } catch (const std::exception& e) {
        why = e.what();
      }
    } else {
      try {
        flush_wal(*sync_connection_);
      } catch (const std::exception& e) {
        sync_connection_.reset();
        why = e.what();
      }
    }
  } else {
    // Opened each round: SQLite may remove and recreate the WAL file (when no connection is open).
    why = sync_file(wal_path_);
  }
  if (!why) return nullptr;  // durable, or no WAL (SQLite not in WAL mode: commits were FULL)
  spdlog::error(R"("msg":"cannot make the write-ahead log durable","path":{},"error":{})", core::quoted(wal_path_),
                core::quoted(*why));
  return std::make_exception_ptr(
      core::Error(core::ErrorKind::unavailable, "the database could not make a write durable: " + *why));
}

// A checkpoint copies the WAL's pages back into the database; the WAL starts over only once
// all of it is copied. Inside the writer's commits (SQLite's default) each checkpoint stalled
// every task waiting on that batch, and alone on another thread it never caught up with the
// writer, so the WAL grew without bound. So this thread copies the bulk (looking every 50 ms)
// while the writer goes on, and once it has caught up with the WAL as it found it, the writer copies the
// few pages committed since, between two batches: its next commit starts the WAL over.
void Database::run_checkpointer(Connection& conn) {
  const auto database_path = wal_path_.substr(0, wal_path_.size() - std::string_view("-wal").size());
  std::uint64_t last = 0;  // batches committed at the last checkpoint
  std::unique_lock lock(checkpoint_mutex_);
  while (!checkpoint_cv_.wait_for(lock, std::chrono::milliseconds(50), [&] { return checkpoint_stopping_; })) {
    auto committed = batches_.load();
    if (committed - last < batches_per_checkpoint) continue;
    last = committed;
    lock.unlock();
    bool caught_up = checkpoint(conn);
    // SQLite syncs the database only when a checkpoint ends at the WAL's end as it is then,
    // which this one rarely does while the writer commits (even when it copied all it found):
    // the writer's checkpoint would then flush every page copied here, stalling all commits
    // (10-19 ms on a slow disk). Flushed here instead.
    if (auto why = sync_file(database_path))
      spdlog::warn(R"("msg":"cannot flush checkpointed pages","path":{},"error":{})", core::quoted(database_path),
                   core::quoted(*why));
    if (caught_up) checkpoint_caught_up_ = true;
    lock.lock();
  }
}

namespace {
// A job nobody waits for (a lease renewal, an expiry) failed: said in the log, never silent.
void log_unheard(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    spdlog::error(R"("msg":"a background write failed","error":{})", core::quoted(e.what()));
  } catch (...) {
    spdlog::error(R"("msg":"a background write failed","error":"unknown")");
  }
}
}  // namespace

// Settles a durable batch's hooks, publishes its events, then answers its jobs.
void Database::announce(Committed& c) {
  settle(c.settled, 0, !c.commit_error);
  if (!c.commit_error && !c.events.empty()) {
    std::vector<CommitListener> listeners;
    {
      std::lock_guard lock(queue_mutex_);
      listeners = listeners_;
    }
    for (auto& listener : listeners) listener(c.events);
  }
  for (std::size_t i = 0; i < c.done.size(); ++i) {
    auto error = c.commit_error ? c.commit_error : c.errors[i];
    if (c.done[i]) c.done[i](error);
    else if (error) log_unheard(error);
  }
}

// The batch again, each job in a savepoint of its own: a failing one is rolled back alone and
// its error reported. Returns the error that lost the whole batch (a failed commit, a lost
// connection), if any.
std::exception_ptr Database::run_isolated(std::vector<Pending>& batch, Committed& c,
                                          const std::vector<EmitTrigger>& triggers) {
  std::optional<Tx> tx;
  try {
    Connection& conn = *writer_connection_;
    // Closing one savepoint and opening the next (or committing) share a round trip.
    begin_write(conn);
    conn.execute_script("SAVEPOINT job");
    tx.emplace(conn, &triggers);
    for (std::size_t i = 0; i < batch.size(); ++i) {
      std::size_t events_before = tx->events_.size(), hooks_before = tx->settled_.size();
      auto outcomes_before = tx->outcomes_;
      try {
        batch[i].job(*tx);
        tx->flush();
      } catch (...) {
        c.errors[i] = std::current_exception();
        conn.discard_sent();
        tx->drop_events_from(events_before);
        tx->outcomes_ = std::move(outcomes_before);
        conn.execute_script("ROLLBACK TO SAVEPOINT job");
        settle(tx->settled_, hooks_before, false);
      }
      conn.execute_script(i + 1 < batch.size() ? "RELEASE SAVEPOINT job; SAVEPOINT job" : "RELEASE SAVEPOINT job");
    }
    tx->before_commit(node_);
    conn.execute_script("COMMIT");
  } catch (...) {
    lose(tx);
    return std::current_exception();
  }
  c.events = std::move(tx->events_);
  c.settled = std::move(tx->settled_);
  return nullptr;
}

namespace {
// An event's data: its own, or that of the earlier event it refers to (`d`, joined on data_from).
const std::string event_data = "CASE WHEN e.data_from IS NULL THEN e.data ELSE d.data END";
const std::string event_columns = "e.id, e.topic, " + event_data + ", e.created_at";

// An event read back (the data it shares with an earlier one resolved, in column `first` + 2),
// with its wire text.
model::Event event_from_row(const Row& row, std::size_t first = 0) {
  model::Event e(row.integer(first), row.text(first + 1), core::parse_stored(row.text(first + 2)), row.integer(first + 3));
  e.wire = std::make_shared<const std::string>(model::to_wire(e, row.text(first + 2)));
  return e;
}

std::vector<model::Event> read_events(Connection& conn, const char* where, std::initializer_list<Param> params) {
  auto result = conn.query(
      "SELECT " + event_columns + " FROM events e LEFT JOIN events d ON d.id = e.data_from " + where, params);
  std::vector<model::Event> events;
  events.reserve(result.rows.size());
  for (const auto& row : result.rows) events.push_back(event_from_row(row));
  return events;
}
}  // namespace

std::vector<model::Event> Database::events_since(std::int64_t since, std::size_t limit) {
  return read([&](Connection& conn) {
    return read_events(conn, "WHERE e.id > ? ORDER BY e.id LIMIT ?", {since, std::int64_t(limit)});
  });
}

Database::EventPage Database::events_with_horizon(std::int64_t since, std::size_t limit,
                                                  std::span<const std::int64_t> known) {
  // `known` as a multirange ({[1,4],[9,9]}): one containment test per row, whatever its size.
  std::string ranges = "{";
  for (std::size_t i = 0; i < known.size();) {
    auto j = i;
    while (j + 1 < known.size() && known[j + 1] == known[j] + 1) ++j;
    if (i) ranges += ',';
    ranges += fmt::format("[{},{}]", known[i], known[j]);
    i = j + 1;
  }
  ranges += '}';
  // One statement, so one snapshot for both: a transaction that has ended by it shows all its
  // events in it (PostgreSQL's statement snapshot, which pg_current_snapshot reports). The
  // first row carries the horizon, also when there is no event. A known event's data is
  // neither read nor joined (its column is null).
  return read([&](Connection& conn) {
    auto result = conn.query(
        "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint, page.*, "
        "(pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint FROM (SELECT 1) one LEFT JOIN "
        "(SELECT e.id, e.topic, CASE WHEN k.known THEN NULL ELSE " + event_data + " END, e.created_at, k.known FROM "
        "events e CROSS JOIN LATERAL (SELECT e.id <@ ?::int8multirange AS known) k "
        "LEFT JOIN events d ON d.id = e.data_from AND NOT k.known WHERE e.id > ? ORDER BY e.id LIMIT ?) page "
        "ON true ORDER BY 2",
        {std::string_view(ranges), since, std::int64_t(limit)});
    EventPage page;
    page.xmin = result.rows.at(0).integer(0);
    page.wal_end = result.rows.at(0).integer(6);
    for (const auto& row : result.rows) {
      if (row.is_null(1)) continue;
      if (row.text(5) == "t") page.events.emplace_back(row.integer(1), row.text(2), boost::json::value(), row.integer(4));
      else page.events.push_back(event_from_row(row, 1));
    }
    return page;
  });
}

void Database::wait_until_flushed(std::int64_t wal_end) {
  read([&](Connection& conn) {
    // The writers' syncers flush within a round (milliseconds); after 200 ms without it, this
    // connection flushes.
    for (int waited = 0; waited < 200; ++waited) {
      if (conn.query("SELECT (pg_current_wal_flush_lsn() - '0/0'::pg_lsn)::bigint").rows.at(0).integer(0) >= wal_end)
        return;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    flush_wal(conn);
  });
}

std::int64_t Database::new_transaction_id() {
  return read([](Connection& conn) {
    return conn.query("SELECT pg_current_xact_id()::text::bigint", {}).rows.at(0).integer(0);
  });
}

std::int64_t Database::last_event_id() {
  return read([](Connection& conn) {
    auto result = conn.query("SELECT COALESCE(MAX(id), 0) FROM events", {});
    return result.rows.at(0).integer(0);
  });
}

std::optional<model::Event> Database::event(std::int64_t id) {
  auto events = read([&](Connection& conn) { return read_events(conn, "WHERE e.id = ?", {id}); });
  if (events.empty()) return std::nullopt;
  return std::move(events.front());
}

void Database::migrate() {
  // A database already at this version (every restart) is only read: no lock, no write and no
  // flush of the log to wait for.
  if (read([](Connection& c) { return missing_migrations(c).empty(); })) return;
  write_sync([&](Tx& tx) { apply_migrations(tx.connection); });
}

int Database::schema_version() {
  return read([](Connection& conn) { return current_schema_version(conn); });
}

}  // namespace de::store
