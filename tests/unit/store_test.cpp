#include <gtest/gtest.h>
#include <fmt/format.h>
#include <sqlite3.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <future>
#include <set>
#include <thread>

#include "core/clock.hpp"
#include "core/json.hpp"
#include "store/event_cursor.hpp"
#include "store/migrations.hpp"
#include "store/repositories.hpp"
#include "store/retention.hpp"
#include "store/workflow_repository.hpp"
#include "test_database.hpp"

using namespace de;
using de::testing::BackendTest;

namespace {
class Store : public BackendTest {};
DE_BACKENDS(Store);

model::User make_user(const std::string& email) {
  model::User u;
  u.id = core::new_id();
  u.email = email;
  u.username = email.substr(0, email.find('@'));
  u.password_hash = "hash";
  u.roles = model::role_bit(model::Role::manager) | model::role_bit(model::Role::viewer);
  u.created_at = u.updated_at = core::now_ms();
  return u;
}

model::Task make_task(const std::string& type) {
  model::Task t;
  t.id = core::new_id();
  t.title = t.type = type;
  t.input_data = {{"n", 1}};
  t.created_at = t.updated_at = core::now_ms();
  return t;
}
}  // namespace

TEST_P(Store, MigrationsAreIdempotent) {
  EXPECT_EQ(db().schema_version(), store::latest_schema_version());
  db().migrate();
  EXPECT_EQ(db().schema_version(), store::latest_schema_version());
}

// A database made before a lower version was merged in (at 10 without 9) gets the missing one.
TEST_P(Store, MigrationsBelowTheHighestAreAppliedWhenMissing) {
  db().write_sync([](store::Tx& tx) {
    tx.connection.execute_script("DROP TABLE leads; DROP TABLE lead_models; DELETE FROM schema_migrations WHERE version = 9;");
  });
  db().migrate();
  EXPECT_EQ(db().schema_version(), store::latest_schema_version());
  auto leads = db().read([](store::Connection& c) { return c.query("SELECT count(*) FROM leads").rows.at(0).integer(0); });
  EXPECT_EQ(leads, 0);
}

TEST_P(Store, UsersRoundTripAndStayUnique) {
  auto user = make_user("ann@example.com");
  db().write_sync([&](store::Tx& tx) { store::users::insert(tx.connection, user); });
  auto found = db().read([&](store::Connection& c) { return store::users::find_by_login(c, "ann"); });
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, user.id);
  EXPECT_EQ(found->roles, user.roles);
  EXPECT_TRUE(found->is_active);
  try {
    db().write_sync([&](store::Tx& tx) { store::users::insert(tx.connection, make_user("ann@example.com")); });
    FAIL() << "duplicate email accepted";
  } catch (const core::Error& e) {
    EXPECT_EQ(e.kind(), core::ErrorKind::conflict);
  }
  EXPECT_EQ(db().read([](store::Connection& c) { return store::users::count(c); }), 1);
}

TEST_P(Store, PagesWalkEveryRowOnceNewestFirst) {
  std::vector<std::string> ids;
  db().write_sync([&](store::Tx& tx) {
    for (int i = 0; i < 7; ++i) {
      auto t = make_task("page.test");
      store::tasks::insert(tx.connection, t, std::nullopt, std::nullopt);
      ids.push_back(t.id);
    }
  });
  std::vector<std::string> seen;
  store::PageRequest page{std::nullopt, 3};
  while (true) {
    auto p = db().read([&](store::Connection& c) { return store::tasks::list(c, {std::nullopt, "page.test", std::nullopt}, page); });
    for (auto& t : p.items) seen.push_back(t.id);
    if (!p.next_cursor) break;
    page.cursor = p.next_cursor;
  }
  std::reverse(ids.begin(), ids.end());
  EXPECT_EQ(seen, ids);
}

TEST_P(Store, TaskUpdatesAndIdempotencyKeysPersist) {
  auto t = make_task("echo");
  db().write_sync([&](store::Tx& tx) { store::tasks::insert(tx.connection, t, std::string("key-1"), std::string("hash-1")); });
  t.status = "completed";
  t.output_data = boost::json::object{{"ok", true}};
  t.started_at = t.created_at;
  t.completed_at = t.created_at + 5;
  db().write_sync([&](store::Tx& tx) { store::tasks::update(tx.connection, t); });
  auto match = db().read([&](store::Connection& c) {
    return store::tasks::find_by_idempotency_key(c, core::new_id(), "key-1");
  });
  EXPECT_FALSE(match) << "keys are per creator";
  auto found = db().read([&](store::Connection& c) { return store::tasks::find(c, t.id); });
  ASSERT_TRUE(found);
  EXPECT_EQ(found->status, "completed");
  EXPECT_EQ(core::to_text(*found->output_data), R"({"ok":true})");
  EXPECT_EQ(found->completed_at, t.created_at + 5);
  auto latency = db().read([&](store::Connection& c) { return store::tasks::latency(c, t.created_at - 60000); });
  EXPECT_EQ(latency.p50, 5.0);
}

// A running task whose lease ran out goes back to the queue, or fails when it has no attempts
// left; once only, and never while its lease lasts. (PostgreSQL once refused this statement.)
TEST_P(Store, ExpiredLeasesRequeueOrFailTheirTasksOnce) {
  auto now = core::now_ms();
  auto running = [&](int attempts, std::int64_t lease_ends) {
    auto t = make_task("lease.test");
    t.status = "running";
    t.attempts = attempts;
    t.started_at = now - 1000;
    db().write_sync([&](store::Tx& tx) {
      store::tasks::insert(tx.connection, t, std::nullopt, std::nullopt, store::tasks::Lease{"node:lease", lease_ends});
    });
    return t.id;
  };
  auto retried = running(1, now - 10), exhausted = running(3, now - 10), alive = running(1, now + 60000);
  auto expired = db().read([&](store::Connection& c) { return store::tasks::expired_leases(c, now, 10); });
  std::sort(expired.begin(), expired.end());
  std::vector<std::string> expected{retried, exhausted};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(expired, expected);
  for (const auto& id : {retried, exhausted, alive}) {
    auto first = db().write_sync([&](store::Tx& tx) { return store::tasks::expire_lease(tx.connection, id, now, now); });
    auto again = db().write_sync([&](store::Tx& tx) { return store::tasks::expire_lease(tx.connection, id, now, now); });
    EXPECT_FALSE(again) << id;
    if (id == alive) {
      EXPECT_FALSE(first);
      continue;
    }
    ASSERT_TRUE(first) << id;
    if (id == retried) {
      EXPECT_EQ(first->status, "queued");
      EXPECT_FALSE(first->completed_at);
    } else {
      EXPECT_EQ(first->status, "failed");
      EXPECT_EQ(first->completed_at, now);
      EXPECT_NE(first->error.value_or("").find("no attempts are left"), std::string::npos);
    }
  }
  auto still = db().read([&](store::Connection& c) { return store::tasks::find(c, alive); });
  ASSERT_TRUE(still);
  EXPECT_EQ(still->status, "running");
}

