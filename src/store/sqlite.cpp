#include <sqlite3.h>

#include <string>
#include <unordered_map>
#include <vector>

#include "core/error.hpp"
#include "store/sql.hpp"
#include "store/wal_vfs.hpp"

namespace de::store {

namespace {

class SqliteConnection final : public Connection {
 public:
  explicit SqliteConnection(const std::string& path) {
    int rc = sqlite3_open_v2(path.c_str(), &db_,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             wal_coalescing_vfs());
    if (rc != SQLITE_OK) {
      std::string message = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
      sqlite3_close(db_);
      db_ = nullptr;
      throw core::Error(core::ErrorKind::unavailable,
                        "cannot open SQLite database " + path + ": " + message);
    }
    sqlite3_busy_timeout(db_, 10000);
    // WAL: readers never block the writer. FULL: a commit is on disk when it returns (the
    // store's writer connection switches to NORMAL and syncs the WAL itself, off its thread,
    // and leaves checkpoints to a thread of their own: store::Database). A new file gives the
    // pages a retention frees back to the file system (incremental vacuum, store/retention);
    // auto_vacuum of a file that has tables already stays as it is (docs/operations.md).
    execute_script(
        "PRAGMA auto_vacuum=INCREMENTAL; PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
        "PRAGMA temp_store=MEMORY;");
  }

  ~SqliteConnection() override {
    for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
    for (auto& [sql, stmts] : scripts_)
      for (auto* stmt : stmts) sqlite3_finalize(stmt);
    sqlite3_close(db_);
  }

  Dialect dialect() const override { return Dialect::sqlite; }

  Result query(std::string_view sql, std::span<const Param> params) override {
    sqlite3_stmt* stmt = prepare(sql);
    // Every parameter is bound at every use, so a cached statement never runs with an old value
    // (and its bindings need no clearing after it).
    if (int(params.size()) != sqlite3_bind_parameter_count(stmt))
      throw core::Error(core::ErrorKind::internal, "SQL with " + std::to_string(sqlite3_bind_parameter_count(stmt)) +
                                                       " parameters given " + std::to_string(params.size()));
    Reset reset{stmt};
    for (std::size_t i = 0; i < params.size(); ++i) bind(stmt, int(i + 1), params[i]);
    Result result;
    int columns = sqlite3_column_count(stmt);
    while (true) {
      int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) fail(rc);
      std::vector<std::optional<std::string>> row;
      row.reserve(columns);
      for (int c = 0; c < columns; ++c) {
        if (sqlite3_column_type(stmt, c) == SQLITE_NULL) {
          row.emplace_back(std::nullopt);
        } else {
          auto text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
          row.emplace_back(std::string(text, sqlite3_column_bytes(stmt, c)));
        }
      }
      result.rows.emplace_back(std::move(row));
    }
    result.affected = sqlite3_changes(db_);
    result.inserted_rowid = sqlite3_last_insert_rowid(db_);
    return result;
  }

  // Scripts come from our code (transaction control, migrations, pragmas): each one's
  // statements are prepared once per connection, like query()'s. Each statement is prepared
  // after the previous one ran, so that a script may use what it has just created.
  void execute_script(std::string_view sql) override {
    if (auto it = scripts_.find(sql); it != scripts_.end()) {
      for (auto* stmt : it->second) run(stmt);
      return;
    }
    std::vector<sqlite3_stmt*> prepared;
    try {
      const char* tail = sql.data();
      const char* end = sql.data() + sql.size();
      while (tail < end) {
        sqlite3_stmt* stmt = nullptr;
        int rc = sqlite3_prepare_v3(db_, tail, int(end - tail), SQLITE_PREPARE_PERSISTENT, &stmt, &tail);
        if (rc != SQLITE_OK) fail(rc);
        if (!stmt) continue;  // only white space or a comment was left
        prepared.push_back(stmt);
        run(stmt);
      }
    } catch (...) {
      for (auto* stmt : prepared) sqlite3_finalize(stmt);
      throw;
    }
    scripts_.emplace(std::string(sql), std::move(prepared));
  }

 private:
  // A cached statement is ready for its next use however this one ends.
  struct Reset {
    sqlite3_stmt* s;
    ~Reset() { sqlite3_reset(s); }
  };

  sqlite3_stmt* prepare(std::string_view sql) {
    auto it = statements_.find(sql);
    if (it != statements_.end()) return it->second;
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql.data(), int(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt,
                                nullptr);
    if (rc != SQLITE_OK) fail(rc);
    statements_.emplace(std::string(sql), stmt);
    return stmt;
  }

  void run(sqlite3_stmt* stmt) {
    Reset reset{stmt};
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    }
    if (rc != SQLITE_DONE) fail(rc);
  }

  void bind(sqlite3_stmt* stmt, int index, const Param& param) {
    int rc = std::visit(
        [&](const auto& v) -> int {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::nullptr_t>) return sqlite3_bind_null(stmt, index);
          else if constexpr (std::is_same_v<T, std::int64_t>) return sqlite3_bind_int64(stmt, index, v);
          else if constexpr (std::is_same_v<T, double>) return sqlite3_bind_double(stmt, index, v);
          // STATIC: the caller's text outlives the statement's use (reset before query returns).
          else return sqlite3_bind_text(stmt, index, v.data(), int(v.size()), SQLITE_STATIC);
        },
        param);
    if (rc != SQLITE_OK) fail(rc);
  }

  [[noreturn]] void fail(int rc) {
    std::string message = sqlite3_errmsg(db_);
    int primary = rc & 0xff;
    if (primary == SQLITE_CONSTRAINT)
      throw core::Error(core::ErrorKind::conflict, "constraint violated: " + message);
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
      throw core::Error(core::ErrorKind::unavailable, "database busy: " + message);
    throw core::Error(core::ErrorKind::internal, "SQLite: " + message);
  }

  // Looked up by the SQL text without copying it into a key.
  struct TextHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
  };
  template <class T>
  using BySql = std::unordered_map<std::string, T, TextHash, std::equal_to<>>;

  sqlite3* db_ = nullptr;
  BySql<sqlite3_stmt*> statements_;
  BySql<std::vector<sqlite3_stmt*>> scripts_;
};

}  // namespace

std::unique_ptr<Connection> open_sqlite(const std::string& path) {
  // Memory statistics take a process-wide mutex on every SQLite allocation; we never read them.
  // sqlite3_config only works before the library initialises, hence once, here.
  static const bool configured = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) == SQLITE_OK;
  (void)configured;
  return std::make_unique<SqliteConnection>(path);
}

}  // namespace de::store
