#include "store/retention.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <vector>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/ids.hpp"
#include "core/json.hpp"
#include "core/log.hpp"
#include "store/projections.hpp"
#include "store/table_columns.hpp"

namespace de::store {

namespace {

constexpr std::int64_t day_ms = 24LL * 3600 * 1000;

// One archive line: {"table":...,"row":{...}}.
void append_line(std::string& out, const std::string& table, const std::vector<Column>& columns, const Row& row) {
  out += R"({"table":)" + core::quoted(table) + R"(,"row":{)";
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (i) out += ',';
    out += core::quoted(columns[i].name) + ':';
    if (row.is_null(i)) out += "null";
    else if (columns[i].kind == Column::number) out += row.text(i);
    else out += core::quoted(row.text(i));
  }
  out += "}}\n";
}

// Appends `lines` as one gzip member to the kind's file of the day and makes it durable. A file
// of several members is one gzip stream to every reader (gunzip, zcat, Python's gzip).
void archive(const std::string& dir, const std::string& kind, std::int64_t now, const std::string& lines) {
  if (dir.empty() || lines.empty()) return;
  std::filesystem::create_directories(dir);
  auto path = (std::filesystem::path(dir) / fmt::format("{}-{}.jsonl.gz", kind, core::format_timestamp(now).substr(0, 10))).string();
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) throw core::Error(core::ErrorKind::internal, fmt::format("cannot open {}: {}", path, std::strerror(errno)));
  int zfd = ::dup(fd);
  gzFile gz = zfd >= 0 ? gzdopen(zfd, "ab") : nullptr;
  bool ok = gz && gzwrite(gz, lines.data(), unsigned(lines.size())) == int(lines.size());
  if (gz) ok = gzclose(gz) == Z_OK && ok;
  else if (zfd >= 0) ::close(zfd);
  ok = ok && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) throw core::Error(core::ErrorKind::internal, fmt::format("cannot write the archive {}", path));
}

// A kind pruned by its UUIDv7 ids: the oldest finished rows of each finished status, re-checked
// when deleted (a row that changed since it was read stays).
struct ById {
  std::string kind, table;
  std::vector<std::string> statuses;  // finished
  std::string finished_at;            // the column that must be older than the window
  // Rows of other tables that go with a row (deleted by ON DELETE CASCADE), archived with it.
  std::string child_table, child_key;
};

}  // namespace

std::string uuid_v7_floor(std::int64_t epoch_ms) {
  auto ms = std::uint64_t(std::max<std::int64_t>(epoch_ms, 0));
  return fmt::format("{:08x}-{:04x}-0000-0000-000000000000", ms >> 16, ms & 0xffff);
}

std::int64_t events_pruned_through(Connection& c) {
  auto r = c.query("SELECT last_id FROM retention_marks WHERE kind = 'events'");
  return r.rows.empty() || r.rows[0].is_null(0) ? 0 : r.rows[0].integer(0);
}

Retention::Retention(Database& db, RetentionOptions options)
    : db_(db), options_(std::move(options)), holder_(core::new_id()) {
  if (options_.lease.count() == 0)
    options_.lease = std::max<std::chrono::milliseconds>(3 * options_.interval, std::chrono::minutes(1));
}

bool Retention::hold_lease() {
  auto now = core::now_ms();
  return db_.write_sync([&](Tx& tx) {
    return tx.connection
               .query("INSERT INTO node_leases (name, holder, expires_at) VALUES ('retention', ?, ?) ON CONFLICT (name) "
                      "DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at "
                      "WHERE node_leases.holder = excluded.holder OR node_leases.expires_at < ?",
                      {std::string_view(holder_), now + options_.lease.count(), now})
               .affected == 1;
  });
}

Retention::~Retention() { stop(); }

void Retention::start() {
  thread_ = std::thread([this] { run(); });
}

void Retention::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Retention::run() {
  core::name_this_thread("de-retention");
  std::unique_lock lock(mutex_);
  while (!cv_.wait_for(lock, options_.interval, [this] { return stopping_; })) {
    lock.unlock();
    try {
      auto deleted = run_once(core::now_ms());
      for (const auto& [kind, n] : deleted)
        if (n) spdlog::info(R"("msg":"retention","kind":{},"deleted":{})", core::quoted(kind), n);
    } catch (const std::exception& e) {
      spdlog::error(R"("msg":"retention failed","error":{})", core::quoted(e.what()));
    }
    lock.lock();
  }
}