// The queue reads the queued tasks alone, by priority and then age; the list by status reads
// the newest of that status first (served in index order).
TEST_P(Store, TaskQueriesByStatusReadInOrder) {
  std::vector<model::Task> made;
  db().write_sync([&](store::Tx& tx) {
    for (int i = 0; i < 12; ++i) {
      auto t = make_task("order.test");
      t.priority = i % 3 == 0 ? "high" : "normal";
      t.status = i % 4 == 3 ? "completed" : "queued";
      if (t.status == "completed") t.started_at = 100, t.completed_at = 100 + i;
      store::tasks::insert(tx.connection, t, std::nullopt, std::nullopt);
      if (t.status == "completed") store::tasks::update(tx.connection, t);
      made.push_back(t);
    }
  });
  auto queued = db().read([](store::Connection& c) { return store::tasks::queued(c, 100); });
  std::vector<std::string> ids, expected;
  for (const auto& q : queued) ids.push_back(q.id);
  for (auto priority : {"high", "normal"})
    for (const auto& t : made)
      if (t.status == "queued" && t.priority == priority) expected.push_back(t.id);
  EXPECT_EQ(ids, expected);
  auto page = db().read([](store::Connection& c) { return store::tasks::list(c, {"completed"}, {std::nullopt, 2}); });
  ASSERT_EQ(page.items.size(), 2u);
  EXPECT_EQ(page.items[0].id, made[11].id);
  EXPECT_EQ(page.items[1].id, made[7].id);
}

// Counts by status and the run-time histogram are kept by triggers on every insert, update and
// delete, equal to a recount; the percentiles read the histogram of the minutes asked for.
TEST_P(Store, TaskCountsAndLatenciesEqualARecount) {
  auto now = core::now_ms();
  model::Agent agent;
  agent.id = core::new_id();
  agent.name = agent.type = "counting";
  agent.created_at = agent.updated_at = now;
  std::vector<model::Task> made;
  db().write_sync([&](store::Tx& tx) {
    store::agents::insert(tx.connection, agent);
    for (int i = 0; i < 40; ++i) {
      auto t = make_task(i % 3 ? "count.test" : "count.other");
      t.status = i % 5 == 0 ? "completed" : "queued";  // inserted completed: counted at once (no run time stored)
      if (t.status == "completed") t.started_at = now - 1000, t.completed_at = now - 1000 + i;
      store::tasks::insert(tx.connection, t, std::nullopt, std::nullopt);
      made.push_back(t);
    }
  });
  std::vector<std::string> claimed;
  db().write_sync([&](store::Tx& tx) {
    for (int i = 0; i < 40; ++i) {
      auto& t = made[i];
      if (t.status != "queued") continue;
      if (i % 5 == 1) {
        store::tasks::claim(tx.connection, t.id, agent.id, "lease", now + 30000, now, [&](model::Task task) {
          EXPECT_EQ(task.status, "running");
          EXPECT_EQ(task.assigned_agent, agent.id);
          EXPECT_EQ(task.attempts, 1);
          claimed.push_back(task.id);
        });
        store::tasks::claim(tx.connection, t.id, agent.id, "another lease", now + 30000, now,
                            [](model::Task) { ADD_FAILURE() << "a running task claimed again"; });
      } else if (i % 5 == 2) {
        t.status = "cancelled", t.completed_at = now;
        store::tasks::update(tx.connection, t);
      } else if (i % 5 == 3) {
        t.status = "completed", t.started_at = now - 500, t.completed_at = now - 500 + 40 * i;
        store::tasks::update(tx.connection, t);
      }
    }
  });
  EXPECT_EQ(claimed.size(), 8u);
  std::size_t recorded = 0;
  db().write_sync([&](store::Tx& tx) {
    // Finished through the lease (not through another), retried (completed -> queued), deleted.
    for (std::size_t k = 0; k < claimed.size(); ++k) {
      auto task = store::tasks::find(tx.connection, claimed[k]);
      auto done = store::tasks::with_outcome(*task, k % 2 ? "failed" : "completed", std::nullopt, std::nullopt, now + 7);
      store::tasks::finish(tx.connection, done, "another lease", now, [] { ADD_FAILURE() << "finished without its lease"; });
      store::tasks::finish(tx.connection, done, "lease", now, [&recorded] { ++recorded; });
    }
    made[3].status = "queued", made[3].completed_at.reset();
    store::tasks::update(tx.connection, made[3]);
    tx.connection.query("DELETE FROM tasks WHERE id = ? OR id = ?", {std::string_view(made[0].id), std::string_view(made[2].id)});
  });
  EXPECT_EQ(recorded, claimed.size());
  db().read([&](store::Connection& c) {
    auto counts = store::tasks::count_by_status(c);
    std::map<std::string, std::int64_t> recount;
    for (const auto& row : c.query("SELECT status, count(*) FROM tasks GROUP BY status").rows)
      recount[row.text(0)] = row.integer(1);
    EXPECT_EQ(counts, recount);
    std::map<std::string, std::int64_t> waiting;
    for (const auto& row : c.query("SELECT type, count(*) FROM tasks WHERE status IN ('pending', 'queued') GROUP BY type").rows)
      waiting[row.text(0)] = row.integer(1);
    EXPECT_EQ(waiting.size(), 2u);
    EXPECT_EQ(store::tasks::waiting_by_type(c), waiting);
    std::vector<std::int64_t> times;
    for (const auto& row :
         c.query("SELECT completed_at - started_at FROM tasks WHERE status = 'completed' AND started_at IS NOT NULL "
                 "AND completed_at IS NOT NULL ORDER BY 1").rows)
      times.push_back(row.integer(0));
    EXPECT_FALSE(times.empty());
    if (times.empty()) return 0;
    auto bucket = [](std::int64_t d) {
      return d < 20 ? double(d) : store::tasks::latency_bucket_floor(20 + std::int64_t(std::floor(std::log(double(d) / 20.0) / std::log(1.05))));
    };
    auto latency = store::tasks::latency(c, now - 60000);
    EXPECT_EQ(latency.p50, bucket(times[std::size_t(0.5 * double(times.size() - 1) + 0.5)]));
    EXPECT_EQ(latency.p95, bucket(times[std::size_t(0.95 * double(times.size() - 1) + 0.5)]));
    EXPECT_FALSE(store::tasks::latency(c, now + 120000).p50) << "no task completed in those minutes";
    return 0;
  });
}

