#include "analytics/registry.hpp"

#include <fmt/format.h>

namespace de::analytics {

std::string label_value(std::string_view raw) {
  std::string out = "\"";
  for (char c : raw) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

void sample(std::string& out, std::string_view name, std::string_view labels, double value) {
  if (labels.empty()) fmt::format_to(std::back_inserter(out), "{} {}\n", name, value);
  else fmt::format_to(std::back_inserter(out), "{}{{{}}} {}\n", name, labels, value);
}

void family(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

void histogram(std::string& out, std::string_view name, std::string_view labels, const core::Histogram& h) {
  auto s = h.snapshot();
  auto bounds = h.bounds();
  std::string prefix = labels.empty() ? std::string() : std::string(labels) + ",";
  auto bucket = fmt::format("{}_bucket", name);
  for (std::size_t i = 0; i < bounds.size(); ++i)
    sample(out, bucket, fmt::format("{}le=\"{}\"", prefix, bounds[i]), double(s.cumulative[i]));
  sample(out, bucket, prefix + "le=\"+Inf\"", double(s.cumulative.back()));
  sample(out, fmt::format("{}_sum", name), labels, s.sum);
  sample(out, fmt::format("{}_count", name), labels, double(s.cumulative.back()));
}

void Registry::set_routes(const std::vector<RouteLabel>& routes) {
  routes_ = std::make_unique<Route[]>(routes.size());
  for (std::size_t i = 0; i < routes.size(); ++i) routes_[i].label = routes[i];
  route_count_ = routes.size();
}

void Registry::observe_request(std::size_t slot, int status, double seconds) {
  if (slot >= route_count_ || status <= 0) return;
  auto& r = routes_[slot];
  r.duration.observe(seconds);
  for (std::size_t i = 0; i < status_slots; ++i) {
    int seen = r.statuses[i].load(std::memory_order_acquire);
    if (seen == 0 && r.statuses[i].compare_exchange_strong(seen, status, std::memory_order_acq_rel)) seen = status;
    if (seen == status) {
      r.requests[i].fetch_add(1, std::memory_order_relaxed);
      return;
    }
  }
  r.other_statuses.fetch_add(1, std::memory_order_relaxed);
}

void Registry::count_event(const model::Event& event) {
  std::string_view topic = event.topic;
  if (topic.starts_with("tasks.")) {
    std::string_view type;
    if (event.task) type = event.task->type;
    else if (const auto* data = event.data().if_object())
      if (const auto* t = data->if_contains("type"); t && t->is_string()) type = t->get_string();
    if (type.empty()) return;
    std::lock_guard lock(transitions_mutex_);
    auto it = task_transitions_.find(type);
    if (it == task_transitions_.end())
      it = task_transitions_.try_emplace(std::string(task_transitions_.size() < max_task_types ? type : "(other)")).first;
    auto& by_status = it->second;
    auto status = topic.substr(6);
    if (auto s = by_status.find(std::string(status)); s != by_status.end()) ++s->second;
    else by_status.emplace(std::string(status), 1);
  } else if (topic.starts_with("workflows.execution_")) {
    std::lock_guard lock(transitions_mutex_);
    auto status = topic.substr(20);
    if (auto it = workflow_executions_.find(status); it != workflow_executions_.end()) ++it->second;
    else workflow_executions_.emplace(std::string(status), 1);
  }
}

void Registry::render(std::string& out) const {
  family(out, "de_http_requests_total", "counter", "HTTP requests answered, by method, route and status.");
  for (std::size_t slot = 0; slot < route_count_; ++slot) {
    const auto& r = routes_[slot];
    auto labels = fmt::format("method={},route={}", label_value(r.label.method), label_value(r.label.route));
    for (std::size_t i = 0; i < status_slots; ++i) {
      int status = r.statuses[i].load(std::memory_order_acquire);
      if (status == 0) break;
      sample(out, "de_http_requests_total", fmt::format("{},status=\"{}\"", labels, status),
             double(r.requests[i].load(std::memory_order_relaxed)));
    }
    if (auto n = r.other_statuses.load(std::memory_order_relaxed))
      sample(out, "de_http_requests_total", labels + ",status=\"other\"", double(n));
  }
  family(out, "de_http_request_duration_seconds", "histogram", "Time to answer a request, by method and route.");
  for (std::size_t slot = 0; slot < route_count_; ++slot) {
    const auto& r = routes_[slot];
    if (r.duration.snapshot().cumulative.back() == 0) continue;  // routes never asked for
    histogram(out, "de_http_request_duration_seconds",
              fmt::format("method={},route={}", label_value(r.label.method), label_value(r.label.route)), r.duration);
  }
  family(out, "de_websocket_clients", "gauge", "Open WebSocket connections, by endpoint.");
  for (std::size_t slot = 0; slot < route_count_; ++slot)
    if (routes_[slot].label.route.starts_with("/ws/"))
      sample(out, "de_websocket_clients", "route=" + label_value(routes_[slot].label.route),
             double(routes_[slot].websocket_open.load(std::memory_order_relaxed)));
  family(out, "de_websocket_dropped_clients_total", "counter",
         "WebSocket clients dropped because they did not keep up with their messages.");
  for (std::size_t slot = 0; slot < route_count_; ++slot)
    if (routes_[slot].label.route.starts_with("/ws/"))
      sample(out, "de_websocket_dropped_clients_total", "route=" + label_value(routes_[slot].label.route),
             double(routes_[slot].websocket_dropped.load(std::memory_order_relaxed)));

  std::lock_guard lock(transitions_mutex_);
  family(out, "de_task_transitions_total", "counter",
         "Tasks that reached a status (created, running, queued again, completed, failed, cancelled) on this node, by type.");
  for (const auto& [type, by_status] : task_transitions_)
    for (const auto& [status, n] : by_status)
      sample(out, "de_task_transitions_total",
             fmt::format("type={},status={}", label_value(type), label_value(status)), double(n));
  family(out, "de_workflow_executions_total", "counter",
         "Workflow executions that reached a status (started, waiting, completed, failed, cancelled) on this node.");
  for (const auto& [status, n] : workflow_executions_)
    sample(out, "de_workflow_executions_total", "status=" + label_value(status), double(n));
}

}  // namespace de::analytics
