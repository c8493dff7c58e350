// The /metrics instruments: fixed-bucket histograms and the request registry, observed from
// several threads at once without a lock.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "analytics/registry.hpp"
#include "core/metrics.hpp"

using namespace de;

TEST(Histogram, CountsEachValueInItsBucketAndCumulatesWhenRead) {
  core::Histogram h;
  h.observe(0.0001);  // first bucket
  h.observe(0.001);   // on a bound: that bucket (le)
  h.observe(0.3);
  h.observe(99);  // over every bound
  auto s = h.snapshot();
  ASSERT_EQ(s.cumulative.size(), core::latency_buckets.size() + 1);
  EXPECT_EQ(s.cumulative[0], 1u);  // <= 0.0005
  EXPECT_EQ(s.cumulative[1], 2u);  // <= 0.001
  EXPECT_EQ(s.cumulative[8], 2u);  // <= 0.25
  EXPECT_EQ(s.cumulative[9], 3u);  // <= 0.5
  EXPECT_EQ(s.cumulative[core::latency_buckets.size() - 1], 3u);
  EXPECT_EQ(s.cumulative.back(), 4u);
  EXPECT_NEAR(s.sum, 99.3011, 1e-9);
}

TEST(Registry, CountsRequestsFromManyThreadsByRouteAndStatus) {
  analytics::Registry registry;
  registry.set_routes({{"GET", "/api/v1/agents"}, {"POST", "/api/v1/tasks"}, {"GET", "/ws/notifications"}});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        registry.observe_request(0, 200, 0.002);
        registry.observe_request(1, i % 2 ? 201 : 422, 0.02);
        registry.observe_request(7, 200, 0.1);  // no such slot: not counted
      }
    });
  for (auto& t : threads) t.join();
  registry.websocket_opened(2);
  registry.websocket_opened(2);
  registry.websocket_closed(2);
  registry.websocket_dropped(2);
  std::string out;
  registry.render(out);
  EXPECT_NE(out.find("de_http_requests_total{method=\"GET\",route=\"/api/v1/agents\",status=\"200\"} 4000\n"), std::string::npos) << out;
  EXPECT_NE(out.find("de_http_requests_total{method=\"POST\",route=\"/api/v1/tasks\",status=\"201\"} 2000\n"), std::string::npos) << out;
  EXPECT_NE(out.find("de_http_requests_total{method=\"POST\",route=\"/api/v1/tasks\",status=\"422\"} 2000\n"), std::string::npos) << out;
  EXPECT_NE(out.find("de_http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/v1/agents\",le=\"0.0025\"} 4000\n"), std::string::npos) << out;
  EXPECT_NE(out.find("de_http_request_duration_seconds_bucket{method=\"POST\",route=\"/api/v1/tasks\",le=\"0.01\"} 0\n"), std::string::npos) << out;
  EXPECT_NE(out.find("de_http_request_duration_seconds_count{method=\"POST\",route=\"/api/v1/tasks\"} 4000\n"), std::string::npos) << out;
  EXPECT_NE(out.find("de_websocket_clients{route=\"/ws/notifications\"} 1\n"), std::string::npos) << out;
  EXPECT_NE(out.find("de_websocket_dropped_clients_total{route=\"/ws/notifications\"} 1\n"), std::string::npos) << out;
}

TEST(Registry, CountsTaskTransitionsByTypeAndWorkflowExecutionsByStatus) {
  analytics::Registry registry;
  registry.count_event(model::Event(1, "tasks.created", boost::json::object{{"type", "echo"}}, 0));
  registry.count_event(model::Event(2, "tasks.completed", boost::json::object{{"type", "echo"}}, 0));
  registry.count_event(model::Event(3, "tasks.completed", boost::json::object{{"type", "echo"}}, 0));
  registry.count_event(model::Event(4, "workflows.execution_completed", boost::json::object{}, 0));
  registry.count_event(model::Event(5, "workflows.step_completed", boost::json::object{}, 0));
  std::string out;
  registry.render(out);
  EXPECT_NE(out.find("de_task_transitions_total{type=\"echo\",status=\"completed\"} 2\n"), std::string::npos) << out;
  EXPECT_NE(out.find("de_task_transitions_total{type=\"echo\",status=\"created\"} 1\n"), std::string::npos) << out;
  EXPECT_NE(out.find("de_workflow_executions_total{status=\"completed\"} 1\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("step_completed"), std::string::npos) << out;
}