TEST_P(Store, AFailingJobRollsBackAloneInItsBatch) {
  // Queue many jobs at once so that they share batches; every third one fails after writing.
  // Each run of a job registers a hook, which hears once whether that run's changes lasted.
  // Each counts a task outcome for one agent: the counts of the failed jobs are not written.
  model::Agent agent;
  agent.id = core::new_id();
  agent.name = agent.type = "counted";
  agent.created_at = agent.updated_at = core::now_ms();
  db().write_sync([&](store::Tx& tx) { store::agents::insert(tx.connection, agent); });
  std::vector<std::future<void>> results;
  std::vector<std::promise<void>> promises(30);
  std::vector<std::atomic<int>> runs(30), durable(30), lost(30);
  for (int i = 0; i < 30; ++i) {
    results.push_back(promises[i].get_future());
    db().write(
        [i, &runs, &durable, &lost, agent_id = agent.id](store::Tx& tx) {
          auto t = make_task("batch.test");
          store::tasks::insert(tx.connection, t, std::nullopt, std::nullopt);
          tx.emit("tasks.created", boost::json::object{{"i", i}});
          ++runs[i];
          tx.after([i, &durable, &lost](bool lasted) { ++(lasted ? durable : lost)[i]; });
          tx.count_outcome(agent_id, i % 2 == 0, i);
          if (i % 3 == 0) throw core::Error(core::ErrorKind::conflict, "planned failure");
        },
        [&promises, i](std::exception_ptr e) { e ? promises[i].set_exception(e) : promises[i].set_value(); });
  }
  int failures = 0;
  for (auto& r : results) {
    try {
      r.get();
    } catch (const core::Error&) {
      ++failures;
    }
  }
  EXPECT_EQ(failures, 10);
  for (int i = 0; i < 30; ++i) {
    EXPECT_EQ(durable[i], i % 3 == 0 ? 0 : 1) << i;
    EXPECT_EQ(durable[i] + lost[i], runs[i]) << i;  // every run settled, before its job was answered
  }
  auto counts = db().read([](store::Connection& c) { return store::tasks::count_by_status(c); });
  EXPECT_EQ(counts["queued"], 20);
  auto events = db().events_since(0, 100);
  ASSERT_EQ(events.size(), 20u);
  for (std::size_t i = 1; i < events.size(); ++i) EXPECT_LT(events[i - 1].id, events[i].id);
  for (const auto& e : events) EXPECT_NE(e.data().at("i").as_int64() % 3, 0);
  EXPECT_LE(db().batches_committed(), 30u);
  // Lasting: i in 1..29 not a multiple of 3; 10 even (completed), 10 odd (failed); sum of i 300.
  auto counted = db().read([&](store::Connection& c) { return store::agents::find(c, agent.id); });
  ASSERT_TRUE(counted);
  EXPECT_EQ(counted->stats.tasks_completed, 10);
  EXPECT_EQ(counted->stats.tasks_failed, 10);
  EXPECT_DOUBLE_EQ(counted->stats.avg_latency_ms, 300.0 / 20);
}

TEST_P(Store, TriggersWriteInTheTransactionThatEmits) {
  // The trigger stores a task and emits an event for each "order.placed"; its own event runs
  // no trigger. A job that fails after emitting loses the trigger's writes with its own.
  int runs = 0;
  db().on_emit({{"order.placed", "order.echo"}, [&runs](store::Tx& tx, const model::Event& e) {
                  ++runs;
                  auto t = make_task("from.trigger");
                  store::tasks::insert(tx.connection, t, std::nullopt, std::nullopt);
                  tx.emit("order.echo", boost::json::object{{"of", tx.id_of(e)}, {"n", e.data().at("n")}});
                }});
  db().write_sync([](store::Tx& tx) {
    tx.emit("order.placed", boost::json::object{{"n", 1}});
    tx.emit("order.other", boost::json::object{{"n", 2}});
    tx.emit("order.placed", boost::json::object{{"n", 3}});
  });
  EXPECT_THROW(db().write_sync([](store::Tx& tx) {
    tx.emit("order.placed", boost::json::object{{"n", 4}});
    throw core::Error(core::ErrorKind::conflict, "planned failure");
  }),
               core::Error);
  EXPECT_EQ(runs, 3);  // two that lasted, one rolled back
  auto counts = db().read([](store::Connection& c) { return store::tasks::count_by_status(c); });
  EXPECT_EQ(counts["queued"], 2);
  auto events = db().events_since(0, 100);
  std::vector<std::string> topics;
  for (const auto& e : events) topics.push_back(e.topic);
  EXPECT_EQ(topics, (std::vector<std::string>{"order.placed", "order.echo", "order.other", "order.placed", "order.echo"}));
  EXPECT_EQ(events[1].data().at("of").as_int64(), events[0].id);
  EXPECT_EQ(events[4].data().at("n").as_int64(), 3);
}

// What a statement's callback emits runs its triggers, also when a trigger's own query is what
// flushed the statement (PostgreSQL sends it without waiting; SQLite runs it at once).
TEST_P(Store, EventsFromCallbacksRunTheirTriggers) {
  int done_runs = 0;
  db().on_emit({{"order.placed"}, [](store::Tx& tx, const model::Event&) { tx.connection.query("SELECT 1"); }});
  db().on_emit({{"order.done"}, [&done_runs](store::Tx&, const model::Event&) { ++done_runs; }});
  db().write_sync([](store::Tx& tx) {
    tx.connection.send("SELECT 1", {}, [&tx](const store::Result&) {
      tx.as_job([&tx] { tx.emit("order.done", boost::json::object{}); });
    });
    tx.emit("order.placed", boost::json::object{});
  });
  EXPECT_EQ(done_runs, 1);
  std::vector<std::string> topics;
  for (const auto& e : db().events_since(0, 10)) topics.push_back(e.topic);
  EXPECT_EQ(topics.size(), 2u);
}

// A task created and started at once has two events with one data: the second row refers to
// the first's, and a replay gives both the data, also when it starts between them. The second
// is emitted right after the first (on PostgreSQL before the first's id is back), or after
// another event.
TEST_P(Store, EventsThatShareDataReplayWithIt) {
  for (bool event_between : {false, true}) {
    SCOPED_TRACE(event_between ? "another event between" : "right after");
    auto task = std::make_shared<const model::Task>(make_task("shared.data"));
    auto text = model::to_text(*task);
    auto before = db().last_event_id();
    db().write_sync([&](store::Tx& tx) {
      auto first = tx.emit("tasks.created", task, text);
      if (event_between) tx.emit("agents.updated", boost::json::object{{"n", 1}});
      tx.emit("tasks.running", task, text, first);
    });
    auto all = db().events_since(before, 10);
    ASSERT_EQ(all.size(), event_between ? 3u : 2u);
    auto created = all.front().id, running = all.back().id;
    auto stored = db().read([&](store::Connection& c) {
      return c.query("SELECT data_from, data FROM events WHERE id = ?", {running}).rows.at(0);
    });
    EXPECT_EQ(stored.integer(0), created);
    EXPECT_EQ(boost::json::parse(stored.text(1)), nullptr);  // no second copy
    EXPECT_EQ(all.back().topic, "tasks.running");
    EXPECT_EQ(all.back().data(), boost::json::parse(text));
    auto from_second = db().events_since(created, 10);
    ASSERT_EQ(from_second.back().id, running);
    EXPECT_EQ(from_second.back().data(), all[0].data());
    EXPECT_EQ(from_second.back().data().at("id").as_string(), task->id);
  }
}

