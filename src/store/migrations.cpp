#include "store/migrations.hpp"

#include <cstring>
#include <optional>
#include <set>
#include <string>

#include "core/clock.hpp"

namespace de::store {

namespace {

struct Migration {
  int version;
  const char* name;
  // Portable SQL with type placeholders: {uuid} {json} {bool} {true} {false} {real} {serial}.
  const char* sql;
  // Set for a change one backend needs; the other records the version and does nothing.
  std::optional<Dialect> only = std::nullopt;
  // What one backend runs after `sql`, where the dialects differ (triggers).
  const char* sqlite_then = nullptr;
  const char* postgres_then = nullptr;
};

// The running counts of tasks by status and the run-time histogram of completed tasks by
// minute of completion, kept by triggers in the transaction of every change to a task (so they
// are equal to a recount after any crash), read by GET /analytics/summary in constant time.
// A run time d (ms) falls in bucket d below 20, else 20 + floor(ln(d / 20) / ln(1.05)) (5 %
// wide; analytics/summary reads a bucket as its lower bound). The rows are keyed by a shard:
// 0 on SQLite (one writer); on PostgreSQL the backend's pid, so that the writers of several
// nodes never wait for (or deadlock on) each other's counter rows. Counts may be negative in a
// shard; their sum is the count. Rows of ended backends are folded into shard 0 (store::
// retention), and latency rows older than a day are deleted there (the summary reads the last
// hour). The delete trigger leaves the latency rows alone: a retention deletes only tasks that
// finished days ago.
constexpr const char* task_counts_tables = R"SQL(
CREATE TABLE task_counts (
  status TEXT NOT NULL,
  shard BIGINT NOT NULL,
  n BIGINT NOT NULL,
  PRIMARY KEY (status, shard)
){without_rowid};
CREATE TABLE task_latency (
  minute BIGINT NOT NULL,
  bucket INTEGER NOT NULL,
  shard BIGINT NOT NULL,
  n BIGINT NOT NULL,
  PRIMARY KEY (minute, bucket, shard)
){without_rowid};
INSERT INTO task_counts (status, shard, n) SELECT status, 0, count(*) FROM tasks GROUP BY status;
INSERT INTO task_latency (minute, bucket, shard, n)
  SELECT completed_at / 60000, {bucket}, 0, count(*) FROM tasks
  WHERE status = 'completed' AND started_at IS NOT NULL AND completed_at IS NOT NULL
  GROUP BY completed_at / 60000, {bucket};
)SQL";

constexpr const char* task_counts_sqlite = R"SQL(
CREATE TRIGGER tasks_count_insert AFTER INSERT ON tasks BEGIN
  INSERT INTO task_counts (status, shard, n) VALUES (NEW.status, 0, 1)
    ON CONFLICT (status, shard) DO UPDATE SET n = n + 1;
  INSERT INTO task_latency (minute, bucket, shard, n)
    SELECT NEW.completed_at / 60000, {new_bucket}, 0, 1
    WHERE NEW.status = 'completed' AND NEW.started_at IS NOT NULL AND NEW.completed_at IS NOT NULL
    ON CONFLICT (minute, bucket, shard) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER tasks_count_status AFTER UPDATE OF status ON tasks WHEN OLD.status IS NOT NEW.status BEGIN
  INSERT INTO task_counts (status, shard, n) VALUES (OLD.status, 0, -1)
    ON CONFLICT (status, shard) DO UPDATE SET n = n - 1;
  INSERT INTO task_counts (status, shard, n) VALUES (NEW.status, 0, 1)
    ON CONFLICT (status, shard) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER tasks_count_latency AFTER UPDATE OF status, started_at, completed_at ON tasks
  WHEN (OLD.status = 'completed' OR NEW.status = 'completed') AND (OLD.status IS NOT NEW.status OR
        OLD.started_at IS NOT NEW.started_at OR OLD.completed_at IS NOT NEW.completed_at) BEGIN
  INSERT INTO task_latency (minute, bucket, shard, n)
    SELECT OLD.completed_at / 60000, {old_bucket}, 0, -1
    WHERE OLD.status = 'completed' AND OLD.started_at IS NOT NULL AND OLD.completed_at IS NOT NULL
    ON CONFLICT (minute, bucket, shard) DO UPDATE SET n = n - 1;
  INSERT INTO task_latency (minute, bucket, shard, n)
    SELECT NEW.completed_at / 60000, {new_bucket}, 0, 1
    WHERE NEW.status = 'completed' AND NEW.started_at IS NOT NULL AND NEW.completed_at IS NOT NULL
    ON CONFLICT (minute, bucket, shard) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER tasks_count_delete AFTER DELETE ON tasks BEGIN
  INSERT INTO task_counts (status, shard, n) VALUES (OLD.status, 0, -1)
    ON CONFLICT (status, shard) DO UPDATE SET n = n - 1;
END;
)SQL";

constexpr const char* task_counts_postgres = R"SQL(
CREATE FUNCTION de_task_counts() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  s BIGINT := pg_backend_pid();
  old_done BOOLEAN := TG_OP <> 'INSERT' AND OLD.status = 'completed' AND OLD.started_at IS NOT NULL AND OLD.completed_at IS NOT NULL;
  new_done BOOLEAN := TG_OP <> 'DELETE' AND NEW.status = 'completed' AND NEW.started_at IS NOT NULL AND NEW.completed_at IS NOT NULL;
BEGIN
  IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.status IS DISTINCT FROM NEW.status) THEN
    INSERT INTO task_counts (status, shard, n) VALUES (OLD.status, s, -1)
      ON CONFLICT (status, shard) DO UPDATE SET n = task_counts.n - 1;
  END IF;
  IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND OLD.status IS DISTINCT FROM NEW.status) THEN
    INSERT INTO task_counts (status, shard, n) VALUES (NEW.status, s, 1)
      ON CONFLICT (status, shard) DO UPDATE SET n = task_counts.n + 1;
  END IF;
  IF TG_OP = 'UPDATE' AND (old_done OR new_done) AND (OLD.status IS DISTINCT FROM NEW.status OR
     OLD.started_at IS DISTINCT FROM NEW.started_at OR OLD.completed_at IS DISTINCT FROM NEW.completed_at) THEN
    IF old_done THEN
      INSERT INTO task_latency (minute, bucket, shard, n) VALUES (OLD.completed_at / 60000, {old_bucket}, s, -1)
        ON CONFLICT (minute, bucket, shard) DO UPDATE SET n = task_latency.n - 1;
    END IF;
  ELSIF TG_OP <> 'INSERT' THEN
    new_done := FALSE;
  END IF;
  IF new_done THEN
    INSERT INTO task_latency (minute, bucket, shard, n) VALUES (NEW.completed_at / 60000, {new_bucket}, s, 1)
      ON CONFLICT (minute, bucket, shard) DO UPDATE SET n = task_latency.n + 1;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER tasks_counts AFTER INSERT OR UPDATE OF status, started_at, completed_at OR DELETE ON tasks
  FOR EACH ROW EXECUTE FUNCTION de_task_counts();
)SQL";

