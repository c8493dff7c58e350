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

void Registry::observe_request(const std::string& method, const std::string& route, int status,
                               double seconds) {
  std::lock_guard lock(mutex_);
  ++requests_[{method, route, status}];
  auto& h = durations_[route];
  for (std::size_t i = 0; i < bounds.size(); ++i)
    if (seconds <= bounds[i]) ++h.buckets[i];
  ++h.count;
  h.sum += seconds;
}

void Registry::render(std::string& out) const {
  std::lock_guard lock(mutex_);
  out += "# HELP de_http_requests_total HTTP requests by method, route and status.\n";
  out += "# TYPE de_http_requests_total counter\n";
  for (const auto& [key, count] : requests_) {
    const auto& [method, route, status] = key;
    sample(out, "de_http_requests_total",
           fmt::format("method={},route={},status=\"{}\"", label_value(method), label_value(route), status),
           double(count));
  }
  out += "# HELP de_http_request_duration_seconds Time to answer a request, by route.\n";
  out += "# TYPE de_http_request_duration_seconds histogram\n";
  for (const auto& [route, h] : durations_) {
    auto r = label_value(route);
    for (std::size_t i = 0; i < bounds.size(); ++i)
      sample(out, "de_http_request_duration_seconds_bucket", fmt::format("route={},le=\"{}\"", r, bounds[i]),
             double(h.buckets[i]));
    sample(out, "de_http_request_duration_seconds_bucket", fmt::format("route={},le=\"+Inf\"", r), double(h.count));
    sample(out, "de_http_request_duration_seconds_sum", fmt::format("route={}", r), h.sum);
    sample(out, "de_http_request_duration_seconds_count", fmt::format("route={}", r), double(h.count));
  }
}

}  // namespace de::analytics