// On PostgreSQL a transaction's events go in one statement, as array literals: quotes,
// backslashes, braces, commas and the word NULL in the data come back as they went in.
TEST_P(Store, EventDataComesBackAsWritten) {
  boost::json::value data = {{"s", "a\"b\\c {x}, NULL \u00e9"}, {"list", {"NULL", "", "\\"}}, {"n", nullptr}};
  auto before = db().last_event_id();
  db().write_sync([&](store::Tx& tx) {
    tx.emit("odd.data", data);
    tx.emit("NULL", boost::json::object{});
  });
  auto all = db().events_since(before, 10);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].topic, "odd.data");
  EXPECT_EQ(all[0].data(), data);
  EXPECT_EQ(all[1].topic, "NULL");
  EXPECT_LT(all[0].id, all[1].id);
}

// A batch's new and finished tasks go to PostgreSQL as one statement each (Connection::
// send_row): every row written as alone, a read in between sees the rows sent before it, and
// each finish hears in its order whether it changed its task (a second finish of one task
// comes after the first, so it finds the task finished).
TEST_P(Store, TasksWrittenTogetherChangeWhatEachWouldAlone) {
  auto now = core::now_ms();
  std::vector<model::Task> made;
  std::vector<std::int64_t> seen;
  db().write_sync([&](store::Tx& tx) {
    for (int i = 0; i < 12; ++i) {
      auto t = make_task("together");
      t.title = i % 2 ? "quoted \"title\" with \\ and {braces}, NULL" : "NULL";
      t.input_data = {{"i", i}, {"s", "a\"b\\c"}};
      t.status = "running", t.started_at = now;
      store::tasks::insert(tx.connection, t, i % 3 ? std::optional<std::string>("key-" + std::to_string(i)) : std::nullopt,
                           std::nullopt, store::tasks::Lease{"lease", now + 30000});
      made.push_back(t);
      if (i == 5)
        seen.push_back(tx.connection.query("SELECT count(*) FROM tasks WHERE type = 'together'").rows.at(0).integer(0));
    }
  });
  EXPECT_EQ(seen, std::vector<std::int64_t>{6});
  // First the even tasks through their lease and the odd ones through another; then all of
  // them through their lease, which only the odd ones still hold.
  std::vector<std::string> heard, expected;
  db().write_sync([&](store::Tx& tx) {
    for (int pass = 1; pass <= 2; ++pass)
      for (std::size_t i = 0; i < made.size(); ++i) {
        auto done = store::tasks::with_outcome(made[i], i % 2 ? "failed" : "completed", boost::json::value{{"i", i}},
                                               std::nullopt, now + 5);
        auto lease = pass == 1 && i % 2 ? "another lease" : "lease";
        store::tasks::finish(tx.connection, done, lease, now, [&heard, i, pass] { heard.push_back(fmt::format("{} {}", pass, i)); });
      }
  });
  for (int pass = 1; pass <= 2; ++pass)
    for (std::size_t i = pass - 1; i < made.size(); i += 2) expected.push_back(fmt::format("{} {}", pass, i));
  EXPECT_EQ(heard, expected);
  for (std::size_t i = 0; i < made.size(); ++i) {
    auto [found, stored] = db().read([&](store::Connection& c) {
      return std::pair(store::tasks::find(c, made[i].id),
                       c.query("SELECT idempotency_key, lease_owner FROM tasks WHERE id = ?", {std::string_view(made[i].id)}).rows);
    });
    ASSERT_TRUE(found) << i;
    EXPECT_EQ(found->title, made[i].title);
    EXPECT_EQ(found->input_data, made[i].input_data);
    EXPECT_EQ(found->status, i % 2 ? "failed" : "completed");
    EXPECT_EQ(core::to_text(*found->output_data), fmt::format(R"({{"i":{}}})", i));
    EXPECT_EQ(found->completed_at, now + 5);
    EXPECT_EQ(stored.at(0).optional_text(0), i % 3 ? std::optional<std::string>("key-" + std::to_string(i)) : std::nullopt);
    EXPECT_TRUE(stored.at(0).is_null(1)) << "the lease ends with the task";
  }
  auto counts = db().read([](store::Connection& c) { return store::tasks::count_by_status(c); });
  EXPECT_EQ(counts["completed"], 6);
  EXPECT_EQ(counts["failed"], 6);
  EXPECT_EQ(counts.count("running"), 0u);
}

TEST_P(Store, ConcurrentWritersShareCommits) {
  constexpr int writers = 8, per_writer = 50;
  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w)
    threads.emplace_back([&] {
      for (int i = 0; i < per_writer; ++i)
        db().write_sync([](store::Tx& tx) { store::tasks::insert(tx.connection, make_task("group.commit"), std::nullopt, std::nullopt); });
    });
  for (auto& t : threads) t.join();
  auto counts = db().read([](store::Connection& c) { return store::tasks::count_by_status(c); });
  EXPECT_EQ(counts["queued"], writers * per_writer);
  EXPECT_EQ(db().jobs_committed(), std::uint64_t(writers * per_writer) + 1);  // + the migration
}

TEST_P(Store, AgentsListWithFiltersAndQueueDepth) {
  model::Agent a;
  a.id = core::new_id();
  a.name = "Echo";
  a.type = "echo";
  a.capabilities = {"echo"};
  a.created_at = a.updated_at = core::now_ms();
  db().write_sync([&](store::Tx& tx) {
    store::agents::insert(tx.connection, a);
    auto t = make_task("echo");
    t.assigned_agent = a.id;
    store::tasks::insert(tx.connection, t, std::nullopt, std::nullopt);
  });
  auto page = db().read([](store::Connection& c) { return store::agents::list(c, {std::nullopt, "echo"}, {}); });
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.items[0].capabilities, std::vector<std::string>{"echo"});
  EXPECT_EQ(page.items[0].stats.queue_depth, 1);
  auto none = db().read([](store::Connection& c) { return store::agents::list(c, {"paused", std::nullopt}, {}); });
  EXPECT_TRUE(none.items.empty());
}

