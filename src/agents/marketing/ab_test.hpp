#pragma once
// The A/B analysis of a piece's variants (docs/marketing.md, "A/B analysis"): each rate with its
// 95 % Wilson score interval, and the probability that each variant has the best conversion
// rate under independent Beta(1 + conversions, 1 + sends − conversions) posteriors (uniform
// priors), estimated by Monte Carlo with a fixed seed.
#include <boost/json/object.hpp>

#include <cstdint>
#include <vector>

namespace de::agents::marketing {

struct VariantResults {
  std::int64_t sends = 0, opens = 0, clicks = 0, conversions = 0;
};

struct Interval {
  double low = 0, high = 0;
};

// The 95 % Wilson score interval of `successes` in `trials` ([0, 1] when there is no trial).
Interval wilson_interval(std::int64_t successes, std::int64_t trials);

// P(variant i has the highest conversion rate) for each variant, from `draws` joint draws of
// the posteriors (seeded, so the same results give the same answer).
std::vector<double> probability_best(const std::vector<VariantResults>& variants, int draws = 20000,
                                     std::uint64_t seed = 42);

// Enough data (docs/marketing.md): every variant has at least this many sends, and the
// variants together at least this many conversions.
inline constexpr std::int64_t min_sends_per_variant = 100;
inline constexpr std::int64_t min_total_conversions = 10;

// {"enough_data","reason","variants":[{"variant","sends",...,"open_rate":{"value","interval"},
// "click_rate","conversion_rate","probability_best"}],"leader","decided"}
boost::json::object analyse(const std::vector<VariantResults>& variants);

}  // namespace de::agents::marketing
