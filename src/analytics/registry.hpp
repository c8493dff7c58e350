#pragma once
// What /metrics counts in memory (the rest it reads from the parts at scrape time), rendered in
// the Prometheus text format. Requests and WebSocket clients are counted without a lock: every
// route's counters are made before the first request (set_routes) and found by the route's
// slot, which the router gives each request; statuses take one of a few slots per route.
// Task and workflow transitions are counted from the committed events (the commit thread).
#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/metrics.hpp"
#include "model/model.hpp"

namespace de::analytics {

struct RouteLabel {
  std::string method;
  std::string route;  // a path template, a WebSocket path, or "(static)" / "(none)"
};

class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // The labels of every slot, in slot order; called once, before any request is observed.
  void set_routes(const std::vector<RouteLabel>& routes);

  // Any thread, no lock. A slot out of range (no routes set) is not counted.
  void observe_request(std::size_t slot, int status, double seconds);
  void websocket_opened(std::size_t slot) { change(slot, &Route::websocket_open, 1); }
  void websocket_closed(std::size_t slot) { change(slot, &Route::websocket_open, -1); }
  void websocket_dropped(std::size_t slot) { change(slot, &Route::websocket_dropped, 1); }

  // A committed event (a bus subscriber on the commit thread): tasks by type and the status they
  // reached, workflow executions by status.
  void count_event(const model::Event& event);

  // Appends the HTTP, WebSocket, task and workflow families to `out`.
  void render(std::string& out) const;

  // Distinct task types counted by name; later ones are counted as "(other)".
  static constexpr std::size_t max_task_types = 500;

 private:
  static constexpr std::size_t status_slots = 16;
  struct Route {
    RouteLabel label;
    std::array<std::atomic<int>, status_slots> statuses{};  // 0: free; claimed once
    std::array<std::atomic<std::uint64_t>, status_slots> requests{};
    std::atomic<std::uint64_t> other_statuses{0};  // when every status slot is taken
    core::Histogram duration;
    std::atomic<std::int64_t> websocket_open{0};
    std::atomic<std::int64_t> websocket_dropped{0};
  };
  template <class Member>
  void change(std::size_t slot, Member member, std::int64_t by) {
    if (slot < route_count_) (routes_[slot].*member).fetch_add(by, std::memory_order_relaxed);
  }
  std::unique_ptr<Route[]> routes_;
  std::size_t route_count_ = 0;

  mutable std::mutex transitions_mutex_;  // the commit thread and the scrape
  std::map<std::string, std::map<std::string, std::uint64_t>, std::less<>> task_transitions_;  // type -> status
  std::map<std::string, std::uint64_t, std::less<>> workflow_executions_;                  // status
};

// One Prometheus sample line: name{labels} value
void sample(std::string& out, std::string_view name, std::string_view labels, double value);
std::string label_value(std::string_view raw);  // escaped and quoted
// "# HELP name help" and "# TYPE name type"
void family(std::string& out, std::string_view name, std::string_view type, std::string_view help);
// The _bucket, _sum and _count samples of one histogram; `labels` without braces (may be empty).
void histogram(std::string& out, std::string_view name, std::string_view labels, const core::Histogram& h);

}  // namespace de::analytics
