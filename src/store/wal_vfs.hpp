#pragma once
// An SQLite VFS that is the default one, except for how a transaction's frames reach the
// write-ahead log: SQLite writes each frame as two calls (its 24-byte header, then the page);
// here the frames a transaction appends are held and written with one system call at its
// commit frame. Nothing is held past the call that writes the commit frame, and any other
// use of the file (read, sync, size, truncate, close) writes what is held first, so what
// SQLite reads and what a sync makes durable are unchanged.
namespace de::store {

// Registers the VFS on first use (not as the default); its name, for sqlite3_open_v2.
const char* wal_coalescing_vfs();

}  // namespace de::store