TEST_P(Store, MetricsAggregateIntoBuckets) {
  db().write_sync([](store::Tx& tx) {
    for (int i = 0; i < 6; ++i)
      store::metrics::insert(tx.connection, {"leads.scored", double(i), std::nullopt, {}, 60000 * (i / 3) + i});
  });
  store::metrics::Query q{"leads.scored", std::nullopt, 0, 200000, 60000, "sum"};
  auto points = db().read([&](store::Connection& c) { return store::metrics::series(c, q); });
  ASSERT_EQ(points.size(), 2u);
  EXPECT_EQ(points[0].t, 0);
  EXPECT_EQ(points[0].value, 0 + 1 + 2);
  EXPECT_EQ(points[1].t, 60000);
  EXPECT_EQ(points[1].value, 3 + 4 + 5);
}

// The checkpointer copies the WAL back while the writer goes on, and the WAL starts over:
// 40 MiB written in 640 commits leave a WAL of a fraction of that, and every commit stored.
TEST(SqliteStore, TheWalStartsOverWhileTheWriterKeepsWriting) {
  de::testing::TestDatabase t("sqlite");
  const std::string chunk(64 * 1024, 'x');
  for (int i = 0; i < 640; ++i) {
    t.db->write_sync([&](store::Tx& tx) { tx.emit("test.chunk", boost::json::value(chunk)); });
    std::this_thread::sleep_for(std::chrono::milliseconds(1));  // the checkpointer looks every 50 ms
  }
  auto stored = t.db->read([](store::Connection& c) {
    return c.query("SELECT count(*), sum(length(data)) FROM events WHERE topic = 'test.chunk'").rows.at(0);
  });
  EXPECT_EQ(stored.integer(0), 640);
  EXPECT_EQ(stored.integer(1), 640 * std::int64_t(chunk.size() + 2));  // as JSON strings
  EXPECT_LT(std::filesystem::file_size(t.cleanup + "/test.db-wal"), 20u << 20);
}

// Migration 4 rebuilt SQLite's `events` without AUTOINCREMENT: an older database's events keep
// their ids, and new ones continue after the highest.
TEST(SqliteStore, EventIdsKeepGrowingThroughTheMigrationWithoutAutoincrement) {
  de::testing::TestDatabase t("sqlite");
  t.db->write_sync([](store::Tx& tx) {  // as a version-3 database left it, with a gap in event ids
    tx.connection.execute_script(
        "DROP TABLE events; CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL, "
        "data TEXT NOT NULL, created_at BIGINT NOT NULL); INSERT INTO events VALUES (5, 'old.a', '{}', 1), "
        "(9, 'old.b', '{\"k\":1}', 2); DROP INDEX tasks_status; DROP INDEX tasks_ready; "
        "CREATE INDEX tasks_queue ON tasks (status, priority_rank, id); DROP TABLE prompt_versions; DROP TABLE prompts; "
        "DROP TABLE ai_calls; DROP TABLE ai_provider_keys; DROP TABLE assistant_runs; DROP TABLE tool_approvals; "
        "DROP TABLE leads; DROP TABLE lead_models; DROP TABLE deal_stage_changes; DROP TABLE deals; "
        "DROP TABLE content_variants; DROP TABLE content; DROP TABLE brand_voice; "
        "DROP TABLE campaign_results; DROP TABLE campaigns; "
        "DROP TABLE stakeholder_updates; DROP TABLE stakeholders; DROP TABLE requirement_versions; "
        "DROP TABLE webhook_deliveries; DROP TABLE webhook_subscriptions; "
        "DROP TABLE schedule_firings; DROP INDEX workflow_steps_leases; ALTER TABLE workflow_steps DROP COLUMN lease_owner; "
        "ALTER TABLE workflow_steps DROP COLUMN lease_expires_at; DROP TABLE sync_conflicts; DROP TABLE sync_runs; DROP TABLE sync_links; DROP TABLE sync_cursors; "
        "DROP TABLE requirement_analyses; "
        "DROP TRIGGER tasks_count_insert; DROP TRIGGER tasks_count_status; DROP TRIGGER tasks_count_latency; "
        "DROP TRIGGER tasks_count_delete; DROP TABLE task_counts; DROP TABLE task_latency; DROP TABLE retention_marks; "
        "DROP INDEX workflow_executions_status; CREATE INDEX workflow_executions_status ON workflow_executions (status); "
        "DROP TABLE audit_log; DROP TABLE oidc_identities; DROP TABLE oidc_logins; DROP TABLE inbound_webhooks; DROP INDEX integrations_by_type; ALTER TABLE integrations DROP COLUMN last_test; "
        "ALTER TABLE api_keys DROP COLUMN rate_limit_per_minute; DROP TABLE node_leases; DROP TABLE companies; DROP TABLE integration_consents; "
        "DROP TRIGGER tasks_waiting_insert; DROP TRIGGER tasks_waiting_status; DROP TRIGGER tasks_waiting_delete; DROP TABLE task_waiting; "
        "DELETE FROM schema_migrations WHERE version >= 4;");
  });
  t.db->migrate();
  EXPECT_EQ(t.db->schema_version(), store::latest_schema_version());
  auto sql = t.db->read([](store::Connection& c) {
    return c.query("SELECT sql FROM sqlite_master WHERE name = 'events'").rows.at(0).text(0);
  });
  EXPECT_EQ(sql.find("AUTOINCREMENT"), std::string::npos) << sql;
  auto old = t.db->events_since(0, 10);
  ASSERT_EQ(old.size(), 2u);
  EXPECT_EQ(old[0].id, 5);
  EXPECT_EQ(old[1].id, 9);
  EXPECT_EQ(old[1].data().at("k"), 1);
  t.db->write_sync([](store::Tx& tx) { tx.emit("new.c", boost::json::object{}); });
  EXPECT_EQ(t.db->last_event_id(), 10);
  t.db->write_sync([](store::Tx& tx) { tx.emit("new.d", boost::json::object{}); });
  EXPECT_EQ(t.db->last_event_id(), 11);
}

