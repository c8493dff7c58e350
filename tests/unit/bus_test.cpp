#include <gtest/gtest.h>

#include <mutex>

#include "bus/router.hpp"
#include "test_database.hpp"

using namespace de;

TEST(Bus, TopicPatterns) {
  EXPECT_TRUE(bus::topic_matches("*", "tasks.completed"));
  EXPECT_TRUE(bus::topic_matches("tasks.*", "tasks.completed"));
  EXPECT_TRUE(bus::topic_matches("tasks.*", "tasks.step.completed"));
  EXPECT_TRUE(bus::topic_matches("tasks.completed", "tasks.completed"));
  EXPECT_TRUE(bus::topic_matches("*.completed", "tasks.completed"));
  EXPECT_FALSE(bus::topic_matches("*.completed", "tasks.failed"));
  EXPECT_FALSE(bus::topic_matches("tasks.*", "tasks"));
  EXPECT_FALSE(bus::topic_matches("tasks.*", "agents.updated"));
  EXPECT_FALSE(bus::topic_matches("tasks.completed", "tasks.completed.extra"));
  EXPECT_FALSE(bus::topic_matches("tasks", "tasks.completed"));
}

namespace {
class Router : public de::testing::BackendTest {};
DE_BACKENDS(Router);
}  // namespace

TEST_P(Router, PublishesCommittedEventsInOrderToMatchingSubscribers) {
  bus::MessageRouter router(db());
  std::mutex mutex;
  std::vector<std::int64_t> task_events, all_events;
  router.subscribe({"tasks.*"}, [&](const model::Event& e) {
    std::lock_guard lock(mutex);
    task_events.push_back(e.id);
  });
  auto all = router.subscribe({"*"}, [&](const model::Event& e) {
    std::lock_guard lock(mutex);
    all_events.push_back(e.id);
  });
  db().write_sync([](store::Tx& tx) {
    tx.emit("tasks.created", boost::json::object{});
    tx.emit("agents.updated", boost::json::object{});
  });
  EXPECT_THROW(db().write_sync([](store::Tx& tx) {
    tx.emit("tasks.created", boost::json::object{});
    throw core::Error(core::ErrorKind::conflict, "rolled back");
  }), core::Error);
  router.unsubscribe(all);
  db().write_sync([](store::Tx& tx) { tx.emit("tasks.completed", boost::json::object{}); });
  auto last = db().last_event_id();
  std::lock_guard lock(mutex);
  ASSERT_EQ(task_events.size(), 2u);
  EXPECT_EQ(task_events.back(), last);
  EXPECT_EQ(all_events.size(), 2u) << "rolled-back events are never published; unsubscribed gets nothing";
  EXPECT_EQ(router.last_event_id(), last);
  auto replay = db().events_since(task_events.front(), 10);
  ASSERT_EQ(replay.size(), 2u);
  EXPECT_EQ(replay[0].topic, "agents.updated");
  EXPECT_EQ(replay[1].topic, "tasks.completed");
}
