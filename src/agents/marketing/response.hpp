#pragma once
// Response curves and the budget allocator (docs/marketing.md, "Campaigns and the budget
// optimiser"): how an item's outcome (conversions or revenue in a day) grows with its spend,
// fitted by least squares with diminishing returns, and the split of a budget that maximises
// the summed expected outcome.
#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <span>
#include <string_view>
#include <vector>

namespace de::agents::marketing {

// One observation: a day's spend (in currency units) and its outcome.
struct Point {
  double spend = 0, outcome = 0;
};

// outcome = base + scale * (1 - exp(-rate * spend)); with rate 0 the line base + scale * spend.
// `base` is what comes without spend (conversions the spend did not cause), `scale` the most
// that spend can add, `rate` how fast returns diminish.
struct Curve {
  double base = 0, scale = 0, rate = 0;
  double at(double spend) const;
  double marginal(double spend) const;  // d outcome / d spend
};

// Fewer observations with spend than this, and an item gets a pooled or linear curve.
constexpr std::size_t fewest_points = 5;

// The least-squares curve of `points` (base and scale non-negative); nullopt with fewer than
// `fewest_points` observations with spend.
std::optional<Curve> fit_curve(std::span<const Point> points);

enum class CurveSource {
  own,     // fitted on the item's own observations
  pooled,  // too few: the curve of every item's observations, scaled to the item's own level
  linear,  // too few overall: outcome per unit of spend, a straight line through 0
};
std::string_view to_string(CurveSource source);

struct ItemCurve {
  Curve curve;
  CurveSource source = CurveSource::own;
  std::size_t points = 0;  // the item's own observations
  double largest_spend = 0;  // the item's highest observed spend
  std::vector<Curve> resampled;  // bootstrap fits, for intervals
};

// Curves for items (each its observations), with `resamples` bootstrap refits each (the
// observations drawn again with replacement) from a generator seeded with `seed`.
std::vector<ItemCurve> fit_items(const std::vector<std::vector<Point>>& items, int resamples, std::uint64_t seed);

// What the allocator may give one item, in minor units of the currency.
struct Bounds {
  std::int64_t min = 0;
  std::int64_t max = std::numeric_limits<std::int64_t>::max();
};

// The split of `budget` (minor units) that maximises the summed outcome of `curves` (whose
// spend is in units of `minor_per_unit` minor units), each item within its bounds: the budget
// above the minimums goes in small increments, each to the item that gains most from it (for
// concave curves this equalises the marginal returns). The parts sum to `budget` exactly.
// Throws core::Error(validation) when the bounds cannot hold the budget.
std::vector<std::int64_t> allocate(std::span<const Curve> curves, std::int64_t budget, std::span<const Bounds> bounds,
                                   double minor_per_unit);

// The `low` and `high` quantiles (0..1) of `values` (sorted here).
std::pair<double, double> interval(std::vector<double> values, double low, double high);

}  // namespace de::agents::marketing