// The write-ahead log holds a committed transaction whole as soon as its COMMIT returns
// (store/wal_vfs.cpp holds frames back only until then): a copy of the files taken at that
// moment, as a crash would leave them, recovers it with SQLite's own VFS. Transactions of one
// frame, of many, of more than the 128 KiB written at once, and ones that spill pages before
// their commit (a tiny cache), which makes SQLite rewrite frames and their checksums in place.
TEST(SqliteStore, ACommitIsWholeInTheLogWhenItReturns) {
  auto dir = std::filesystem::temp_directory_path() / ("de-unit-" + core::new_id());
  std::filesystem::create_directories(dir);
  auto conn = store::open_sqlite((dir / "test.db").string());
  conn->execute_script("PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=0; PRAGMA cache_size=8;");
  // The index's entries land all over it, so that spilled pages are changed again.
  conn->execute_script("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT); CREATE INDEX t_v ON t (v);");
  std::int64_t rows = 0, bytes = 0;
  const int sizes[] = {1, 40, 400, 2, 3000, 1};
  for (int round = 0; round < 6; ++round) {
    conn->execute_script("BEGIN");
    const auto first = rows + 1;
    for (int i = 0; i < sizes[round]; ++i) {
      auto value = std::to_string(std::uint32_t(i + 1) * 2654435761u) +
                   std::string(std::size_t(100 + (i * 37) % 900), char('a' + round));
      conn->query("INSERT INTO t (v) VALUES (?)", {value});
      bytes += std::int64_t(value.size());
      ++rows;
      if (i % 5 == 4) {  // an earlier row of this transaction changes again
        conn->query("UPDATE t SET v = v || 'x' WHERE k = ?", {first + std::int64_t(i * 7919) % (i + 1)});
        ++bytes;
      }
    }
    conn->execute_script("COMMIT");

    auto copy = dir / ("copy" + std::to_string(round));
    std::filesystem::create_directories(copy);
    std::filesystem::copy_file(dir / "test.db", copy / "test.db");
    std::filesystem::copy_file(dir / "test.db-wal", copy / "test.db-wal");
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open_v2((copy / "test.db").c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
    auto scalar = [&](const char* sql) {
      sqlite3_stmt* stmt = nullptr;
      EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr), SQLITE_OK);
      EXPECT_EQ(sqlite3_step(stmt), SQLITE_ROW);
      std::string text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
      sqlite3_finalize(stmt);
      return text;
    };
    EXPECT_EQ(scalar("PRAGMA integrity_check"), "ok") << "round " << round;
    EXPECT_EQ(scalar("SELECT count(*) FROM t"), std::to_string(rows)) << "round " << round;
    EXPECT_EQ(scalar("SELECT sum(length(v)) FROM t"), std::to_string(bytes)) << "round " << round;
    sqlite3_close(db);
  }
  conn.reset();
  std::filesystem::remove_all(dir);
}

// While the syncer is busy (here: still announcing the first write), the writer keeps its
// transaction open and takes later jobs into it; a job that fails there rolls back alone, the
// ones before it in that transaction (taken earlier) running again.
TEST(SqliteStore, JobsWaitingForTheSyncerShareATransactionAndAFailureStaysAlone) {
  de::testing::TestDatabase t("sqlite");
  auto& db = *t.db;
  auto insert = [](store::Tx& tx) { store::tasks::insert(tx.connection, make_task("hold.test"), std::nullopt, std::nullopt); };
  std::promise<void> announcing, release, ran_b, ran_c, done_a;
  auto released = release.get_future().share();
  db.write(insert, [&](std::exception_ptr) {
    announcing.set_value();
    released.wait();  // the syncer stays busy until the test lets it go
    done_a.set_value();
  });
  announcing.get_future().wait();

  std::atomic<int> runs_b{0}, runs_c{0}, durable_b{0}, lost_b{0};
  std::promise<std::exception_ptr> done_b, done_c;
  db.write(
      [&](store::Tx& tx) {
        insert(tx);
        tx.after([&](bool lasted) { ++(lasted ? durable_b : lost_b); });
        if (runs_b++ == 0) ran_b.set_value();
      },
      [&](std::exception_ptr e) { done_b.set_value(e); });
  ran_b.get_future().wait();
  db.write(
      [&](store::Tx& tx) {
        insert(tx);
        if (runs_c++ == 0) ran_c.set_value();
        throw core::Error(core::ErrorKind::conflict, "planned failure");
      },
      [&](std::exception_ptr e) { done_c.set_value(e); });
  ran_c.get_future().wait();  // C was taken while the syncer was still busy
  release.set_value();

  done_a.get_future().wait();
  EXPECT_FALSE(done_b.get_future().get());
  EXPECT_TRUE(done_c.get_future().get());
  EXPECT_EQ(runs_b, 2);  // rolled back with C, then run again alone
  EXPECT_EQ(lost_b, 1);
  EXPECT_EQ(durable_b, 1);
  auto counts = db.read([](store::Connection& c) { return store::tasks::count_by_status(c); });
  EXPECT_EQ(counts["queued"], 2);  // A and B
}