std::map<std::string, std::int64_t> Retention::run_once(std::int64_t now) {
  std::map<std::string, std::int64_t> deleted;
  const auto batch = std::int64_t(options_.batch);
  auto stopping = [this] {
    std::lock_guard lock(mutex_);
    return stopping_;
  };
  auto cutoff_of = [&](double days) { return now - std::int64_t(days * double(day_ms)); };
  // Another node's round, or this one's taken over (this node was too slow to renew): left to it.
  if (!hold_lease()) return deleted;
  auto go_on = [&] { return !stopping() && hold_lease(); };

  // ---- tasks, workflow executions, messages: by UUIDv7 id and status ----
  const ById by_id[] = {
      {"tasks", "tasks", {"completed", "failed", "cancelled"}, "updated_at", "", ""},
      {"workflow_executions", "workflow_executions", {"completed", "failed", "cancelled"}, "completed_at",
       "workflow_steps", "execution_id"},
      {"messages", "messages", {"delivered"}, "delivered_at", "", ""},
  };
  const double days_by_id[] = {options_.tasks_days, options_.workflow_executions_days, options_.messages_days};
  for (std::size_t k = 0; k < std::size(by_id); ++k) {
    const auto& kind = by_id[k];
    if (days_by_id[k] <= 0) continue;
    auto cutoff = cutoff_of(days_by_id[k]);
    auto bound = uuid_v7_floor(cutoff);
    auto& count = deleted[kind.kind];
    for (const auto& status : kind.statuses) {
      while (go_on()) {
        // The oldest of this status, read in (status, id) index order up to the ids made
        // before the cutoff: nothing newer is looked at.
        std::vector<std::string> ids;
        std::string lines;
        db_.read([&](Connection& c) {
          auto columns = columns_of(c, kind.table);
          auto rows = c.query("SELECT " + select_list(columns) + " FROM " + kind.table + " WHERE status = ? AND id < ? AND " +
                                  kind.finished_at + " < ? ORDER BY id LIMIT ?",
                              {std::string_view(status), std::string_view(bound), cutoff, batch});
          for (const auto& row : rows.rows) {
            ids.push_back(row.text(0));
            append_line(lines, kind.table, columns, row);
          }
          if (!kind.child_table.empty() && !ids.empty()) {
            auto child_columns = columns_of(c, kind.child_table);
            auto children = c.query("SELECT " + select_list(child_columns) + " FROM " + kind.child_table + " WHERE " +
                                        kind.child_key + " IN (" + placeholders(ids.size()) + ")",
                                    text_params(ids));
            for (const auto& row : children.rows) append_line(lines, kind.child_table, child_columns, row);
          }
          return 0;
        });
        if (ids.empty()) break;
        archive(options_.archive_dir, kind.kind, now, lines);
        auto params = text_params(ids);
        params.emplace_back(std::string_view(status));
        params.emplace_back(cutoff);
        auto n = db_.write_sync([&](Tx& tx) {
          return tx.connection
              .query("DELETE FROM " + kind.table + " WHERE id IN (" + placeholders(ids.size()) + ") AND status = ? AND " +
                         kind.finished_at + " < ?",
                     params)
              .affected;
        });
        count += n;
        if (std::int64_t(ids.size()) < batch) break;
      }
    }
  }

  // ---- AI call logs: by time (indexed) ----
  if (options_.ai_calls_days > 0) {
    auto cutoff = cutoff_of(options_.ai_calls_days);
    auto& count = deleted["ai_calls"];
    while (go_on()) {
      std::vector<std::int64_t> ids;
      std::string lines;
      db_.read([&](Connection& c) {
        auto columns = columns_of(c, "ai_calls");
        for (const auto& row : c.query("SELECT " + select_list(columns) +
                                           " FROM ai_calls WHERE created_at < ? ORDER BY created_at, id LIMIT ?",
                                       {cutoff, batch})
                                   .rows) {
          ids.push_back(row.integer(0));
          append_line(lines, "ai_calls", columns, row);
        }
        return 0;
      });
      if (ids.empty()) break;
      archive(options_.archive_dir, "ai_calls", now, lines);
      std::vector<Param> params(ids.begin(), ids.end());
      count += db_.write_sync([&](Tx& tx) {
        return tx.connection.query("DELETE FROM ai_calls WHERE id IN (" + placeholders(ids.size()) + ")", params).affected;
      });
      if (std::int64_t(ids.size()) < batch) break;
    }
  }

  // ---- events: a prefix of the log ----
  if (options_.events_days > 0) {
    auto cutoff = cutoff_of(options_.events_days);
    auto& count = deleted["events"];
    const std::string kept_apart(projections::source_events_condition());
    while (go_on()) {
      std::int64_t from = 0, through = 0;
      std::string lines;
      db_.read([&](Connection& c) {
        // Kept: the newest event (SQLite gives a new event the highest id plus one), the events
        // an outbound webhook subscription has yet to send, and an event another refers to
        // (`data_from`, written in the same transaction, so a few ids further on).
        auto newest = c.query("SELECT COALESCE(MAX(id), 0) FROM events").rows.at(0).integer(0);
        auto cursors = c.query("SELECT MIN(cursor) FROM webhook_subscriptions").rows.at(0);
        auto limit = newest - 1;
        if (!cursors.is_null(0)) limit = std::min(limit, cursors.integer(0));
        // The events of the projections stay (their source: store/projections.hpp), so the
        // prefix pruned so far is read from its mark on, not from the first event.
        from = events_pruned_through(c);
        auto head = c.query("SELECT id, created_at FROM events WHERE id > ? AND id <= ? AND " + kept_apart +
                                " ORDER BY id LIMIT ?",
                            {from, limit, batch});
        for (const auto& row : head.rows) {
          if (row.integer(1) >= cutoff) break;
          through = row.integer(0);
        }
        if (through == 0) return 0;
        auto referred = c.query(
            "SELECT MIN(data_from) FROM events WHERE id > ? AND id <= ? AND data_from IS NOT NULL AND data_from <= ?",
            {through, through + 1024, through});
        if (!referred.rows.at(0).is_null(0)) through = referred.rows[0].integer(0) - 1;
        auto columns = columns_of(c, "events");
        for (const auto& row : c.query("SELECT " + select_list(columns) + " FROM events WHERE id > ? AND id <= ? AND created_at < ? AND " +
                                           kept_apart + " ORDER BY id",
                                       {from, through, cutoff})
                                   .rows)
          append_line(lines, "events", columns, row);
        return 0;
      });
      if (through <= 0) break;
      archive(options_.archive_dir, "events", now, lines);
      auto n = db_.write_sync([&](Tx& tx) {
        auto r = tx.connection.query("DELETE FROM events WHERE id > ? AND id <= ? AND created_at < ? AND " + kept_apart,
                                     {from, through, cutoff});
        tx.connection.query(
            "INSERT INTO retention_marks (kind, last_id, deleted, updated_at) VALUES ('events', ?, ?, ?) ON CONFLICT "
            "(kind) DO UPDATE SET last_id = excluded.last_id, deleted = retention_marks.deleted + excluded.deleted, "
            "updated_at = excluded.updated_at",
            {through, r.affected, now});
        return r.affected;
      });
      count += n;
      if (n < batch) break;
    }
  }

  // ---- the summary's rollups (migration 18) ----
  db_.write_sync([&](Tx& tx) {
    // The summary reads the last hour of the latency histogram: a day is kept.
    tx.connection.query("DELETE FROM task_latency WHERE minute < ?", {(now - day_ms) / 60000});
    // PostgreSQL: the counts of backends that ended are folded into shard 0.
    if (tx.connection.dialect() == Dialect::postgres)
      for (auto [table, key] : {std::pair<std::string, std::string>{"task_counts", "status"}, {"task_waiting", "type"}}) {
        tx.connection.query("WITH gone AS (DELETE FROM " + table + " WHERE shard <> 0 AND shard NOT IN (SELECT pid FROM "
                            "pg_stat_activity WHERE pid IS NOT NULL) RETURNING " + key + ", n) INSERT INTO " + table +
                            " (" + key + ", shard, n) SELECT " + key + ", 0, sum(n) FROM gone GROUP BY " + key +
                            " ON CONFLICT (" + key + ", shard) DO UPDATE SET n = " + table + ".n + excluded.n");
      }
    // The types that no longer wait (one row each, or one per backend there was).
    tx.connection.query("DELETE FROM task_waiting WHERE shard = 0 AND n = 0");
  });

  // ---- SQLite: the freed pages go back to the file system, a few at a time ----
  std::int64_t total = 0;
  for (const auto& [kind, n] : deleted) total += n;
  if (total > 0 && db_.dialect() == Dialect::sqlite) {
    for (int round = 0; round < 1000 && !stopping(); ++round) {
      auto freelist = db_.read([](Connection& c) {
        auto mode = c.query("PRAGMA auto_vacuum").rows.at(0).integer(0);
        return mode == 2 ? c.query("PRAGMA freelist_count").rows.at(0).integer(0) : 0;
      });
      if (freelist == 0) break;
      db_.write_sync([](Tx& tx) { tx.connection.execute_script("PRAGMA incremental_vacuum(512)"); });
    }
  }
  return deleted;
}

}  // namespace de::store
