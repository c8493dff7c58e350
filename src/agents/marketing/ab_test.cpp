#include "agents/marketing/ab_test.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <random>

namespace de::agents::marketing {

namespace json = boost::json;

namespace {
constexpr double z95 = 1.959963984540054;
// A variant whose probability of being best reaches this is called the winner.
constexpr double decision_probability = 0.95;

json::object rate(std::int64_t successes, std::int64_t trials) {
  auto interval = wilson_interval(successes, trials);
  return {{"value", trials > 0 ? json::value(double(successes) / double(trials)) : json::value(nullptr)},
          {"interval", json::array{interval.low, interval.high}}};
}
}  // namespace

Interval wilson_interval(std::int64_t successes, std::int64_t trials) {
  if (trials <= 0) return {0, 1};
  double n = double(trials), p = double(successes) / n, z2 = z95 * z95;
  double centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  double half = z95 * std::sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n);
  return {std::max(0.0, centre - half), std::min(1.0, centre + half)};
}

std::vector<double> probability_best(const std::vector<VariantResults>& variants, int draws, std::uint64_t seed) {
  std::mt19937_64 engine(seed);
  // Beta(a, b) as X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b).
  std::vector<std::gamma_distribution<double>> successes, failures;
  for (const auto& v : variants) {
    auto converted = std::clamp<std::int64_t>(v.conversions, 0, std::max<std::int64_t>(v.sends, 0));
    successes.emplace_back(1.0 + double(converted), 1.0);
    failures.emplace_back(1.0 + double(std::max<std::int64_t>(v.sends, 0) - converted), 1.0);
  }
  std::vector<double> wins(variants.size(), 0.0);
  std::vector<double> draw(variants.size());
  for (int d = 0; d < draws; ++d) {
    for (std::size_t i = 0; i < variants.size(); ++i) {
      double x = successes[i](engine), y = failures[i](engine);
      draw[i] = x / (x + y);
    }
    wins[std::size_t(std::max_element(draw.begin(), draw.end()) - draw.begin())] += 1;
  }
  for (auto& w : wins) w /= draws;
  return wins;
}

json::object analyse(const std::vector<VariantResults>& variants) {
  auto best = probability_best(variants);
  std::int64_t conversions = 0, fewest_sends = variants.empty() ? 0 : INT64_MAX;
  for (const auto& v : variants) {
    conversions += v.conversions;
    fewest_sends = std::min(fewest_sends, v.sends);
  }
  bool enough = variants.size() >= 2 && fewest_sends >= min_sends_per_variant && conversions >= min_total_conversions;
  std::string reason;
  if (variants.size() < 2) reason = "an A/B test needs at least two variants";
  else if (!enough)
    reason = fmt::format("not enough data yet: each variant needs at least {} sends (the fewest has {}) and the variants "
                         "together at least {} conversions (they have {})",
                         min_sends_per_variant, fewest_sends, min_total_conversions, conversions);
  json::array out;
  std::size_t leader = 0;
  for (std::size_t i = 0; i < variants.size(); ++i) {
    const auto& v = variants[i];
    if (best[i] > best[leader]) leader = i;
    out.push_back(json::object{{"variant", std::int64_t(i)},
                               {"sends", v.sends},
                               {"opens", v.opens},
                               {"clicks", v.clicks},
                               {"conversions", v.conversions},
                               {"open_rate", rate(v.opens, v.sends)},
                               {"click_rate", rate(v.clicks, v.sends)},
                               {"conversion_rate", rate(v.conversions, v.sends)},
                               {"probability_best", best[i]}});
  }
  bool decided = enough && !variants.empty() && best[leader] >= decision_probability;
  if (enough)
    reason = decided ? fmt::format("variant {} is best with probability {:.3f}", leader, best[leader])
                     : fmt::format("no variant is best with probability {} or more yet (the leader, variant {}, has {:.3f})",
                                   decision_probability, leader, best[leader]);
  return {{"enough_data", enough},
          {"reason", reason},
          {"decided", decided},
          {"leader", variants.empty() ? json::value(nullptr) : json::value(std::int64_t(leader))},
          {"metric", "conversions per send"},
          {"variants", std::move(out)}};
}

}  // namespace de::agents::marketing