// Waiting tasks (pending or queued) counted by type (migration 31), kept like task_counts, for
// the summary's stalled queue: counting them there read every waiting task, 100 ms behind a
// backlog of 300,000. Only a change into or out of waiting touches it: a task placed on an
// agent at once never does.
constexpr const char* task_waiting_table = R"SQL(
CREATE TABLE task_waiting (
  type TEXT NOT NULL,
  shard BIGINT NOT NULL,
  n BIGINT NOT NULL,
  PRIMARY KEY (type, shard)
){without_rowid};
INSERT INTO task_waiting (type, shard, n)
  SELECT type, 0, count(*) FROM tasks WHERE status IN ('pending', 'queued') GROUP BY type;
)SQL";

constexpr const char* task_waiting_sqlite = R"SQL(
CREATE TRIGGER tasks_waiting_insert AFTER INSERT ON tasks WHEN NEW.status IN ('pending', 'queued') BEGIN
  INSERT INTO task_waiting (type, shard, n) VALUES (NEW.type, 0, 1)
    ON CONFLICT (type, shard) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER tasks_waiting_status AFTER UPDATE OF status ON tasks
  WHEN (OLD.status IN ('pending', 'queued')) <> (NEW.status IN ('pending', 'queued')) BEGIN
  INSERT INTO task_waiting (type, shard, n) VALUES (NEW.type, 0, CASE WHEN NEW.status IN ('pending', 'queued') THEN 1 ELSE -1 END)
    ON CONFLICT (type, shard) DO UPDATE SET n = n + excluded.n;
END;
CREATE TRIGGER tasks_waiting_delete AFTER DELETE ON tasks WHEN OLD.status IN ('pending', 'queued') BEGIN
  INSERT INTO task_waiting (type, shard, n) VALUES (OLD.type, 0, -1)
    ON CONFLICT (type, shard) DO UPDATE SET n = n - 1;
END;
)SQL";

constexpr const char* task_waiting_postgres = R"SQL(
CREATE FUNCTION de_task_waiting() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  row_type TEXT := CASE WHEN TG_OP = 'DELETE' THEN OLD.type ELSE NEW.type END;
  change BIGINT := CASE WHEN TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.status IN ('pending', 'queued'))
                        THEN -1 ELSE 1 END;
BEGIN
  INSERT INTO task_waiting (type, shard, n) VALUES (row_type, pg_backend_pid(), change)
    ON CONFLICT (type, shard) DO UPDATE SET n = task_waiting.n + excluded.n;
  RETURN NULL;
END $$;
CREATE TRIGGER tasks_waiting_insert AFTER INSERT ON tasks
  FOR EACH ROW WHEN (NEW.status IN ('pending', 'queued')) EXECUTE FUNCTION de_task_waiting();
CREATE TRIGGER tasks_waiting_status AFTER UPDATE OF status ON tasks
  FOR EACH ROW WHEN ((OLD.status IN ('pending', 'queued')) <> (NEW.status IN ('pending', 'queued')))
  EXECUTE FUNCTION de_task_waiting();
CREATE TRIGGER tasks_waiting_delete AFTER DELETE ON tasks
  FOR EACH ROW WHEN (OLD.status IN ('pending', 'queued')) EXECUTE FUNCTION de_task_waiting();
)SQL";

// PostgreSQL: the counters of migrations 18 and 31 folded once per transaction (migration 32).
// A writer's transaction is a batch of many tasks, and every upsert of a counter row that the
// same transaction already changed walks all the row's versions it made (in the unique index's
// conflict check): the triggers took 40-47 % of the writer backend's CPU in a fill of batches
// of 500 (perf, 2026-12-05). Now the row trigger appends each change to a temporary table of
// the session (no WAL, no index), and a deferred constraint trigger, queued by the
// transaction's first counted change only (its WHEN runs when the row changes), adds them up
// into the counter rows once, just before the commit, and deletes them. (Emptying the table at
// every commit, ON COMMIT DELETE ROWS, cost a file truncation per transaction: 7.6 % of the
// backend in load (a)'s small transactions.) Measurements: docs/performance.md, section 3,
// PostgreSQL. A job rolled back to its savepoint takes its changes, its queued fold and the
// `de.counts_pending` setting with it.
// One trigger function counts all three (it fires on every change the waiting count needs).
// The role needs TEMP on the database (PostgreSQL grants it to every role by default).
constexpr const char* counts_folded_postgres = R"SQL(
CREATE FUNCTION de_counts_begin() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF to_regclass('pg_temp.de_count_deltas') IS NULL THEN
    CREATE TEMP TABLE de_count_deltas (counter "char" NOT NULL, key TEXT, minute BIGINT, bucket INTEGER,
                                       n INTEGER NOT NULL);
  END IF;
  PERFORM set_config('de.counts_pending', 'on', true);
END $$;
CREATE OR REPLACE FUNCTION de_task_counts() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  moved BOOLEAN := TG_OP <> 'UPDATE' OR OLD.status IS DISTINCT FROM NEW.status;
  old_done BOOLEAN := TG_OP <> 'INSERT' AND OLD.status = 'completed' AND OLD.started_at IS NOT NULL AND OLD.completed_at IS NOT NULL;
  new_done BOOLEAN := TG_OP <> 'DELETE' AND NEW.status = 'completed' AND NEW.started_at IS NOT NULL AND NEW.completed_at IS NOT NULL;
  retimed BOOLEAN := TG_OP = 'UPDATE' AND (moved OR OLD.started_at IS DISTINCT FROM NEW.started_at OR
                                           OLD.completed_at IS DISTINCT FROM NEW.completed_at);
  was_waiting BOOLEAN := TG_OP <> 'INSERT' AND OLD.status IN ('pending', 'queued');
  now_waiting BOOLEAN := TG_OP <> 'DELETE' AND NEW.status IN ('pending', 'queued');
BEGIN
  IF current_setting('de.counts_pending', true) IS DISTINCT FROM 'on' THEN PERFORM de_counts_begin(); END IF;
  -- One INSERT per change: a single INSERT ... SELECT FROM VALUES of every case, filtered,
  -- cost about twice the trigger time (its executor starts all the expressions on every call).
  IF TG_OP <> 'INSERT' AND moved THEN
    INSERT INTO pg_temp.de_count_deltas (counter, key, n) VALUES ('c', OLD.status, -1);
  END IF;
  IF TG_OP <> 'DELETE' AND moved THEN
    INSERT INTO pg_temp.de_count_deltas (counter, key, n) VALUES ('c', NEW.status, 1);
  END IF;
  IF was_waiting AND NOT now_waiting THEN
    INSERT INTO pg_temp.de_count_deltas (counter, key, n) VALUES ('w', OLD.type, -1);
  END IF;
  IF now_waiting AND NOT was_waiting THEN
    INSERT INTO pg_temp.de_count_deltas (counter, key, n) VALUES ('w', NEW.type, 1);
  END IF;
  -- A deleted task leaves its latency rows alone (migration 18).
  IF retimed AND old_done THEN
    INSERT INTO pg_temp.de_count_deltas (counter, minute, bucket, n) VALUES ('l', OLD.completed_at / 60000, {old_bucket}, -1);
  END IF;
  IF new_done AND (TG_OP = 'INSERT' OR retimed) THEN
    INSERT INTO pg_temp.de_count_deltas (counter, minute, bucket, n) VALUES ('l', NEW.completed_at / 60000, {new_bucket}, 1);
  END IF;
  RETURN NULL;
