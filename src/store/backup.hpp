#pragma once
// Backup and restore of an SQLite database file (docs/operations.md, docs/security.md). A
// backup is a consistent snapshot taken with SQLite's online backup API while the server may
// be running and writing: one read transaction copies every page, so writers (in WAL mode) go
// on and the copy is the database as of one commit. Both write a temporary file next to the
// target, check it (PRAGMA integrity_check), make it durable and rename it into place: a
// failure leaves the target as it was. PostgreSQL has pg_dump and pg_restore for this.
#include <cstdint>
#include <string>

namespace de::store {

// The file path of a sqlite: DE_DATABASE_URL; empty for any other URL.
std::string sqlite_path(const std::string& database_url);

struct Snapshot {
  std::int64_t pages = 0, bytes = 0;
  std::int64_t schema_version = 0;  // the highest migration applied
};

// Copies the database at `source` (which must exist) to `target`, replacing it whole. Throws
// core::Error naming what failed.
Snapshot backup_sqlite(const std::string& source, const std::string& target);

// Whether another process has the database at `path` open (SQLite's WAL shared-memory lock).
bool sqlite_in_use(const std::string& path);

// Whether the file at `path` holds a database with any table in it (a fresh path holds none).
bool sqlite_has_tables(const std::string& path);

// Puts the backup at `backup` in place of the database at `target`: checked first, the
// target's leftover write-ahead log and shared memory removed (they belong to the old file), no
// process may hold the target. Overwriting a database with tables in it needs `force`.
Snapshot restore_sqlite(const std::string& backup, const std::string& target, bool force);

}  // namespace de::store
