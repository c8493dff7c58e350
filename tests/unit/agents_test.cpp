#include <gtest/gtest.h>

#include <boost/asio/thread_pool.hpp>
#include <future>
#include <thread>

#include "agents/builtin.hpp"

using namespace de;

namespace {
struct Ran {
  hub::Outcome outcome;
  std::thread::id thread;
};

// Starts `task` on a built-in agent of `type` and waits for its outcome.
Ran run_builtin(const std::string& type, const model::Task& task, boost::asio::thread_pool& pool) {
  auto executor = agents::make_executor(agents::make_agent(type), pool);
  std::promise<Ran> ran;
  auto future = ran.get_future();
  executor->start(task, [&](hub::Outcome outcome) { ran.set_value({std::move(outcome), std::this_thread::get_id()}); });
  return future.get();
}
}  // namespace

TEST(BuiltinAgents, EchoRunsWhereItIsStartedAndReturnsItsInput) {
  boost::asio::thread_pool pool(1);
  model::Task task;
  task.id = "t1";
  task.type = "echo";
  task.input_data = {{"n", 7}};
  auto ran = run_builtin("echo", task, pool);
  EXPECT_EQ(ran.thread, std::this_thread::get_id());
  ASSERT_TRUE(ran.outcome.ok);
  EXPECT_EQ(ran.outcome.output, boost::json::value({{"n", 7}}));
}

TEST(BuiltinAgents, OtherWorkRunsOnTheWorkerPool) {
  boost::asio::thread_pool pool(1);
  model::Task task;
  task.id = "t2";
  task.type = "product.analyze_requirements";
  task.input_data = {{"text", 5}};
  auto ran = run_builtin("product_manager", task, pool);
  EXPECT_NE(ran.thread, std::this_thread::get_id());
  ASSERT_FALSE(ran.outcome.ok);
  EXPECT_FALSE(ran.outcome.retryable);  // invalid input: retrying cannot help
  EXPECT_NE(ran.outcome.error.find("text"), std::string::npos) << ran.outcome.error;
}