END $$;
-- The waiting tasks are counted by de_task_counts now: one trigger call per change.
DROP TRIGGER tasks_waiting_insert ON tasks;
DROP TRIGGER tasks_waiting_status ON tasks;
DROP TRIGGER tasks_waiting_delete ON tasks;
DROP FUNCTION de_task_waiting();
CREATE FUNCTION de_counts_fold() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  s BIGINT := pg_backend_pid();
BEGIN
  -- Queued once per transaction, except by a statement that changes several rows at once.
  IF current_setting('de.counts_pending', true) IS DISTINCT FROM 'on' THEN RETURN NULL; END IF;
  PERFORM set_config('de.counts_pending', 'off', true);
  WITH change AS (DELETE FROM pg_temp.de_count_deltas RETURNING counter, key, minute, bucket, n),
  by_status AS (
    INSERT INTO task_counts (status, shard, n) SELECT key, s, sum(n) FROM change WHERE counter = 'c' GROUP BY key HAVING sum(n) <> 0
      ON CONFLICT (status, shard) DO UPDATE SET n = task_counts.n + excluded.n),
  waiting AS (
    INSERT INTO task_waiting (type, shard, n) SELECT key, s, sum(n) FROM change WHERE counter = 'w' GROUP BY key HAVING sum(n) <> 0
      ON CONFLICT (type, shard) DO UPDATE SET n = task_waiting.n + excluded.n)
  INSERT INTO task_latency (minute, bucket, shard, n)
    SELECT minute, bucket, s, sum(n) FROM change WHERE counter = 'l' GROUP BY minute, bucket HAVING sum(n) <> 0
    ON CONFLICT (minute, bucket, shard) DO UPDATE SET n = task_latency.n + excluded.n;
  -- No autovacuum for a temporary table: emptied whole once its deleted rows fill 8 pages.
  IF pg_relation_size('pg_temp.de_count_deltas') > 65536 THEN TRUNCATE pg_temp.de_count_deltas; END IF;
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER tasks_counts_fold AFTER INSERT OR UPDATE OF status, started_at, completed_at OR DELETE ON tasks
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
  WHEN (current_setting('de.counts_pending', true) IS DISTINCT FROM 'on') EXECUTE FUNCTION de_counts_fold();
)SQL";

// PostgreSQL: the counters' changes added up per statement, not per row (migration 33). A
// writer's statement carries a batch's new or finished tasks (store::tasks::insert, finish), and
// a row trigger ran a plpgsql call and two or three inserts into the deltas table for each of
// them: 16 % of the writer backend's CPU in load (b) (perf, 2026-12-06). A statement trigger
// sees the statement's rows before (-1) and after (+1) the change as transition tables; a row
// whose counted columns did not change adds nothing, so a lease renewal adds no row. For a
// one-row statement it costs more than the row trigger did (pgbench, 2026-12-06, eight one-row
// statements a transaction, three alternating rounds: 20-40 us a statement). The fold of migration 32
// is unchanged, and still queued by the transaction's first counted change: the pending
// setting is set once a statement has added a delta (the fold trigger's WHEN ran for that
// statement's rows before it).
// The deltas of one statement from `rows` (status, type, started_at, completed_at, sign); a
// deleted task leaves its latency rows alone (migration 18), so `timed` is false for a DELETE.
std::string count_changes(const std::string& rows, const char* timed) {
  // Three scans of the rows, not one scan joined to a VALUES list of the three counters: a
  // VALUES list joined laterally sets up its expressions again for every row it is joined to.
  return R"SQL(
    WITH t AS ()SQL" + rows + R"SQL()
    INSERT INTO pg_temp.de_count_deltas (counter, key, minute, bucket, n)
      SELECT counter, key, minute, bucket, sum(sign) FROM (
        SELECT 'c'::"char" AS counter, status AS key, NULL::BIGINT AS minute, NULL::INTEGER AS bucket, sign FROM t
        UNION ALL SELECT 'w', type, NULL, NULL, sign FROM t WHERE status IN ('pending', 'queued')
        UNION ALL SELECT 'l', NULL, completed_at / 60000, {bucket}, sign FROM t
          WHERE )SQL" + timed + R"SQL( AND status = 'completed' AND started_at IS NOT NULL AND completed_at IS NOT NULL) d
      GROUP BY counter, key, minute, bucket HAVING sum(sign) <> 0;)SQL";
}
const std::string counted = "SELECT status, type, started_at, completed_at, ";
const std::string counts_per_statement_postgres = R"SQL(
CREATE OR REPLACE FUNCTION de_counts_begin() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  CREATE TEMP TABLE de_count_deltas (counter "char" NOT NULL, key TEXT, minute BIGINT, bucket INTEGER, n INTEGER NOT NULL);
END $$;
CREATE FUNCTION de_task_count_changes() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  added BIGINT;
BEGIN
  IF to_regclass('pg_temp.de_count_deltas') IS NULL THEN PERFORM de_counts_begin(); END IF;
  IF TG_OP = 'INSERT' THEN)SQL" + count_changes(counted + "1 AS sign FROM new_rows", "TRUE") + R"SQL(
  ELSIF TG_OP = 'UPDATE' THEN)SQL" +
    count_changes(counted + "-1 AS sign FROM old_rows UNION ALL " + counted + "1 FROM new_rows", "TRUE") + R"SQL(
  ELSE)SQL" + count_changes(counted + "-1 AS sign FROM old_rows", "FALSE") + R"SQL(
  END IF;
  GET DIAGNOSTICS added = ROW_COUNT;
  IF added > 0 THEN PERFORM set_config('de.counts_pending', 'on', true); END IF;
  RETURN NULL;
END $$;
DROP TRIGGER tasks_counts ON tasks;
DROP FUNCTION de_task_counts();
CREATE TRIGGER tasks_counts_insert AFTER INSERT ON tasks REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION de_task_count_changes();
CREATE TRIGGER tasks_counts_update AFTER UPDATE ON tasks REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION de_task_count_changes();
CREATE TRIGGER tasks_counts_delete AFTER DELETE ON tasks REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION de_task_count_changes();
)SQL";

// The audit log is append-only in the database itself (migration 20): an UPDATE or a DELETE
// (on PostgreSQL a TRUNCATE too) of its rows aborts the statement and its transaction. Whoever
// owns the schema can still drop the triggers: this stops the application and casual SQL, not
// the database's administrator.
constexpr const char* audit_log_sqlite = R"SQL(
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only');
END;
)SQL";

