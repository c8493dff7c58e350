#pragma once
// Request metrics kept in memory and rendered in the Prometheus text format.
#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

namespace de::analytics {

class Registry {
 public:
  void observe_request(const std::string& method, const std::string& route, int status,
                       double seconds);
  // Appends the HTTP families to `out`.
  void render(std::string& out) const;

 private:
  static constexpr std::array<double, 10> bounds{0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                  0.025,  0.05,  0.1,    0.5,   2.5};
  struct Histogram {
    std::array<std::uint64_t, bounds.size()> buckets{};
    std::uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::tuple<std::string, std::string, int>, std::uint64_t> requests_;
  std::map<std::string, Histogram> durations_;
};

// One Prometheus sample line: name{labels} value
void sample(std::string& out, std::string_view name, std::string_view labels, double value);
std::string label_value(std::string_view raw);  // escaped and quoted

}  // namespace de::analytics
