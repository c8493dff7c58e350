#pragma once
// Repositories: the platform's queries, written once for both SQL dialects.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/model.hpp"
#include "store/sql.hpp"

namespace de::store {

template <class T>
struct Page {
  std::vector<T> items;
  std::optional<std::string> next_cursor;  // id of the last item when more follow
};

struct PageRequest {
  std::optional<std::string> cursor;  // a UUID (validated by the caller)
  std::int64_t limit = 50;
};

// A page from rows read with `LIMIT page.limit + 1`: the first page.limit mapped by `from_row`,
// and the next page's cursor when a row more came.
template <class T, class F>
Page<T> to_page(const Result& result, const PageRequest& page, F from_row) {
  Page<T> out;
  for (std::size_t i = 0; i < result.rows.size() && std::int64_t(i) < page.limit; ++i) out.items.push_back(from_row(result.rows[i]));
  if (std::int64_t(result.rows.size()) > page.limit && !out.items.empty()) out.next_cursor = out.items.back().id;
  return out;
}

namespace users {
void insert(Connection& c, const model::User& user);
void update(Connection& c, const model::User& user);
bool remove(Connection& c, const std::string& id);
std::optional<model::User> find(Connection& c, const std::string& id);
// By email or username.
std::optional<model::User> find_by_login(Connection& c, const std::string& login);
Page<model::User> list(Connection& c, const PageRequest& page);
std::int64_t count(Connection& c);
}  // namespace users

namespace agents {
void insert(Connection& c, const model::Agent& agent);
void update(Connection& c, const model::Agent& agent);
// idle <-> busy, only while the agent is idle or busy (never over paused or stopped).
bool set_activity(Connection& c, const std::string& id, bool busy, std::int64_t now);
// Adds finished tasks to the agent's counters.
void add_outcomes(Connection& c, const std::string& id, std::int64_t completed, std::int64_t failed,
                  std::int64_t latency_ms);
bool remove(Connection& c, const std::string& id);
std::optional<model::Agent> find(Connection& c, const std::string& id);
std::optional<model::Agent> find_by_name(Connection& c, const std::string& name);
struct Filter {
  std::optional<std::string> status;
  std::optional<std::string> type;
};
Page<model::Agent> list(Connection& c, const Filter& filter, const PageRequest& page);
std::vector<model::Agent> all(Connection& c);
std::map<std::string, std::int64_t> count_by_status(Connection& c);
}  // namespace agents

namespace tasks {
// Who runs a task, until when (renewed while it runs).
struct Lease {
  std::string owner;
  std::int64_t expires_at = 0;
};
// `lease`: the task is created running under it (placed on an agent by the hub at creation).
void insert(Connection& c, const model::Task& task, const std::optional<std::string>& idempotency_key,
            const std::optional<std::string>& request_hash, const std::optional<Lease>& lease = std::nullopt);
// Status, assignment, output, error, attempts and timings.
void update(Connection& c, const model::Task& task);
std::optional<model::Task> find(Connection& c, const std::string& id);
struct IdempotentMatch {
  model::Task task;
  std::string request_hash;
};
std::optional<IdempotentMatch> find_by_idempotency_key(Connection& c, const std::string& created_by,
                                                       const std::string& key);
struct Filter {
  std::optional<std::string> status;
  std::optional<std::string> type;
  std::optional<std::string> type_prefix;  // types starting with it
  std::optional<std::string> agent;
};
Page<model::Task> list(Connection& c, const Filter& filter, const PageRequest& page);
// Tasks by status, from the counts kept in the same transaction as every change (migration
// 18): constant time, equal to a recount.
std::map<std::string, std::int64_t> count_by_status(Connection& c);
// Pending and queued tasks by type, from counts kept by triggers (migration 31): one row per
// type, however many wait.
std::map<std::string, std::int64_t> waiting_by_type(Connection& c);
// Run time (completed_at - started_at) percentiles of the tasks completed in the minutes from
// `since_ms` on, from the histogram kept by minute (migration 18): each figure is the lower
// bound of its bucket (exact below 20 ms, then 5 % wide).
struct Latency {
  std::optional<double> p50, p95;
};
Latency latency(Connection& c, std::int64_t since_ms);
// The lower bound of a run-time bucket (migration 18).
double latency_bucket_floor(std::int64_t bucket);

// ---- the queue (used by the hub) ----
struct Queued {
  std::string id;
  std::string type;
  int priority_rank = 1;
  std::optional<std::string> pinned_agent;
  std::int64_t available_at = 0;
};
// Whose queue: a type's (the tasks not pinned to an agent) or an agent's (those pinned to it).
struct QueueOf {
  std::string name;
  bool agent = false;
};
// Queued tasks, all or `of` one queue, highest priority first, oldest first within a priority.
std::vector<Queued> queued(Connection& c, std::size_t limit, const std::optional<QueueOf>& of = std::nullopt);
// queued -> running under a lease. `claimed` gets the task as claimed, in the same transaction,
// unless someone else got it first or it was cancelled: at once on SQLite, at the next flush on
// PostgreSQL (one statement sent in the pipeline; see Tx::as_job).
void claim(Connection& c, const std::string& id, const std::string& agent_id, const std::string& lease,
           std::int64_t lease_expires_at, std::int64_t now, std::function<void(model::Task)> claimed);
// Extends the lease of a running task held under `lease`.
bool renew_lease(Connection& c, const std::string& id, const std::string& lease, std::int64_t lease_expires_at);
// Leases past their expiry (crashed process, vanished remote agent).
std::vector<std::string> expired_leases(Connection& c, std::int64_t now, std::size_t limit);
// A running task whose lease expired goes back to the queue, or fails when it
// has no attempts left. Returns the task when it changed.
// `expired_before`: the lease must have ended before it (start-up recovery of a single node
// passes the largest value: no other process can hold a lease).
std::optional<model::Task> expire_lease(Connection& c, const std::string& id, std::int64_t now,
                                        std::int64_t expired_before);
// Running tasks under any lease (start-up recovery of a single node).
std::vector<std::string> running(Connection& c, std::size_t limit);
// A running task with its outcome, as finish() stores it: `task` as claimed, with the new
// status, output, error and times. (Built in memory, not read back: while the lease holds,
// only the status and outcome change. A reference nulled meanwhile by deleting the task's
// agent or creator shows in the stored row only.)
model::Task with_outcome(model::Task task, const std::string& status, std::optional<boost::json::value> output,
                         std::optional<std::string> error, std::int64_t now);
// Stores the outcome of `done` (from with_outcome) only while the task still holds `lease`
// (so a late or duplicate result is never recorded twice), then calls `recorded` if it was
// stored: sent without waiting (Connection::send), so `recorded` runs when the batch's
// statements are next flushed, still inside the job's transaction (what it emits goes through
// Tx::as_job).
void finish(Connection& c, const model::Task& done, const std::string& lease, std::int64_t available_at,
            std::function<void()> recorded);
}  // namespace tasks

namespace refresh_tokens {
struct Record {
  std::string id;
  std::string user_id;
  std::string family_id;
  std::int64_t expires_at = 0;
  std::optional<std::int64_t> used_at;
  std::optional<std::int64_t> revoked_at;
};
void insert(Connection& c, const Record& record, const std::string& token_hash);
std::optional<Record> find_by_hash(Connection& c, const std::string& token_hash);
void mark_used(Connection& c, const std::string& id);
void revoke_family(Connection& c, const std::string& family_id);
}  // namespace refresh_tokens

namespace api_keys {
struct Record {
  std::string id;
  std::string user_id;
  std::string name;
  std::string prefix;
  model::RoleSet roles = 0;
  std::int64_t created_at = 0;
  std::optional<std::int64_t> last_used_at;
  std::optional<int> rate_limit_per_minute;  // unset: the server's limit; 0: none
};
boost::json::object to_json(const Record& record);
void insert(Connection& c, const Record& record, const std::string& key_hash);
// The fields a person may change; false when there is no such key.
bool update(Connection& c, const std::string& id, const std::string& name, std::optional<int> rate_limit_per_minute);
std::optional<Record> find_by_hash(Connection& c, const std::string& key_hash);
std::optional<Record> find(Connection& c, const std::string& id);
Page<Record> list(Connection& c, const PageRequest& page);
bool remove(Connection& c, const std::string& id);
void touch(Connection& c, const std::string& id, std::int64_t at);
}  // namespace api_keys

namespace messages {
void insert(Connection& c, const model::Message& message);
bool mark_delivered(Connection& c, const std::string& id, std::int64_t at);
std::optional<model::Message> find(Connection& c, const std::string& id);
// Messages from or to `agent_id` (all when unset), newest first.
Page<model::Message> list(Connection& c, const std::optional<std::string>& agent_id, const PageRequest& page);
}  // namespace messages

namespace metrics {
void insert(Connection& c, const model::Metric& metric);
struct Query {
  std::string name;
  std::optional<std::string> agent_id;
  std::int64_t from = 0, to = 0;
  std::int64_t bucket_ms = 60000;
  std::string agg = "sum";  // sum|avg|min|max|count
};
struct Point {
  std::int64_t t;
  double value;
};
std::vector<Point> series(Connection& c, const Query& query);
}  // namespace metrics

}  // namespace de::store
