#include "store/wal_vfs.hpp"

#include <sqlite3.h>

#include <cstdint>
#include <new>
#include <string>

namespace de::store {

namespace {

constexpr int frame_header_size = 24;  // SQLite's WAL format, "WAL Frame Header"
// The unix VFS writes at most 128 KiB - 1 in one call (it masks the length to 17 bits).
constexpr std::size_t max_held = 0x1ffff;

sqlite3_vfs* base_vfs = nullptr;  // the default VFS, which does the actual work

// A WAL file: ours in front, the default VFS's file right behind it (szOsFile covers both).
struct WalFile {
  sqlite3_file file;  // first: SQLite sees a WalFile as this
  sqlite3_file* base;
  std::string held;  // frames appended but not yet written, starting at held_at
  sqlite3_int64 held_at = 0;
  bool commit_page_next = false;  // the held header is a commit frame's: its page ends the commit
};

constexpr std::size_t base_file_offset = (sizeof(WalFile) + 15) / 16 * 16;

WalFile& wal(sqlite3_file* f) { return *reinterpret_cast<WalFile*>(f); }
sqlite3_file* base(sqlite3_file* f) { return wal(f).base; }

int flush(sqlite3_file* f) {
  auto& w = wal(f);
  w.commit_page_next = false;
  if (w.held.empty()) return SQLITE_OK;
  int rc = w.base->pMethods->xWrite(w.base, w.held.data(), int(w.held.size()), w.held_at);
  w.held.clear();
  return rc;
}

std::uint32_t big_endian_u32(const void* p) {
  auto b = static_cast<const unsigned char*>(p);
  return std::uint32_t(b[0]) << 24 | std::uint32_t(b[1]) << 16 | std::uint32_t(b[2]) << 8 | b[3];
}

// SQLite appends a frame as its header then its page, at the end of the log. A header is held
// when it starts a transaction's run of frames and is not a commit frame's, or when it follows
// held frames (a commit frame's included); a page is held when it follows its held header.
// Headers SQLite rewrites in place (walRewriteChecksums) come right after a read, which wrote
// everything held, so they are written through: the last of them, a commit frame's, is never
// left held with nothing to follow it.
int write(sqlite3_file* f, const void* data, int amount, sqlite3_int64 offset) {
  auto& w = wal(f);
  if (!w.held.empty() && offset != w.held_at + sqlite3_int64(w.held.size()))
    if (int rc = flush(f); rc != SQLITE_OK) return rc;
  bool header = amount == frame_header_size;
  bool commit = header && big_endian_u32(static_cast<const char*>(data) + 4) != 0;
  bool hold = header ? (!commit || !w.held.empty()) : !w.held.empty();
  if (hold && w.held.size() + std::size_t(amount) > max_held) {
    if (int rc = flush(f); rc != SQLITE_OK) return rc;
    hold = header && !commit;
  }
  if (!hold) return w.base->pMethods->xWrite(w.base, data, amount, offset);
  if (w.held.empty()) w.held_at = offset;
  w.held.append(static_cast<const char*>(data), std::size_t(amount));
  if (header) {
    w.commit_page_next = commit;
    return SQLITE_OK;
  }
  return w.commit_page_next ? flush(f) : SQLITE_OK;
}

int close(sqlite3_file* f) {
  int flushed = flush(f);
  int rc = base(f)->pMethods->xClose(base(f));
  wal(f).~WalFile();
  return flushed != SQLITE_OK ? flushed : rc;
}

// A method of the default VFS's file, called on ours: as it is (`forward`), or once what is
// held is written (`after_flush`), for every use of the file that reads or sizes it.
template <auto method>
struct Base;
template <class... Args, int (*sqlite3_io_methods::*method)(sqlite3_file*, Args...)>
struct Base<method> {
  static int forward(sqlite3_file* f, Args... args) { return (base(f)->pMethods->*method)(base(f), args...); }
  static int after_flush(sqlite3_file* f, Args... args) {
    if (int rc = flush(f); rc != SQLITE_OK) return rc;
    return forward(f, args...);
  }
};

// Version 1: SQLite uses shared memory and memory-mapping on the database file, never on its log.
const sqlite3_io_methods wal_methods = {
    1,
    close,
    Base<&sqlite3_io_methods::xRead>::after_flush,
    write,
    Base<&sqlite3_io_methods::xTruncate>::after_flush,
    Base<&sqlite3_io_methods::xSync>::after_flush,
    Base<&sqlite3_io_methods::xFileSize>::after_flush,
    Base<&sqlite3_io_methods::xLock>::forward,
    Base<&sqlite3_io_methods::xUnlock>::forward,
    Base<&sqlite3_io_methods::xCheckReservedLock>::forward,
    Base<&sqlite3_io_methods::xFileControl>::after_flush,
    Base<&sqlite3_io_methods::xSectorSize>::forward,
    Base<&sqlite3_io_methods::xDeviceCharacteristics>::forward,
    nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
};

// Every file but a WAL is the default VFS's own, opened in place (our szOsFile is larger).
int open(sqlite3_vfs*, const char* name, sqlite3_file* f, int flags, int* out_flags) {
  if (!(flags & SQLITE_OPEN_WAL)) return base_vfs->xOpen(base_vfs, name, f, flags, out_flags);
  auto* w = new (f) WalFile{};
  w->base = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(f) + base_file_offset);
  int rc = base_vfs->xOpen(base_vfs, name, w->base, flags, out_flags);
  if (rc != SQLITE_OK) {
    if (w->base->pMethods) w->base->pMethods->xClose(w->base);
    w->~WalFile();
    f->pMethods = nullptr;
    return rc;
  }
  f->pMethods = &wal_methods;
  return SQLITE_OK;
}

sqlite3_vfs make_vfs() {
  base_vfs = sqlite3_vfs_find(nullptr);
  // Everything else is the default VFS's (unix: its other methods do not use their VFS
  // argument; xOpen, which does, gets the default VFS itself).
  sqlite3_vfs vfs = *base_vfs;
  vfs.szOsFile = int(base_file_offset) + base_vfs->szOsFile;
  vfs.zName = "de-wal-coalescing";
  vfs.pNext = nullptr;
  vfs.xOpen = open;
  return vfs;
}

}  // namespace

const char* wal_coalescing_vfs() {
  static sqlite3_vfs vfs = make_vfs();
  static const bool registered = sqlite3_vfs_register(&vfs, 0) == SQLITE_OK;
  return registered ? vfs.zName : nullptr;
}

}  // namespace de::store
