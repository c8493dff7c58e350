#pragma once
// Lock-free instruments for /metrics: a histogram with fixed buckets that any thread may
// observe into (one relaxed atomic add per bucket hit, no lock), read by the scrape.
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace de::core {

// Seconds, from half a millisecond to ten seconds: HTTP requests, commits, syncs.
inline constexpr std::array<double, 12> latency_buckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                        0.05,   0.1,   0.25,   0.5,   2.5,  10};

class Histogram {
 public:
  explicit Histogram(std::span<const double> bounds = latency_buckets)
      : bounds_(bounds), counts_(bounds.size() + 1) {}

  void observe(double value) {
    std::size_t i = 0;
    while (i < bounds_.size() && value > bounds_[i]) ++i;
    counts_[i].fetch_add(1, std::memory_order_relaxed);
    sum_.fetch_add(value, std::memory_order_relaxed);
  }

  struct Snapshot {
    std::vector<std::uint64_t> cumulative;  // one per bound, then +Inf (the count)
    double sum = 0;
  };
  Snapshot snapshot() const {
    Snapshot s;
    std::uint64_t running = 0;
    for (const auto& c : counts_) s.cumulative.push_back(running += c.load(std::memory_order_relaxed));
    s.sum = sum_.load(std::memory_order_relaxed);
    return s;
  }
  std::span<const double> bounds() const { return bounds_; }

 private:
  std::span<const double> bounds_;
  std::vector<std::atomic<std::uint64_t>> counts_;  // per bucket, not cumulative; last: over every bound
  std::atomic<double> sum_{0};
};

}  // namespace de::core