// Retention: only finished tasks older than the window go, each archived whole first; the
// events' prefix goes, but never the newest event, one another refers to, nor a lead's or a
// deal's change (the log their tables are rebuilt from); the counts follow.
TEST_P(Store, RetentionDeletesOnlyFinishedItemsPastTheWindowAndArchivesThem) {
  auto now = core::now_ms();
  const std::int64_t day = 24LL * 3600 * 1000;
  std::vector<std::string> old_done, old_waiting, recent_done;
  db().write_sync([&](store::Tx& tx) {
    for (int i = 0; i < 600; ++i) {
      auto t = make_task("retention.test");
      bool old = i < 500;
      // Ids made at the task's time, as the API makes them (UUIDv7 from the clock).
      auto at = old ? now - 3 * day + i : now - 1000;
      t.id = store::uuid_v7_floor(at);
      t.id.replace(24, 12, fmt::format("{:012x}", i));
      t.created_at = t.updated_at = at;
      t.status = old && i % 10 == 0 ? "queued" : (i % 3 ? "completed" : "cancelled");
      if (t.status != "queued") t.started_at = at, t.completed_at = at;
      store::tasks::insert(tx.connection, t, std::nullopt, std::nullopt);
      (t.status == "queued" ? old_waiting : old ? old_done : recent_done).push_back(t.id);
    }
    // Events: 300 old ones, the first 100 changes of leads and deals (more than a batch), then
    // 2 recent, the first of which refers to the last old one.
    for (int i = 0; i < 302; ++i)
      tx.connection.query("INSERT INTO events (topic, data, created_at) VALUES (?, ?, ?)",
                          {std::string_view(i >= 100 ? "test.event" : i % 2 ? "leads.updated" : "deals.updated"),
                           std::string_view("{}"), i < 300 ? now - 3 * day : now});
  });
  auto ids = db().read([](store::Connection& c) {
    std::vector<std::int64_t> out;
    for (const auto& row : c.query("SELECT id FROM events ORDER BY id").rows) out.push_back(row.integer(0));
    return out;
  });
  ASSERT_EQ(ids.size(), 302u);
  db().write_sync([&](store::Tx& tx) {
    tx.connection.query("UPDATE events SET data_from = ?, data = 'null' WHERE id = ?", {ids[299], ids[300]});
  });
  auto archive = std::filesystem::temp_directory_path() / ("de-archive-" + core::new_id());
  store::RetentionOptions options;
  options.tasks_days = 1;
  options.events_days = 1;
  options.archive_dir = archive.string();
  options.batch = 64;
  store::Retention retention(db(), options);
  auto deleted = retention.run_once(now);
  EXPECT_EQ(deleted["tasks"], std::int64_t(old_done.size()));
  EXPECT_EQ(deleted["events"], 199);  // the last old one stays too: a recent one refers to it

  std::set<std::string> left;
  std::map<std::string, std::int64_t> recount;
  db().read([&](store::Connection& c) {
    for (const auto& row : c.query("SELECT id, status FROM tasks WHERE type = 'retention.test'").rows) left.insert(row.text(0));
    for (const auto& row : c.query("SELECT status, count(*) FROM tasks GROUP BY status").rows) recount[row.text(0)] = row.integer(1);
    EXPECT_EQ(store::tasks::count_by_status(c), recount);
    EXPECT_EQ(store::events_pruned_through(c), ids[298]);
    EXPECT_EQ(c.query("SELECT count(*) FROM events WHERE id < ? AND (topic LIKE 'leads.%' OR topic LIKE 'deals.%')",
                      {ids[100]})
                  .rows.at(0)
                  .integer(0),
              100);
    EXPECT_EQ(c.query("SELECT MIN(id) FROM events WHERE id >= ?", {ids[100]}).rows.at(0).integer(0), ids[299]);
    return 0;
  });
  for (const auto& id : old_done) EXPECT_FALSE(left.contains(id));
  for (const auto& id : old_waiting) EXPECT_TRUE(left.contains(id)) << "unfinished tasks stay";
  for (const auto& id : recent_done) EXPECT_TRUE(left.contains(id)) << "tasks within the window stay";

  // The archive: every deleted row once, whole.
  std::map<std::string, int> archived;
  std::int64_t archived_events = 0;
  for (const auto& file : std::filesystem::directory_iterator(archive)) {
    gzFile gz = gzopen(file.path().c_str(), "rb");
    ASSERT_TRUE(gz);
    char line[65536];
    while (gzgets(gz, line, sizeof line)) {
      auto record = core::parse_object(line);
      auto table = std::string(record.at("table").as_string());
      const auto& row = record.at("row").as_object();
      if (table == "tasks") {
        ++archived[std::string(row.at("id").as_string())];
        EXPECT_EQ(core::parse_object(row.at("input_data").as_string()), (boost::json::object{{"n", 1}}));
        EXPECT_EQ(row.at("type"), "retention.test");
      }
      if (table == "events") ++archived_events;
    }
    gzclose(gz);
  }
  EXPECT_EQ(archived.size(), old_done.size());
  for (const auto& id : old_done) EXPECT_EQ(archived[id], 1) << id;
  EXPECT_EQ(archived_events, 199);
  // A second round finds nothing more.
  auto again = retention.run_once(now);
  EXPECT_EQ(again["tasks"], 0);
  EXPECT_EQ(again["events"], 0);
  std::filesystem::remove_all(archive);
}

// Several nodes: one prunes at a time. Another node's retention leaves a round to the lease's
// holder, and takes the lease over once it has run out.
TEST_P(Store, RetentionRunsOnOneNodeAtATime) {
  auto now = core::now_ms();
  const std::int64_t day = 24LL * 3600 * 1000;
  int made = 0;
  auto add_old_done = [&](int n) {
    db().write_sync([&](store::Tx& tx) {
      for (int i = 0; i < n; ++i) {
        auto t = make_task("retention.lease");
        t.id = store::uuid_v7_floor(now - 3 * day);
        t.id.replace(24, 12, fmt::format("{:012x}", ++made));
        t.created_at = t.updated_at = now - 3 * day;
        t.status = "completed", t.started_at = t.completed_at = now - 3 * day;
        store::tasks::insert(tx.connection, t, std::nullopt, std::nullopt);
      }
    });
  };
  store::RetentionOptions options;
  options.tasks_days = 1;
  options.lease = std::chrono::milliseconds(300);
  store::Retention first(db(), options), second(db(), options);
  add_old_done(5);
  EXPECT_EQ(first.run_once(now)["tasks"], 5);
  add_old_done(3);
  EXPECT_EQ(second.run_once(now)["tasks"], 0) << "the first node holds the lease";
  EXPECT_EQ(first.run_once(now)["tasks"], 3) << "its holder renews it";
  add_old_done(2);
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  EXPECT_EQ(second.run_once(now)["tasks"], 2) << "taken over once it ran out";
  EXPECT_EQ(first.run_once(now)["tasks"], 0);
}

TEST(Retention, UuidFloorsSortWithTheIdsOfTheirTime) {
  auto before = store::uuid_v7_floor(core::now_ms());
  auto id = core::new_id();
  auto after = store::uuid_v7_floor(core::now_ms() + 2);
  EXPECT_LT(before, id);
  EXPECT_LT(id, after);
  EXPECT_EQ(store::uuid_v7_floor(0x0123456789ab), "01234567-89ab-0000-0000-000000000000");
}

// Several nodes arm the same schedule: the first to record a firing starts it, on either backend.
TEST_P(Store, AScheduleFiringIsClaimedOnce) {
  model::Workflow w;
  w.id = core::new_id();
  w.name = "every minute";
  w.definition = boost::json::object{{"steps", boost::json::array()}};
  w.created_at = w.updated_at = core::now_ms();
  auto before = db().read([](store::Connection& c) { return store::workflows::fingerprint(c); });
  db().write_sync([&](store::Tx& tx) { store::workflows::insert(tx.connection, w); });
  auto after = db().read([](store::Connection& c) { return store::workflows::fingerprint(c); });
  EXPECT_NE(before, after) << "a saved workflow changes the fingerprint other nodes watch";
  auto claim = [&](std::int64_t at) {
    return db().write_sync([&](store::Tx& tx) { return store::workflows::claim_firing(tx.connection, w.id, at); });
  };
  const std::int64_t minute = 60'000, now = core::now_ms() / minute * minute;
  EXPECT_TRUE(claim(now));
  EXPECT_FALSE(claim(now)) << "the same firing again, as another node would";
  EXPECT_TRUE(claim(now + minute));
  EXPECT_TRUE(claim(now + 2 * 24 * 3600 * 1000)) << "two days on";
  EXPECT_TRUE(claim(now)) << "a firing more than a day old was forgotten";
}

