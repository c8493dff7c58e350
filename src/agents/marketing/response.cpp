#include "agents/marketing/response.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <queue>

#include "core/error.hpp"

namespace de::agents::marketing {

namespace {
constexpr int rate_grid = 60;
constexpr double lowest_rate = 0.02, highest_rate = 50;  // times 1 / the largest spend
constexpr std::int64_t increments = 2000;  // the budget above the minimums goes in this many steps

struct Fit {
  Curve curve;
  double squared_error = 0;
};

// The least-squares base and scale for a fixed rate: a linear regression of the outcome on
// 1 - exp(-rate * spend), held to non-negative coefficients.
Fit fit_at_rate(std::span<const Point> points, double rate) {
  double n = double(points.size()), mean_g = 0, mean_y = 0;
  std::vector<double> g(points.size());
  for (std::size_t i = 0; i < points.size(); ++i) {
    g[i] = -std::expm1(-rate * points[i].spend);
    mean_g += g[i] / n;
    mean_y += points[i].outcome / n;
  }
  double var = 0, cov = 0, gg = 0, gy = 0;
  for (std::size_t i = 0; i < points.size(); ++i) {
    var += (g[i] - mean_g) * (g[i] - mean_g);
    cov += (g[i] - mean_g) * (points[i].outcome - mean_y);
    gg += g[i] * g[i];
    gy += g[i] * points[i].outcome;
  }
  Curve c{0, 0, rate};
  if (var > 1e-12) {
    c.scale = cov / var;
    c.base = mean_y - c.scale * mean_g;
  }
  if (c.base < 0) c = {0, gg > 0 ? gy / gg : 0, rate};
  if (c.scale < 0) c = {mean_y, 0, rate};
  Fit fit{c, 0};
  for (std::size_t i = 0; i < points.size(); ++i) {
    double e = points[i].outcome - (c.base + c.scale * g[i]);
    fit.squared_error += e * e;
  }
  return fit;
}

std::size_t with_spend(std::span<const Point> points) {
  return std::size_t(std::count_if(points.begin(), points.end(), [](const Point& p) { return p.spend > 0; }));
}

// The outcome per unit of spend: the line through 0 of the linear fallback.
Curve line_of(std::span<const Point> points) {
  double spend = 0, outcome = 0;
  for (const auto& p : points) {
    spend += p.spend;
    outcome += p.outcome;
  }
  return {0, spend > 0 ? outcome / spend : 0, 0};
}

// `pooled` scaled so that it predicts the item's own outcomes in sum; as is when the item has
// no day with spend (days without spend say nothing of what spend brings).
Curve scaled_to(const Curve& pooled, std::span<const Point> own) {
  double predicted = 0, observed = 0;
  for (const auto& p : own) {
    predicted += pooled.at(p.spend);
    observed += p.outcome;
  }
  double k = with_spend(own) == 0 || predicted <= 0 ? 1 : observed / predicted;
  return {pooled.base * k, pooled.scale * k, pooled.rate};
}

std::vector<Point> resample(std::span<const Point> points, std::mt19937_64& random) {
  std::vector<Point> out(points.size());
  if (points.empty()) return out;
  std::uniform_int_distribution<std::size_t> pick(0, points.size() - 1);
  for (auto& p : out) p = points[pick(random)];
  return out;
}
}  // namespace

double Curve::at(double spend) const {
  return rate > 0 ? base - scale * std::expm1(-rate * spend) : base + scale * spend;
}

double Curve::marginal(double spend) const { return rate > 0 ? scale * rate * std::exp(-rate * spend) : scale; }

std::optional<Curve> fit_curve(std::span<const Point> points) {
  if (with_spend(points) < fewest_points) return std::nullopt;
  double largest = 0;
  for (const auto& p : points) largest = std::max(largest, p.spend);
  // A profile search over the rate (base and scale are linear given it): a log-spaced grid,
  // then golden-section search between the neighbours of the grid's best.
  auto rate_at = [&](double step) {
    return lowest_rate / largest * std::pow(highest_rate / lowest_rate, step / (rate_grid - 1));
  };
  int best = 0;
  double best_error = std::numeric_limits<double>::infinity();
  for (int i = 0; i < rate_grid; ++i)
    if (double e = fit_at_rate(points, rate_at(i)).squared_error; e < best_error) {
      best_error = e;
      best = i;
    }
  double lo = std::max(0, best - 1), hi = std::min(rate_grid - 1, best + 1);
  const double golden = (std::sqrt(5.0) - 1) / 2;
  for (int i = 0; i < 40; ++i) {
    double a = hi - golden * (hi - lo), b = lo + golden * (hi - lo);
    if (fit_at_rate(points, rate_at(a)).squared_error < fit_at_rate(points, rate_at(b)).squared_error) hi = b;
    else lo = a;
  }
  auto refined = fit_at_rate(points, rate_at((lo + hi) / 2));
  return refined.squared_error <= best_error ? refined.curve : fit_at_rate(points, rate_at(best)).curve;
}

std::string_view to_string(CurveSource source) {
  switch (source) {
    case CurveSource::own: return "own";
    case CurveSource::pooled: return "pooled";
    case CurveSource::linear: return "linear";
  }
  return "own";
}

std::vector<ItemCurve> fit_items(const std::vector<std::vector<Point>>& items, int resamples, std::uint64_t seed) {
  std::vector<Point> pooled_points;
  for (const auto& points : items) pooled_points.insert(pooled_points.end(), points.begin(), points.end());
  auto pooled = fit_curve(pooled_points);
  std::mt19937_64 random(seed);
  // The pooled curve's own resamples, shared by the items that use it (made for the first).
  std::vector<Curve> pooled_resampled;

  std::vector<ItemCurve> out;
  for (const auto& points : items) {
    ItemCurve item;
    item.points = points.size();
    for (const auto& p : points) item.largest_spend = std::max(item.largest_spend, p.spend);
    if (auto own = fit_curve(points)) {
      item.curve = *own;
      for (int r = 0; r < resamples; ++r) item.resampled.push_back(fit_curve(resample(points, random)).value_or(*own));
    } else if (pooled) {
      item.source = CurveSource::pooled;
      item.curve = scaled_to(*pooled, points);
      if (pooled_resampled.empty())
        for (int r = 0; r < resamples; ++r)
          pooled_resampled.push_back(fit_curve(resample(pooled_points, random)).value_or(*pooled));
      for (int r = 0; r < resamples; ++r)
        item.resampled.push_back(scaled_to(pooled_resampled[std::size_t(r)], resample(points, random)));
    } else {
      item.source = CurveSource::linear;
      std::span<const Point> basis = with_spend(points) > 0 ? std::span<const Point>(points) : pooled_points;
      item.curve = line_of(basis);
      for (int r = 0; r < resamples; ++r) item.resampled.push_back(line_of(resample(basis, random)));
    }
    out.push_back(std::move(item));
  }
  return out;
}

std::vector<std::int64_t> allocate(std::span<const Curve> curves, std::int64_t budget, std::span<const Bounds> bounds,
                                   double minor_per_unit) {
  std::int64_t least = 0, most = 0;
  for (const auto& b : bounds) {
    if (b.min > b.max) throw core::validation_error("min", "is above max");
    least += b.min;
    most = b.max > std::numeric_limits<std::int64_t>::max() - most ? std::numeric_limits<std::int64_t>::max() : most + b.max;
  }
  if (least > budget) throw core::validation_error("budget", "is below the items' minimums together");
  if (most < budget) throw core::validation_error("max", "the items' maximums together are below the budget");
  std::vector<std::int64_t> spend;
  for (const auto& b : bounds) spend.push_back(b.min);
  std::int64_t remaining = budget - least;
  const std::int64_t step = std::max<std::int64_t>(1, remaining / increments);
  // The gain per minor unit of the next step of item i.
  auto gain = [&](std::size_t i) {
    auto d = std::min(step, bounds[i].max - spend[i]);
    const auto& c = curves[i];
    return (c.at(double(spend[i] + d) / minor_per_unit) - c.at(double(spend[i]) / minor_per_unit)) / double(d);
  };
  std::priority_queue<std::pair<double, std::size_t>> best;
  for (std::size_t i = 0; i < curves.size(); ++i)
    if (spend[i] < bounds[i].max) best.emplace(gain(i), i);
  while (remaining > 0) {
    auto i = best.top().second;
    best.pop();
    auto d = std::min({step, remaining, bounds[i].max - spend[i]});
    spend[i] += d;
    remaining -= d;
    if (spend[i] < bounds[i].max) best.emplace(gain(i), i);
  }
  return spend;
}

std::pair<double, double> interval(std::vector<double> values, double low, double high) {
  if (values.empty()) return {0, 0};
  std::sort(values.begin(), values.end());
  auto quantile = [&](double q) {
    double at = q * double(values.size() - 1);
    auto below = std::size_t(std::floor(at));
    auto above = std::min(values.size() - 1, below + 1);
    return values[below] + (at - double(below)) * (values[above] - values[below]);
  };
  return {quantile(low), quantile(high)};
}

}  // namespace de::agents::marketing
