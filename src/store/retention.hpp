#pragma once
// Data retention (docs/operations.md, "Retention"): finished tasks, events, finished workflow
// executions, delivered messages and AI call logs older than their window are deleted in the
// background, in small batches (each one short write job, so the writer never waits long),
// after an optional archive of every deleted row (JSON lines, gzip). Nothing is deleted unless
// a window is set: the default keeps everything.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "store/database.hpp"

namespace de::store {

struct RetentionOptions {
  // Days to keep each kind (fractions allowed); 0 keeps it for ever.
  double tasks_days = 0, events_days = 0, workflow_executions_days = 0, messages_days = 0, ai_calls_days = 0;
  // Where the archive goes before a deletion (`<kind>-<UTC day>.jsonl.gz`); empty: no archive.
  std::string archive_dir;
  std::chrono::milliseconds interval{60'000};  // between rounds
  std::size_t batch = 256;                     // rows per write job
  // Several nodes on one database: one prunes at a time, under a lease it renews at every
  // batch; another takes it once it has run out (0: three intervals, at least a minute).
  std::chrono::milliseconds lease{0};
  bool any() const {
    return tasks_days > 0 || events_days > 0 || workflow_executions_days > 0 || messages_days > 0 || ai_calls_days > 0;
  }
};

class Retention {
 public:
  Retention(Database& db, RetentionOptions options);
  ~Retention();
  // Prunes every `interval` on a thread of its own (also when no window is set: the summary's
  // rollups are trimmed).
  void start();
  void stop();
  // One round at `now`: every kind in batches until nothing older than its window is left.
  // Rows deleted by kind.
  std::map<std::string, std::int64_t> run_once(std::int64_t now);

 private:
  void run();
  // Takes or renews the lease; false while another node holds it.
  bool hold_lease();
  Database& db_;
  RetentionOptions options_;
  const std::string holder_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

// The highest event id a retention deleted (0: none). Every event up to it is gone, so a replay
// from an id below it would be short: the client must resync.
std::int64_t events_pruned_through(Connection& c);

// The smallest UUIDv7 made at `epoch_ms` or later: ids below it were made before (ids sort by
// creation).
std::string uuid_v7_floor(std::int64_t epoch_ms);

}  // namespace de::store