// PostgreSQL: a commit is visible before its WAL is flushed (the writer commits with
// synchronous_commit off), so the log reader gives out an event it read only once the WAL is
// flushed past the read: a crash of PostgreSQL then cannot take back an event a client saw.
// The WAL writer is slowed to 10 s for the test so that an asynchronous commit stays unflushed.
TEST_P(Store, AnEventReadFromTheLogIsGivenOutOnlyOnceItsCommitIsFlushed) {
  if (GetParam() != "postgres") GTEST_SKIP() << "SQLite's reader sees only what its writer synced";
  auto base = de::testing::TestDatabase::postgres_url();
  auto admin = store::open_postgres(base);
  struct SlowWalWriter {
    store::Connection& admin;
    explicit SlowWalWriter(store::Connection& c) : admin(c) { set("ALTER SYSTEM SET wal_writer_delay = '10s'"); }
    ~SlowWalWriter() { set("ALTER SYSTEM RESET wal_writer_delay"); }
    void set(const char* sql) {
      admin.execute_script(sql);
      admin.execute_script("SELECT pg_reload_conf()");
      std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the WAL writer rereads it
    }
  } slow(*admin);
  auto other = store::open_postgres(base.substr(0, base.rfind('/') + 1) + database->cleanup);
  other->execute_script("SET synchronous_commit = off");
  auto lsn = [&](const char* which) {
    return other->query(fmt::format("SELECT (pg_{}_lsn() - '0/0'::pg_lsn)::bigint", which), {}).rows.at(0).integer(0);
  };
  // The WAL writer flushes at once after a long rest: the first commit makes it flush, the next
  // ones within its 10 s stay unflushed.
  std::int64_t committed = 0;
  for (int attempt = 0; attempt < 5 && !committed; ++attempt) {
    other->execute_script("INSERT INTO events (topic, data, created_at) VALUES ('flush.test', '{}', 1)");
    auto end = lsn("current_wal_insert");
    if (lsn("current_wal_flush") < end) committed = end;
    else std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_NE(committed, 0) << "every commit was flushed at once: the WAL writer was not slowed";
  store::EventCursor cursor(0);
  auto events = cursor.next(db(), 100);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().topic, "flush.test");
  EXPECT_GE(lsn("current_wal_flush"), committed) << "an event was given out before its commit was on disk";
}

// A node's own events, right after the cursor without a gap, are taken without reading the log;
// another node's event among them, or an id a rolled-back transaction drew, leaves them to the
// log, which gives everything out in order.
TEST_P(Store, TheCursorTakesItsOwnEventsWithoutTheLogOnlyWhenNoOtherIdIsAmongThem) {
  if (GetParam() != "postgres") GTEST_SKIP() << "one node on SQLite publishes its commits as they are";
  auto base = de::testing::TestDatabase::postgres_url();
  auto other = store::open_postgres(base.substr(0, base.rfind('/') + 1) + database->cleanup);
  std::vector<std::int64_t> taken;  // own ids given out so far
  // This node's new events, by id.
  auto own = [&](int count) {
    db().write_sync([&](store::Tx& tx) {
      for (int i = 0; i < count; ++i) tx.emit("own.test", boost::json::object{{"i", i}});
    });
    std::vector<std::int64_t> ids;
    for (const auto& row : other->query("SELECT id FROM events WHERE topic = 'own.test' ORDER BY id", {}).rows)
      if (std::find(taken.begin(), taken.end(), row.integer(0)) == taken.end()) ids.push_back(row.integer(0));
    taken.insert(taken.end(), ids.begin(), ids.end());
    return ids;
  };
  auto ids_of = [](const std::vector<model::Event>& events) {
    std::vector<std::int64_t> ids;
    for (const auto& e : events) ids.push_back(e.id);
    return ids;
  };
  store::EventCursor cursor(db().last_event_id());
  auto mine = own(3);
  auto events = cursor.take_own(mine);
  EXPECT_EQ(ids_of(events), mine);
  EXPECT_EQ(cursor.position(), mine.back());

  // Another node's event after them: not theirs to give out, the log's.
  other->execute_script("INSERT INTO events (topic, data, created_at) VALUES ('other.test', '{\"n\":1}', 1)");
  EXPECT_TRUE(cursor.take_own({}).empty());
  events = cursor.next(db(), 100);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].topic, "other.test");
  EXPECT_EQ(boost::json::serialize(events[0].data()), R"({"n":1})");

  // Another node's event between the cursor and this node's: taken from the log, in order.
  auto before = cursor.position();
  other->execute_script("INSERT INTO events (topic, data, created_at) VALUES ('other.test', '{}', 2)");
  mine = own(2);
  EXPECT_TRUE(cursor.take_own(mine).empty());
  EXPECT_EQ(cursor.position(), before);
  events = cursor.next(db(), 100, mine);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].topic, "other.test");
  auto ids = ids_of(events);
  EXPECT_EQ(std::vector<std::int64_t>(ids.begin() + 1, ids.end()), mine);

  // An id drawn by a transaction that rolled back: a gap the log closes once that transaction
  // has ended.
  other->execute_script("BEGIN; INSERT INTO events (topic, data, created_at) VALUES ('lost.test', '{}', 1); ROLLBACK");
  mine = own(1);
  EXPECT_TRUE(cursor.take_own(mine).empty());
  events.clear();
  for (int round = 0; round < 3 && events.empty(); ++round) events = cursor.next(db(), 100, mine);
  EXPECT_EQ(ids_of(events), mine);
  EXPECT_EQ(cursor.position(), mine.back());
}

// Large transactions (a batch of a backlog): on PostgreSQL the counts' changes fill the
// session's temporary table past the size at which the fold empties it whole (migration 32).
TEST_P(Store, CountsStayEqualToARecountAcrossLargeTransactions) {
  std::vector<model::Task> made;
  for (int i = 0; i < 1500; ++i) made.push_back(make_task(i % 2 ? "bulk.even" : "bulk.odd"));
  db().write_sync([&](store::Tx& tx) {
    for (const auto& t : made) store::tasks::insert(tx.connection, t, std::nullopt, std::nullopt);
  });
  db().write_sync([&](store::Tx& tx) {
    for (int i = 0; i < 1000; ++i) {
      made[i].status = i % 3 ? "completed" : "failed", made[i].started_at = 1000, made[i].completed_at = 1000 + i;
      store::tasks::update(tx.connection, made[i]);
    }
  });
  db().write_sync([&](store::Tx& tx) {
    for (int i = 900; i < 1200; ++i) tx.connection.query("DELETE FROM tasks WHERE id = ?", {std::string_view(made[i].id)});
  });
  db().read([&](store::Connection& c) {
    std::map<std::string, std::int64_t> by_status, waiting;
    for (const auto& row : c.query("SELECT status, count(*) FROM tasks GROUP BY status").rows) by_status[row.text(0)] = row.integer(1);
    for (const auto& row : c.query("SELECT type, count(*) FROM tasks WHERE status IN ('pending', 'queued') GROUP BY type").rows)
      waiting[row.text(0)] = row.integer(1);
    EXPECT_EQ(store::tasks::count_by_status(c), by_status);
    EXPECT_EQ(store::tasks::waiting_by_type(c), waiting);
    EXPECT_EQ(by_status["queued"], 300);
    return 0;
  });
}