constexpr const char* audit_log_postgres = R"SQL(
CREATE FUNCTION de_audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION de_audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION de_audit_log_append_only();
)SQL";

// Timestamps are BIGINT milliseconds since the epoch (UTC) in both backends.
// Built once at start-up: migration 33's SQL is composed (count_changes).
const Migration migrations[] = {
    {1, "foundation", R"SQL(
CREATE TABLE users (
  id {uuid} PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  username TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  roles {json} NOT NULL,
  is_active {bool} NOT NULL DEFAULT {true},
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE TABLE agents (
  id {uuid} PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL,
  version TEXT NOT NULL,
  config {json} NOT NULL,
  status TEXT NOT NULL,
  capabilities {json} NOT NULL,
  created_by {uuid} REFERENCES users(id) ON DELETE SET NULL,
  tasks_completed BIGINT NOT NULL DEFAULT 0,
  tasks_failed BIGINT NOT NULL DEFAULT 0,
  total_latency_ms BIGINT NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE TABLE tasks (
  id {uuid} PRIMARY KEY,
  title TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  type TEXT NOT NULL,
  status TEXT NOT NULL,
  priority TEXT NOT NULL,
  priority_rank INTEGER NOT NULL,
  assigned_agent {uuid} REFERENCES agents(id) ON DELETE SET NULL,
  pinned_agent {uuid} REFERENCES agents(id) ON DELETE SET NULL,
  created_by {uuid} REFERENCES users(id) ON DELETE SET NULL,
  input_data {json} NOT NULL,
  output_data {json},
  error TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL,
  timeout_ms BIGINT NOT NULL,
  idempotency_key TEXT,
  request_hash TEXT,
  lease_owner TEXT,
  lease_expires_at BIGINT,
  available_at BIGINT NOT NULL DEFAULT 0,
  started_at BIGINT,
  completed_at BIGINT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX tasks_queue ON tasks (status, priority_rank, id);
CREATE INDEX tasks_agent ON tasks (assigned_agent, id);
CREATE INDEX tasks_agent_status ON tasks (assigned_agent, status);
CREATE INDEX tasks_type ON tasks (type, id);
CREATE UNIQUE INDEX tasks_idempotency ON tasks (created_by, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE TABLE workflows (
  id {uuid} PRIMARY KEY,
  name TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  definition {json} NOT NULL,
  status TEXT NOT NULL,
  created_by {uuid} REFERENCES users(id) ON DELETE SET NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE TABLE workflow_executions (
  id {uuid} PRIMARY KEY,
  workflow_id {uuid} NOT NULL REFERENCES workflows(id) ON DELETE CASCADE,
  status TEXT NOT NULL,
  input {json} NOT NULL,
  output {json},
  error TEXT,
  started_at BIGINT,
  completed_at BIGINT,
  created_at BIGINT NOT NULL
);
CREATE INDEX workflow_executions_workflow ON workflow_executions (workflow_id, id);
CREATE TABLE messages (
  id {uuid} PRIMARY KEY,
  from_agent {uuid},
  to_agent {uuid},
  message_type TEXT NOT NULL,
  payload {json} NOT NULL,
  status TEXT NOT NULL,
  sent_at BIGINT NOT NULL,
  delivered_at BIGINT
);
CREATE INDEX messages_to ON messages (to_agent, id);
CREATE TABLE integrations (
  id {uuid} PRIMARY KEY,
  name TEXT NOT NULL,
  type TEXT NOT NULL,
  config {json} NOT NULL,
  credentials_encrypted TEXT,
  is_active {bool} NOT NULL DEFAULT {true},
  last_sync BIGINT,
  created_by {uuid} REFERENCES users(id) ON DELETE SET NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE TABLE analytics (
  id {serial},
  name TEXT NOT NULL,
  value {real} NOT NULL,
  agent_id {uuid},
  tags {json} NOT NULL,
  recorded_at BIGINT NOT NULL
);
CREATE INDEX analytics_name_time ON analytics (name, recorded_at);
CREATE TABLE events (
  id {serial},
  topic TEXT NOT NULL,
  data {json} NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE TABLE refresh_tokens (
  id {uuid} PRIMARY KEY,
  user_id {uuid} NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  family_id {uuid} NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  expires_at BIGINT NOT NULL,
  used_at BIGINT,
  revoked_at BIGINT,
  created_at BIGINT NOT NULL
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE TABLE api_keys (
  id {uuid} PRIMARY KEY,
  user_id {uuid} NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  key_hash TEXT NOT NULL UNIQUE,
  prefix TEXT NOT NULL,
  roles {json} NOT NULL,
  created_at BIGINT NOT NULL,
  last_used_at BIGINT
);
)SQL"},
    {2, "workflow engine", R"SQL(
ALTER TABLE workflows ADD COLUMN webhook_token TEXT;
CREATE UNIQUE INDEX workflows_webhook ON workflows (webhook_token) WHERE webhook_token IS NOT NULL;
ALTER TABLE workflow_executions ADD COLUMN definition {json};
ALTER TABLE workflow_executions ADD COLUMN trigger_type TEXT NOT NULL DEFAULT 'manual';
ALTER TABLE workflow_executions ADD COLUMN created_by {uuid};
ALTER TABLE workflow_executions ADD COLUMN parent_execution_id {uuid};
ALTER TABLE workflow_executions ADD COLUMN parent_step_id TEXT;
ALTER TABLE tasks ADD COLUMN workflow_execution_id {uuid};
CREATE TABLE workflow_steps (
  execution_id {uuid} NOT NULL REFERENCES workflow_executions(id) ON DELETE CASCADE,
  step_id TEXT NOT NULL,
  type TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  input {json},
  output {json},
  error TEXT,
  task_id {uuid},
  wake_at BIGINT,
  started_at BIGINT,
  completed_at BIGINT,
  PRIMARY KEY (execution_id, step_id)
);
CREATE INDEX workflow_executions_status ON workflow_executions (status);
CREATE INDEX workflow_steps_waiting ON workflow_steps (status, wake_at);
)SQL"},
    // An agent's queue depth counts its queued and running tasks: an index of those alone is
    // small and changes twice per task, where one over every status changed on each update.
    {3, "active tasks per agent", R"SQL(
DROP INDEX tasks_agent_status;
CREATE INDEX tasks_agent_active ON tasks (assigned_agent) WHERE status IN ('queued', 'running');
)SQL"},
    // Every task appends three events. With AUTOINCREMENT each INSERT also reads and rewrites
    // the table's row in sqlite_sequence: about 5 % of the instructions a task costs. Without
    // it a new id is the highest one plus one, so ids still only grow, as long as the newest
    // event is never deleted (a retention must keep it). The table is copied: its rows keep
    // their ids. PostgreSQL's identity column never reuses a value anyway.
    {4, "event ids without AUTOINCREMENT", R"SQL(
CREATE TABLE events_next (
  id INTEGER PRIMARY KEY,
  topic TEXT NOT NULL,
  data TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
INSERT INTO events_next (id, topic, data, created_at) SELECT id, topic, data, created_at FROM events;
DROP TABLE events;
ALTER TABLE events_next RENAME TO events;
DELETE FROM sqlite_sequence WHERE name = 'events';
)SQL", Dialect::sqlite},
    // A task placed at once has two events with the same data (created, then running): the
    // second row refers to the first's data (and holds JSON null) instead of a copy: a fifth
    // less written per task. Such rows are written only with their referent, in one
    // transaction, and a retention must keep a referent as long as its referrers.
    {5, "events that share their data", R"SQL(
ALTER TABLE events ADD COLUMN data_from BIGINT;
)SQL"},
    // The task list filtered by status pages by id, and the recent latencies are the newest
    // completed tasks: an index on (status, id) serves both in order, where one on (status,
    // priority_rank, id) made each sort every task of that status. The queue's order
    // (priority, then age) concerns the queued tasks only: a partial index.
    {6, "task indexes by status and for the queue", R"SQL(
DROP INDEX tasks_queue;
CREATE INDEX tasks_status ON tasks (status, id);
CREATE INDEX tasks_ready ON tasks (priority_rank DESC, id) WHERE status = 'queued';
)SQL"},
    // The AI services layer (docs/ai.md): prompt templates with immutable versions, one row per
    // model call (usage, cost, latency: what the usage report sums), and provider keys stored
    // through the API, sealed with the master key.
    {7, "prompts, AI calls and provider keys", R"SQL(
CREATE TABLE prompts (
  id {uuid} PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  description TEXT NOT NULL DEFAULT '',
  active_version INTEGER NOT NULL,
  created_by {uuid},
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE TABLE prompt_versions (
  prompt_id {uuid} NOT NULL REFERENCES prompts(id) ON DELETE CASCADE,
  version INTEGER NOT NULL,
  template TEXT NOT NULL,
  variables {json} NOT NULL,
  created_by {uuid},
  created_at BIGINT NOT NULL,
  PRIMARY KEY (prompt_id, version)
);
CREATE TABLE ai_calls (
  id {serial},
  created_at BIGINT NOT NULL,
  provider TEXT NOT NULL,
  model TEXT NOT NULL,
  agent_id {uuid},
  workflow_id {uuid},
  task_id {uuid},
  prompt_name TEXT,
  prompt_version INTEGER,
  input_tokens BIGINT NOT NULL,
  output_tokens BIGINT NOT NULL,
  cost_usd {real} NOT NULL,
  latency_ms {real} NOT NULL,
  ok {bool} NOT NULL,
  error TEXT
);
CREATE INDEX ai_calls_time ON ai_calls (created_at);
CREATE TABLE ai_provider_keys (
  provider TEXT PRIMARY KEY,
  sealed TEXT NOT NULL,
  updated_by {uuid},
  updated_at BIGINT NOT NULL
);
)SQL"},
    // Assistants (docs/ai.md, "Tool-using agents"): a run's steps and the tool tasks it started,
    // kept as it goes so that a run resumes after a crash without repeating a tool; tool calls
    // waiting for a person's approval; budgets summed by agent or workflow.
    {8, "assistant runs, tool approvals and budget indexes", R"SQL(
CREATE TABLE assistant_runs (
  task_id {uuid} PRIMARY KEY,
  agent_id {uuid} NOT NULL,
  state {json} NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE TABLE tool_approvals (
  id {uuid} PRIMARY KEY,
  task_id {uuid} NOT NULL,
  call_id TEXT NOT NULL,
  agent_id {uuid} NOT NULL,
  tool TEXT NOT NULL,
  arguments {json} NOT NULL,
  role TEXT NOT NULL,
  status TEXT NOT NULL,
  requested_at BIGINT NOT NULL,
  decided_by TEXT,
  decided_at BIGINT,
  comment TEXT,
  UNIQUE (task_id, call_id)
);
CREATE INDEX tool_approvals_status ON tool_approvals (status, id);
CREATE INDEX ai_calls_agent ON ai_calls (agent_id, created_at);
CREATE INDEX ai_calls_workflow ON ai_calls (workflow_id, created_at);
)SQL"},
    // Leads and the lead models (docs/sales.md): a lead's attributes are the columns of its CSV
    // row, kept with their types; its score is stored with the factors that made it. A model's
    // trees (XGBoost's JSON) sit beside its metadata, read only when the model is loaded.
    {9, "leads and lead models", R"SQL(
CREATE TABLE leads (
  id {uuid} PRIMARY KEY,
  external_id TEXT UNIQUE,
  name TEXT NOT NULL,
  email TEXT NOT NULL,
  company TEXT NOT NULL,
  source TEXT NOT NULL,
  status TEXT NOT NULL,
  owner TEXT NOT NULL,
  attributes {json} NOT NULL,
  outcome TEXT NOT NULL,
  score INTEGER NOT NULL,
  grade TEXT NOT NULL,
  probability {real},
  score_factors {json} NOT NULL,
  score_method TEXT NOT NULL,
  model_id {uuid},
  scored_at BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX leads_by_score ON leads (score, id);
CREATE INDEX leads_by_outcome ON leads (outcome, id);
CREATE TABLE lead_models (
  id {uuid} PRIMARY KEY,
  status TEXT NOT NULL,
  active {bool} NOT NULL DEFAULT {false},
  activate TEXT NOT NULL,
  exclude {json} NOT NULL,
  task_id {uuid},
  metadata {json},
  trees TEXT,
  error TEXT,
  created_by {uuid} REFERENCES users(id) ON DELETE SET NULL,
  created_at BIGINT NOT NULL,
  completed_at BIGINT,
  activated_at BIGINT
);
)SQL"},
    // The sales pipeline (docs/sales.md). Amounts are integer minor units of their currency
    // (cents for USD): exact. lead_id is a plain id, not a reference to leads. Every stage a deal enters
    // (its first included) is a row of deal_stage_changes, the history the forecast learns from.
    {10, "sales_pipeline", R"SQL(
CREATE TABLE deals (
  id {uuid} PRIMARY KEY,
  name TEXT NOT NULL,
  account TEXT NOT NULL,
  owner TEXT NOT NULL,
  stage TEXT NOT NULL,
  amount_minor BIGINT NOT NULL,
  currency TEXT NOT NULL,
  probability {real},
  expected_close TEXT,
  lead_id TEXT,
  created_by {uuid} REFERENCES users(id) ON DELETE SET NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  stage_changed_at BIGINT NOT NULL,
  closed_at BIGINT
);
CREATE INDEX deals_created ON deals (created_at, id);
CREATE INDEX deals_stage ON deals (stage, created_at);
CREATE INDEX deals_owner ON deals (owner, created_at);
CREATE TABLE deal_stage_changes (
  id {serial},
  deal_id {uuid} NOT NULL REFERENCES deals(id) ON DELETE CASCADE,
  from_stage TEXT,
  to_stage TEXT NOT NULL,
  changed_by {uuid} REFERENCES users(id) ON DELETE SET NULL,
  changed_at BIGINT NOT NULL
);
CREATE INDEX deal_stage_changes_deal ON deal_stage_changes (deal_id, id);
)SQL"},
    // Marketing content (docs/marketing.md): a piece's brief and its variants, each with its check
    // report, the prompt version and model that wrote it, and its A/B counts; the brand voice.
    {11, "marketing content", R"SQL(
CREATE TABLE content (
  id {uuid} PRIMARY KEY,
  kind TEXT NOT NULL,
  network TEXT,
  brief {json} NOT NULL,
  recipient {json},
  seed BIGINT NOT NULL,
  passed {bool} NOT NULL,
  task_id {uuid},
  created_by {uuid} REFERENCES users(id) ON DELETE SET NULL,
  created_at BIGINT NOT NULL
);
CREATE TABLE content_variants (
  content_id {uuid} NOT NULL REFERENCES content(id) ON DELETE CASCADE,
  variant INTEGER NOT NULL,
  fields {json} NOT NULL,
  checks {json} NOT NULL,
  passed {bool} NOT NULL,
  attempts INTEGER NOT NULL,
  provider TEXT NOT NULL,
  model TEXT NOT NULL,
  prompt_name TEXT NOT NULL,
  prompt_version INTEGER NOT NULL,
  sends BIGINT NOT NULL DEFAULT 0,
  opens BIGINT NOT NULL DEFAULT 0,
  clicks BIGINT NOT NULL DEFAULT 0,
  conversions BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (content_id, variant)
);
CREATE TABLE brand_voice (
  id INTEGER PRIMARY KEY,
  settings {json} NOT NULL,
  updated_by {uuid} REFERENCES users(id) ON DELETE SET NULL,
  updated_at BIGINT NOT NULL
);
)SQL"},
    // Marketing campaigns and their daily results (docs/marketing.md). Money is integer minor
    // units of the campaign's currency; a day's results are one row (a day given again replaces it).
    {12, "campaigns", R"SQL(
CREATE TABLE campaigns (
  id {uuid} PRIMARY KEY,
  name TEXT NOT NULL,
  channel TEXT NOT NULL,
  status TEXT NOT NULL,
  budget_minor BIGINT NOT NULL,
  currency TEXT NOT NULL,
  start_date TEXT NOT NULL,
  end_date TEXT,
  goal TEXT NOT NULL,
  created_by {uuid} REFERENCES users(id) ON DELETE SET NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX campaigns_created ON campaigns (created_at, id);
CREATE TABLE campaign_results (
  campaign_id {uuid} NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
  day TEXT NOT NULL,
  spend_minor BIGINT NOT NULL,
  impressions BIGINT NOT NULL,
  clicks BIGINT NOT NULL,
  conversions BIGINT NOT NULL,
  revenue_minor BIGINT NOT NULL,
  PRIMARY KEY (campaign_id, day)
);
)SQL"},
    // Saved requirement analyses (docs/product.md): each re-analysis of a document is a new,
    // readable version holding its document and analysed items (priorities inside each item);
    // stakeholders and the update drafts made for them from the event log.
    {13, "requirements and stakeholders", R"SQL(
CREATE TABLE requirement_analyses (
  id {uuid} PRIMARY KEY,
  title TEXT NOT NULL,
  version INTEGER NOT NULL,
  created_by {uuid} REFERENCES users(id) ON DELETE SET NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE TABLE requirement_versions (
  analysis_id {uuid} NOT NULL REFERENCES requirement_analyses(id) ON DELETE CASCADE,
  version INTEGER NOT NULL,
  document TEXT NOT NULL,
  items {json} NOT NULL,
  summary {json} NOT NULL,
  created_by {uuid} REFERENCES users(id) ON DELETE SET NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (analysis_id, version)
);
CREATE TABLE stakeholders (
  id {uuid} PRIMARY KEY,
  name TEXT NOT NULL,
  role TEXT NOT NULL,
  influence INTEGER NOT NULL,
  interest INTEGER NOT NULL,
  channel TEXT NOT NULL,
  topics {json} NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE TABLE stakeholder_updates (
  id {uuid} PRIMARY KEY,
  stakeholder_id {uuid} NOT NULL REFERENCES stakeholders(id) ON DELETE CASCADE,
  quadrant TEXT NOT NULL,
  subject TEXT NOT NULL,
  body TEXT NOT NULL,
  event_ids {json} NOT NULL,
  method TEXT NOT NULL,
  provider TEXT,
  status TEXT NOT NULL,
  created_by {uuid} REFERENCES users(id) ON DELETE SET NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX stakeholder_updates_by_stakeholder ON stakeholder_updates (stakeholder_id, id);
)SQL"},
    // Outbound webhooks (docs/integrations.md): each subscription reads the event log from its
    // cursor; a delivery row records each event sent (one per subscription and event, so a batch
    // sent again after a crash updates its rows), failed ones wait for their next attempt.
    {14, "outbound webhooks", R"SQL(
CREATE TABLE webhook_subscriptions (
  id {uuid} PRIMARY KEY,
  url TEXT NOT NULL,
  topics {json} NOT NULL,
  description TEXT NOT NULL,
  secret_sealed TEXT NOT NULL,
  status TEXT NOT NULL,
  cursor BIGINT NOT NULL,
  created_by {uuid} REFERENCES users(id) ON DELETE SET NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE TABLE webhook_deliveries (
  id {uuid} PRIMARY KEY,
  subscription_id {uuid} NOT NULL REFERENCES webhook_subscriptions(id) ON DELETE CASCADE,
  event_id BIGINT NOT NULL,
  topic TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  response_status INTEGER,
  error TEXT,
  duration_ms INTEGER NOT NULL,
  next_attempt_at BIGINT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  UNIQUE (subscription_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (subscription_id, created_at, id);
)SQL"},
    // Integrations (docs/integrations.md): the seed's table gains the outcome of the last
    // credential check; lists filter by type. Inbound webhooks are kept once per signature (a
    // replay carries the same one) before they are answered.
    {15, "integration checks and inbound webhooks", R"SQL(
ALTER TABLE integrations ADD COLUMN last_test {json};
CREATE INDEX integrations_by_type ON integrations (type, id);
CREATE TABLE inbound_webhooks (
  id {uuid} PRIMARY KEY,
  integration_id {uuid} NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
  signature TEXT NOT NULL,
  body TEXT NOT NULL,
  received_at BIGINT NOT NULL,
  UNIQUE (integration_id, signature)
);
)SQL"},
    // CRM sync (docs/integrations.md): per integration and object type, the pull cursor; the
    // links between remote records and our leads and deals, with the values both sides agreed on
    // at the last sync (the snapshot conflicts are found against); the conflicts; the runs.
    // integration_id refers to the integrations table (migration 15).
    {16, "crm sync", R"SQL(
CREATE TABLE sync_cursors (
  integration_id TEXT NOT NULL,
  object_type TEXT NOT NULL,
  modified_ms BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (integration_id, object_type)
);
CREATE TABLE sync_links (
  integration_id TEXT NOT NULL,
  object_type TEXT NOT NULL,
  local_id {uuid} NOT NULL,
  remote_id TEXT,
  synced_values {json} NOT NULL,
  local_synced_at BIGINT NOT NULL,
  remote_modified_at BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (integration_id, object_type, local_id)
);
CREATE UNIQUE INDEX sync_links_remote ON sync_links (integration_id, object_type, remote_id);
CREATE TABLE sync_runs (
  id {uuid} PRIMARY KEY,
  integration_id TEXT NOT NULL,
  status TEXT NOT NULL,
  pulled BIGINT NOT NULL DEFAULT 0,
  pushed BIGINT NOT NULL DEFAULT 0,
  conflicts BIGINT NOT NULL DEFAULT 0,
  error TEXT,
  started_at BIGINT NOT NULL,
  finished_at BIGINT
);
CREATE INDEX sync_runs_by_integration ON sync_runs (integration_id, id);
CREATE TABLE sync_conflicts (
  id {uuid} PRIMARY KEY,
  integration_id TEXT NOT NULL,
  run_id {uuid} NOT NULL,
  object_type TEXT NOT NULL,
  local_id {uuid} NOT NULL,
  remote_id TEXT NOT NULL,
  field TEXT NOT NULL,
  local_value TEXT NOT NULL,
  remote_value TEXT NOT NULL,
  local_modified_at BIGINT NOT NULL,
  remote_modified_at BIGINT NOT NULL,
  rule TEXT NOT NULL,
  applied TEXT NOT NULL,
  status TEXT NOT NULL,
  resolved_value TEXT,
  resolved_by TEXT,
  created_at BIGINT NOT NULL,
  resolved_at BIGINT
);
CREATE INDEX sync_conflicts_by_status ON sync_conflicts (status, id);
)SQL"},
    // Several nodes on one database (docs/operations.md). Schedules: every node arms every
    // schedule, and the node that records a firing first starts its execution; the others find
    // the row taken. Outbound webhooks and the calls of http, integration and llm steps: one
    // node at a time delivers a subscription's events or makes a step's call, under a lease
    // another node takes over when it runs out.
    {17, "cluster ownership", R"SQL(
CREATE TABLE schedule_firings (
  workflow_id {uuid} NOT NULL REFERENCES workflows(id) ON DELETE CASCADE,
  scheduled_at BIGINT NOT NULL,
  PRIMARY KEY (workflow_id, scheduled_at)
);
ALTER TABLE webhook_subscriptions ADD COLUMN lease_owner TEXT;
ALTER TABLE webhook_subscriptions ADD COLUMN lease_expires_at BIGINT;
ALTER TABLE workflow_steps ADD COLUMN lease_owner TEXT;
ALTER TABLE workflow_steps ADD COLUMN lease_expires_at BIGINT;
CREATE INDEX workflow_steps_leases ON workflow_steps (status, lease_expires_at);
)SQL"},
    {18, "task counts and latency rollups", task_counts_tables, std::nullopt, task_counts_sqlite, task_counts_postgres},
    // Retention (store/retention): the highest event id deleted (a replay from below it is told
    // to resync); finished executions read oldest first per status, as tasks are (migration 6).
    {19, "retention", R"SQL(
CREATE TABLE retention_marks (
  kind TEXT PRIMARY KEY,
  last_id BIGINT,
  deleted BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
DROP INDEX workflow_executions_status;
CREATE INDEX workflow_executions_status ON workflow_executions (status, id);
)SQL"},
    // The audit log (docs/security.md, "Audit log"): who did what, append-only. No foreign
    // keys (an entry outlives its actor and its target, and a cascade would be an UPDATE or a
    // DELETE); the database refuses to change or remove a row, whoever asks.
    {20, "audit log", R"SQL(
CREATE TABLE audit_log (
  id {serial},
  at BIGINT NOT NULL,
  actor_type TEXT NOT NULL,
  actor_id TEXT,
  actor_email TEXT,
  api_key_id TEXT,
  actor_ip TEXT,
  request_id TEXT,
  action TEXT NOT NULL,
  target_type TEXT,
  target_id TEXT,
  outcome TEXT NOT NULL,
  details {json} NOT NULL
);
CREATE INDEX audit_log_action ON audit_log (action, id);
CREATE INDEX audit_log_target ON audit_log (target_type, target_id, id);
CREATE INDEX audit_log_actor ON audit_log (actor_id, id);
CREATE INDEX audit_log_at ON audit_log (at);
)SQL", std::nullopt, audit_log_sqlite, audit_log_postgres},
    // Single sign-on (docs/security.md): login attempts between the redirect to the identity
    // provider and its callback, kept in the database so that any node takes the callback;
    // provider identities (issuer + subject) linked to users.
    {21, "oidc logins and identities", R"SQL(
CREATE TABLE oidc_logins (
  state_hash TEXT PRIMARY KEY,
  nonce TEXT NOT NULL,
  code_verifier TEXT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX oidc_logins_expiry ON oidc_logins (expires_at);
CREATE TABLE oidc_identities (
  issuer TEXT NOT NULL,
  subject TEXT NOT NULL,
  user_id {uuid} NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at BIGINT NOT NULL,
  last_login_at BIGINT NOT NULL,
  PRIMARY KEY (issuer, subject)
);
CREATE INDEX oidc_identities_user ON oidc_identities (user_id);
)SQL"},
    // Scheduled CRM syncs and several nodes: a run is started by a person or the schedule
    // (origin) and held by its node under a lease; at most one runs per integration, whichever
    // node started it. Runs left running by older versions had no owner: they stopped.
    {24, "sync run leases", R"SQL(
UPDATE sync_runs SET status = 'interrupted', finished_at = started_at WHERE status = 'running';
ALTER TABLE sync_runs ADD COLUMN origin TEXT NOT NULL DEFAULT 'manual';
ALTER TABLE sync_runs ADD COLUMN lease_owner TEXT;
ALTER TABLE sync_runs ADD COLUMN lease_expires_at BIGINT;
CREATE UNIQUE INDEX sync_runs_one_running ON sync_runs (integration_id) WHERE status = 'running';
)SQL"},
    // An API key's own request rate (NULL: the server's DE_RATE_LIMIT_PER_MINUTE; 0: none).
    {25, "api key rate limits", R"SQL(
ALTER TABLE api_keys ADD COLUMN rate_limit_per_minute INTEGER;
)SQL"},
    // Work one node at a time does for all (the retention's rounds), held under a lease that
    // another node takes once it runs out.
    {26, "node leases", R"SQL(
CREATE TABLE node_leases (
  name TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  expires_at BIGINT NOT NULL
);
)SQL"},
    // Stakeholder updates sent by email or Slack (docs/product.md, "Sending"): where each
    // stakeholder is reached, and when, through which integration and with what answer an
    // update went out.
    {27, "stakeholder updates sent", R"SQL(
ALTER TABLE stakeholders ADD COLUMN contact TEXT;
ALTER TABLE stakeholder_updates ADD COLUMN sent_at BIGINT;
ALTER TABLE stakeholder_updates ADD COLUMN sent_via {uuid};
ALTER TABLE stakeholder_updates ADD COLUMN delivery {json};
)SQL"},
    // A CRM's people found by email, without case: a pulled contact or lead we hold already is
    // linked to it, not made twice (docs/integrations.md, "Links, cursors and exactly once").
    {28, "leads by email", R"SQL(
CREATE INDEX leads_by_email ON leads (lower(email));
)SQL"},
    // Companies (docs/sales.md, "Companies"), kept here and synced as HubSpot companies and
    // Salesforce Accounts; a projection of the companies.* events like leads and deals.
    {29, "companies", R"SQL(
CREATE TABLE companies (
  id {uuid} PRIMARY KEY,
  name TEXT NOT NULL,
  domain TEXT NOT NULL,
  industry TEXT NOT NULL,
  owner TEXT NOT NULL,
  attributes {json} NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX companies_by_domain ON companies (lower(domain));
)SQL"},
    // A person's consent to an integration (Salesforce's OAuth web server flow), between the
    // redirect to the vendor and its callback, so that any node can take the callback
    // (docs/integrations.md, "Consent").
    {30, "integration consents", R"SQL(
CREATE TABLE integration_consents (
  state_hash TEXT PRIMARY KEY,
  integration_id {uuid} NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
  code_verifier TEXT NOT NULL,
  redirect_uri TEXT NOT NULL,
  user_id {uuid} NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX integration_consents_expiry ON integration_consents (expires_at);
)SQL"},
    {31, "waiting tasks by type", task_waiting_table, std::nullopt, task_waiting_sqlite, task_waiting_postgres},
    {32, "task counters folded once per transaction", counts_folded_postgres, Dialect::postgres},
    {33, "task counters changed per statement", counts_per_statement_postgres.c_str(), Dialect::postgres},
    // PostgreSQL: an event's data is kept as the JSON text the server wrote (json), not parsed into
    // jsonb: nothing queries inside it, and jsonb's parse of every event row took about a tenth of
    // the writer backend's CPU in load (b) (the backend's CPU per task 104-107 -> 94-97 us, WAL 5 %
    // smaller). Reads get the text back as written, as on SQLite. The table is rewritten once:
    // 6.7 s for a million events on the 2-core machine (docs/operations.md, "Upgrades").
    {34, "event data as json text", "ALTER TABLE events ALTER COLUMN data TYPE JSON;", Dialect::postgres},
};

// A task's run time bucket (the histogram of migration 18) over the row `row` (OLD, NEW or none).
std::string latency_bucket(const std::string& row, Dialect dialect) {
  bool pg = dialect == Dialect::postgres;
  auto d = "(" + row + "completed_at - " + row + "started_at)";
  auto real = [&](const std::string& x) { return pg ? "CAST(" + x + " AS DOUBLE PRECISION)" : x; };
  return "CASE WHEN " + d + " < 20 THEN " + (pg ? "GREATEST(" : "max(") + d + ", 0) ELSE 20 + CAST(floor(ln(" +
         real(d) + " / " + real("20.0") + ") / ln(" + real("1.05") + ")) AS INTEGER) END";
}

std::string render(const char* sql, Dialect dialect) {
  bool pg = dialect == Dialect::postgres;
  const std::pair<const char*, const char*> types[] = {
      {"{uuid}", pg ? "UUID" : "TEXT"},
      {"{json}", pg ? "JSONB" : "TEXT"},
      {"{bool}", pg ? "BOOLEAN" : "INTEGER"},
      {"{true}", pg ? "TRUE" : "1"},
      {"{false}", pg ? "FALSE" : "0"},
      {"{real}", pg ? "DOUBLE PRECISION" : "REAL"},
      {"{serial}", pg ? "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"
                      : "INTEGER PRIMARY KEY AUTOINCREMENT"},
      {"{without_rowid}", pg ? "" : " WITHOUT ROWID"},
  };
  const std::string buckets[][2] = {{"{bucket}", latency_bucket("", dialect)},
                                    {"{old_bucket}", latency_bucket("OLD.", dialect)},
                                    {"{new_bucket}", latency_bucket("NEW.", dialect)}};
  std::string out = sql;
  for (const auto& [from, to] : buckets) {
    for (auto pos = out.find(from); pos != std::string::npos; pos = out.find(from, pos)) {
      out.replace(pos, from.size(), to);
      pos += to.size();
    }
  }
  for (const auto& [from, to] : types) {
    for (auto pos = out.find(from); pos != std::string::npos; pos = out.find(from, pos))
      out.replace(pos, std::strlen(from), to);
  }
  return out;
}

void ensure_table(Connection& connection) {
  connection.execute_script(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT "
      "NULL, applied_at BIGINT NOT NULL)");
}

}  // namespace

int latest_schema_version() { return std::end(migrations)[-1].version; }

namespace {
bool has_migrations_table(Connection& connection) {
  auto exists = connection.dialect() == Dialect::sqlite
                    ? connection.query("SELECT count(*) FROM sqlite_master WHERE name = 'schema_migrations'")
                    // Found as the queries below find it (the search path); to_regclass costs a
                    // new backend 2 ms where the pg_tables view cost 6 (every start, every /readyz).
                    : connection.query("SELECT count(to_regclass('schema_migrations'))");
  return exists.rows.at(0).integer(0) != 0;
}

std::set<std::int64_t> applied_versions(Connection& connection) {
  std::set<std::int64_t> applied;
  for (const auto& row : connection.query("SELECT version FROM schema_migrations").rows) applied.insert(row.integer(0));
  return applied;
}
}  // namespace

int current_schema_version(Connection& connection) {
  if (!has_migrations_table(connection)) return 0;
  auto result = connection.query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  return int(result.rows.at(0).integer(0));
}

std::vector<int> missing_migrations(Connection& connection) {
  std::set<std::int64_t> applied;
  if (has_migrations_table(connection)) applied = applied_versions(connection);
  std::vector<int> missing;
  for (const auto& m : migrations)
    if (!applied.contains(m.version)) missing.push_back(m.version);
  return missing;
}

// The key nodes sharing one PostgreSQL take to migrate one at a time.
constexpr std::int64_t migration_lock = 7400421;

void apply_migrations(Connection& connection) {
  lock_until_commit(connection, migration_lock);
  ensure_table(connection);
  // Every version not yet recorded, in order, also below the highest: branches that add
  // migrations side by side merge into one sequence (a database at 10 still gets 9).
  auto applied = applied_versions(connection);
  for (const auto& m : migrations) {
    if (applied.contains(m.version)) continue;
    if (!m.only || *m.only == connection.dialect()) {
      connection.execute_script(render(m.sql, connection.dialect()));
      auto then = connection.dialect() == Dialect::sqlite ? m.sqlite_then : m.postgres_then;
      if (then) connection.execute_script(render(then, connection.dialect()));
    }
    connection.query("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                     {std::int64_t(m.version), std::string_view(m.name), core::now_ms()});
  }
}

}  // namespace de::store
