#include "store/database.hpp"

#include <filesystem>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/json.hpp"
#include "store/migrations.hpp"

namespace de::store {

namespace {
constexpr std::size_t max_batch = 1024;
}

std::int64_t Tx::emit(std::string topic, boost::json::value data) {
  model::Event event{0, std::move(topic), std::move(data), core::now_ms()};
  std::string text = core::to_text(event.data);
  // PostgreSQL: the id in the same round trip. SQLite: RETURNING would buffer the row in an
  // ephemeral table; asking for the last rowid costs a fraction of that.
  bool sqlite = connection.dialect() == Dialect::sqlite;
  auto result = connection.query(sqlite ? "INSERT INTO events (topic, data, created_at) VALUES (?, ?, ?)"
                                        : "INSERT INTO events (topic, data, created_at) VALUES (?, ?, ?) RETURNING id",
                                 {std::string_view(event.topic), std::string_view(text), event.created_at});
  if (sqlite) result = connection.query("SELECT last_insert_rowid()");
  event.id = result.rows.at(0).integer(0);
  event.wire = std::make_shared<const std::string>(model::to_wire(event, text));
  events_.push_back(std::move(event));
  return events_.back().id;
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
        new Database(Dialect::sqlite, [path] { return open_sqlite(path); }, read_connections));
  }
  if (url.starts_with("postgres://") || url.starts_with("postgresql://")) {
    return std::unique_ptr<Database>(
        new Database(Dialect::postgres, [url] { return open_postgres(url); }, read_connections));
  }
  throw core::Error(core::ErrorKind::bad_request,
                    "DE_DATABASE_URL must start with sqlite: or postgres://, got \"" + url + "\"");
}

Database::Database(Dialect dialect, std::function<std::unique_ptr<Connection>()> connect,
                   std::size_t read_connections)
    : dialect_(dialect), connect_(std::move(connect)), pool_limit_(std::max<std::size_t>(1, read_connections)) {
  writer_connection_ = connect_();
  writer_ = std::thread([this] { run_writer(); });
}

Database::~Database() {
  {
    std::lock_guard lock(queue_mutex_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  if (writer_.joinable()) writer_.join();
}

Database::Lease::Lease(Database& db) : db(db) {
  std::unique_lock lock(db.pool_mutex_);
  db.pool_cv_.wait(lock, [&] { return !db.idle_.empty() || db.pool_size_ < db.pool_limit_; });
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

void Database::run_writer() {
  std::vector<Pending> batch;
  while (true) {
    {
      std::unique_lock lock(queue_mutex_);
      queue_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping with nothing left
      while (!queue_.empty() && batch.size() < max_batch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    commit_batch(batch);
    batch.clear();
  }
}

// First every job in one plain transaction: savepoints are not free (SQLite copies each page
// a job changes that the batch had already changed; PostgreSQL pays a round trip per job).
// Only when a job throws does the batch roll back and run again with each job in a savepoint
// of its own, so that the failing one's changes alone are lost.
void Database::commit_batch(std::vector<Pending>& batch) {
  std::vector<std::exception_ptr> errors(batch.size());
  std::vector<model::Event> events;
  auto commit_error = run_batch(batch, false, errors, events);
  if (!commit_error && errors[0] && batch.size() > 1) {
    std::fill(errors.begin(), errors.end(), nullptr);
    commit_error = run_batch(batch, true, errors, events);
  }
  if (!commit_error) {
    batches_.fetch_add(1, std::memory_order_relaxed);
    jobs_.fetch_add(batch.size(), std::memory_order_relaxed);
    if (!events.empty()) {
      std::vector<CommitListener> listeners;
      {
        std::lock_guard lock(queue_mutex_);
        listeners = listeners_;
      }
      for (auto& listener : listeners) listener(events);
    }
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (batch[i].done) batch[i].done(commit_error ? commit_error : errors[i]);
  }
}

// One transaction over the batch. `isolated`: each job in its own savepoint, a failing one
// rolled back alone; otherwise the first failure rolls everything back and is reported as
// errors[0] (whichever job it was: the caller runs the batch again, isolated). Returns the
// error that lost the whole batch (a failed commit, a lost connection), if any.
std::exception_ptr Database::run_batch(std::vector<Pending>& batch, bool isolated,
                                       std::vector<std::exception_ptr>& errors, std::vector<model::Event>& events) {
  Connection& conn = *writer_connection_;
  Tx tx(conn);
  const char* begin = dialect_ == Dialect::sqlite ? "BEGIN IMMEDIATE" : "BEGIN";
  try {
    if (!isolated) {
      conn.execute_script(begin);
      for (auto& pending : batch) {
        try {
          pending.job(tx);
        } catch (...) {
          errors[0] = std::current_exception();
          conn.execute_script("ROLLBACK");
          return nullptr;
        }
      }
      conn.execute_script("COMMIT");
    } else {
      // Closing one savepoint and opening the next (or committing) share a round trip.
      conn.execute_script(std::string(begin) + "; SAVEPOINT job");
      for (std::size_t i = 0; i < batch.size(); ++i) {
        std::size_t events_before = tx.events_.size();
        try {
          batch[i].job(tx);
        } catch (...) {
          errors[i] = std::current_exception();
          tx.events_.resize(events_before);
          conn.execute_script("ROLLBACK TO SAVEPOINT job");
        }
        conn.execute_script(i + 1 < batch.size() ? "RELEASE SAVEPOINT job; SAVEPOINT job"
                                                 : "RELEASE SAVEPOINT job; COMMIT");
      }
    }
  } catch (...) {
    try {
      conn.execute_script("ROLLBACK");
    } catch (...) {
      // The connection may be gone; the next batch reconnects.
    }
    try {
      writer_connection_ = connect_();
    } catch (...) {
    }
    return std::current_exception();
  }
  events = std::move(tx.events_);
  return nullptr;
}

std::vector<model::Event> Database::events_since(std::int64_t since, std::size_t limit) {
  return read([&](Connection& conn) {
    auto result = conn.query("SELECT id, topic, data, created_at FROM events WHERE id > ? ORDER BY id LIMIT ?",
                             {since, std::int64_t(limit)});
    std::vector<model::Event> events;
    events.reserve(result.rows.size());
    for (const auto& row : result.rows)
      events.push_back({row.integer(0), row.text(1), core::parse_stored(row.text(2)), row.integer(3)});
    return events;
  });
}

void Database::migrate() {
  write_sync([&](Tx& tx) { apply_migrations(tx.connection); });
}

int Database::schema_version() {
  return read([](Connection& conn) { return current_schema_version(conn); });
}

}  // namespace de::store
