#include "store/backup.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <thread>

#include <fmt/format.h>

#include "core/error.hpp"
#include "store/wal_vfs.hpp"

namespace de::store {

namespace fs = std::filesystem;
using core::Error;
using core::ErrorKind;

namespace {

struct Close {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using Handle = std::unique_ptr<sqlite3, Close>;

Handle open_db(const std::string& path, int flags) {
  sqlite3* db = nullptr;
  // The server's VFS: its locks are the default VFS's, so a copy taken here sees a live server's
  // commits exactly as the server's own readers do.
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, wal_coalescing_vfs());
  Handle handle(db);
  if (rc != SQLITE_OK)
    throw Error(ErrorKind::unavailable,
                fmt::format("cannot open the SQLite database {}: {}", path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
  sqlite3_busy_timeout(db, 10000);
  return handle;
}

void execute(sqlite3* db, const char* sql, const std::string& path) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    std::string text = message ? message : sqlite3_errmsg(db);
    sqlite3_free(message);
    throw Error(ErrorKind::unavailable, fmt::format("{}: {}", path, text));
  }
}

std::int64_t scalar(sqlite3* db, const char* sql) {
  sqlite3_stmt* stmt = nullptr;
  std::int64_t value = 0;
  if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW)
    value = sqlite3_column_int64(stmt, 0);
  sqlite3_finalize(stmt);
  return value;
}

// PRAGMA integrity_check, and the migrations table that makes it one of ours.
Snapshot check(sqlite3* db, const std::string& path) {
  sqlite3_stmt* stmt = nullptr;
  std::string verdict;
  if (sqlite3_prepare_v2(db, "PRAGMA integrity_check(20)", -1, &stmt, nullptr) == SQLITE_OK)
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      if (!verdict.empty()) verdict += "; ";
      verdict += reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    }
  sqlite3_finalize(stmt);
  if (verdict != "ok")
    throw Error(ErrorKind::unavailable, fmt::format("{} fails PRAGMA integrity_check: {}", path,
                                                    verdict.empty() ? sqlite3_errmsg(db) : verdict));
  if (!scalar(db, "SELECT count(*) FROM sqlite_master WHERE name = 'schema_migrations'"))
    throw Error(ErrorKind::bad_request, fmt::format("{} is not a Digital Enterprise database (no schema_migrations)", path));
  Snapshot snapshot;
  snapshot.pages = scalar(db, "PRAGMA page_count");
  snapshot.bytes = snapshot.pages * scalar(db, "PRAGMA page_size");
  snapshot.schema_version = scalar(db, "SELECT coalesce(max(version), 0) FROM schema_migrations");
  return snapshot;
}

// Every page of `from` into `to`, in one step: one read transaction on `from`, so the copy is
// one commit's state even while another process writes (a step at a time would start over at
// each of its commits).
void copy(sqlite3* from, sqlite3* to, const std::string& what) {
  sqlite3_backup* backup = sqlite3_backup_init(to, "main", from, "main");
  if (!backup) throw Error(ErrorKind::unavailable, fmt::format("{}: {}", what, sqlite3_errmsg(to)));
  int rc;
  for (int attempt = 0;; ++attempt) {
    rc = sqlite3_backup_step(backup, -1);
    if ((rc != SQLITE_BUSY && rc != SQLITE_LOCKED) || attempt == 200) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE) throw Error(ErrorKind::unavailable, fmt::format("{}: {}", what, sqlite3_errstr(rc)));
}

void sync_path(const fs::path& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  bool ok = fd >= 0 && ::fsync(fd) == 0;
  if (fd >= 0) ::close(fd);
  if (!ok) throw Error(ErrorKind::unavailable, fmt::format("cannot make {} durable", path.string()));
}

// `from` copied into a new file next to `target`, checked, made durable and renamed over it.
Snapshot write_checked(sqlite3* from, const std::string& target) {
  fs::path final_path = fs::absolute(target);
  fs::path temporary = final_path;
  temporary += fmt::format(".tmp-{}", ::getpid());
  fs::remove(temporary);
  try {
    Snapshot snapshot;
    {
      auto to = open_db(temporary.string(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
      copy(from, to.get(), "copying into " + temporary.string());
      // One self-contained file: no write-ahead log to carry alongside it.
      execute(to.get(), "PRAGMA journal_mode=DELETE", temporary.string());
      snapshot = check(to.get(), temporary.string());
    }
    sync_path(temporary, O_RDONLY);
    fs::rename(temporary, final_path);
    sync_path(final_path.parent_path(), O_RDONLY | O_DIRECTORY);
    return snapshot;
  } catch (...) {
    std::error_code ignored;
    fs::remove(temporary, ignored);
    throw;
  }
}

}  // namespace

std::string sqlite_path(const std::string& database_url) {
  if (!database_url.starts_with("sqlite:")) return {};
  std::string path = database_url.substr(7);
  return path.starts_with("//") ? path.substr(2) : path;
}

Snapshot backup_sqlite(const std::string& source, const std::string& target) {
  if (!fs::exists(source)) throw Error(ErrorKind::not_found, fmt::format("there is no database at {}", source));
  // Read-write (it writes nothing): a read-only connection could not make the shared memory of
  // a log a stopped server left behind.
  auto from = open_db(source, SQLITE_OPEN_READWRITE);
  check(from.get(), source);  // before a broken file replaces a good backup
  return write_checked(from.get(), target);
}

bool sqlite_in_use(const std::string& path) {
  // Every connection in WAL mode holds a shared lock on the DMS byte of the -shm file while it
  // is open (the unix VFS: byte 120 + 8); a write lock on it is what a lone opener could take.
  int fd = ::open((path + "-shm").c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return false;
  struct flock lock {};
  lock.l_type = F_WRLCK;
  lock.l_whence = SEEK_SET;
  lock.l_start = 128;
  lock.l_len = 1;
  bool held = ::fcntl(fd, F_GETLK, &lock) == 0 && lock.l_type != F_UNLCK;
  ::close(fd);
  return held;
}

bool sqlite_has_tables(const std::string& path) {
  if (!fs::exists(path) || fs::file_size(path) == 0) return false;
  auto db = open_db(path, SQLITE_OPEN_READWRITE);
  return scalar(db.get(), "SELECT count(*) FROM sqlite_master WHERE type = 'table'") > 0;
}

Snapshot restore_sqlite(const std::string& backup, const std::string& target, bool force) {
  if (!fs::exists(backup)) throw Error(ErrorKind::not_found, fmt::format("there is no backup at {}", backup));
  if (sqlite_in_use(target))
    throw Error(ErrorKind::conflict,
                fmt::format("{} is open in another process (a running server?): stop it before restoring", target));
  if (!force && sqlite_has_tables(target))
    throw Error(ErrorKind::conflict,
                fmt::format("{} already holds a database: restore with --force to replace it", target));
  auto from = open_db(backup, SQLITE_OPEN_READONLY);
  check(from.get(), backup);
  if (auto parent = fs::absolute(target).parent_path(); !parent.empty()) fs::create_directories(parent);
  // The old file's log and shared memory would be replayed onto the new file: they go first.
  for (const char* suffix : {"-wal", "-shm", "-journal"}) fs::remove(target + suffix);
  return write_checked(from.get(), target);
}

}  // namespace de::store
