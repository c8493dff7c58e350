// Evaluation of the budget optimiser (docs/marketing.md, "How good are the suggestions"), run
// by script/eval-budget on the Facebook ad data set (KAG_conversion_data.csv): the ads are
// split at random into halves; response curves fitted on one half (the optimiser's code,
// agents/marketing/response.cpp) decide the split of a budget over segments, and curves fitted
// on the other half score it, against an even split and against spend in proportion to the
// current spend. 100 splits.
//
//   eval-budget <KAG_conversion_data.csv> [campaign-age-gender | interest]
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <sstream>

#include "agents/marketing/response.hpp"
#include "core/csv.hpp"

using namespace de;
using namespace de::agents::marketing;

namespace {
constexpr int splits = 100;
constexpr double cents = 100;

struct Ad {
  std::size_t segment;
  Point point;  // spend in USD, Total_Conversion
};

std::vector<Ad> load(const std::string& path, const std::string& segmentation, std::vector<std::string>& names) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();
  auto data = text.str();
  core::CsvReader reader(data);
  if (reader.error()) throw std::runtime_error(reader.error()->message);
  auto column = [&](const char* name) {
    auto it = std::find(reader.header().begin(), reader.header().end(), name);
    if (it == reader.header().end()) throw std::runtime_error(std::string("no column ") + name);
    return std::size_t(it - reader.header().begin());
  };
  auto campaign = column("xyz_campaign_id"), age = column("age"), gender = column("gender"),
       interest = column("interest"), spent = column("Spent"), conversions = column("Total_Conversion");
  std::map<std::string, std::size_t> index;
  std::vector<Ad> ads;
  std::vector<std::string> f;
  while (reader.next(f)) {
    auto key = segmentation == "interest" ? "interest " + f[interest] : f[campaign] + " " + f[age] + " " + f[gender];
    auto [it, fresh] = index.emplace(key, names.size());
    if (fresh) names.push_back(key);
    ads.push_back({it->second, {std::stod(f[spent]), std::stod(f[conversions])}});
  }
  return ads;
}

double score(const std::vector<ItemCurve>& curves, const std::vector<std::int64_t>& spend) {
  double total = 0;
  for (std::size_t i = 0; i < curves.size(); ++i) total += curves[i].curve.at(double(spend[i]) / cents);
  return total;
}

struct Summary {
  double median, low, high, better;
};

Summary summarise(std::vector<double> uplifts) {
  double better = 0;
  for (double u : uplifts) better += u > 0;
  auto [low, high] = interval(uplifts, 0.05, 0.95);
  auto [median, unused] = interval(uplifts, 0.5, 0.5);
  return {median, low, high, better / double(uplifts.size())};
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: eval-budget <KAG_conversion_data.csv> [campaign-age-gender | interest]\n";
    return 2;
  }
  std::string segmentation = argc > 2 ? argv[2] : "campaign-age-gender";
  std::vector<std::string> names;
  auto ads = load(argv[1], segmentation, names);
  const std::size_t n = names.size();
  std::vector<double> vs_even, vs_current, optimised_total;
  std::size_t pooled = 0;
  for (int split = 0; split < splits; ++split) {
    std::mt19937_64 random(std::uint64_t(split) + 1);
    std::bernoulli_distribution coin(0.5);
    std::vector<std::vector<Point>> fit(n), check(n);
    for (const auto& ad : ads) (coin(random) ? fit : check)[ad.segment].push_back(ad.point);
    auto fitted = fit_items(fit, 0, std::uint64_t(split));
    auto held_out = fit_items(check, 0, std::uint64_t(split));
    // The budget: each segment's mean spend per ad, summed (the current allocation); the
    // optimiser may not go past the largest spend it saw in a segment.
    std::vector<std::int64_t> current(n), even(n);
    std::vector<Bounds> bounds(n);
    std::vector<Curve> curves;
    std::int64_t budget = 0;
    for (std::size_t i = 0; i < n; ++i) {
      double sum = 0, largest = 0;
      for (const auto& p : fit[i]) sum += p.spend, largest = std::max(largest, p.spend);
      current[i] = fit[i].empty() ? 0 : std::llround(sum / double(fit[i].size()) * cents);
      bounds[i].max = std::llround(std::ceil(largest * cents));
      budget += current[i];
      curves.push_back(fitted[i].curve);
      pooled += fitted[i].source != CurveSource::own;
    }
    for (std::size_t i = 0; i < n; ++i) even[i] = budget / std::int64_t(n) + (std::int64_t(i) < budget % std::int64_t(n));
    auto optimised = allocate(curves, budget, bounds, cents);
    double o = score(held_out, optimised);
    vs_even.push_back(o / score(held_out, even) - 1);
    vs_current.push_back(o / score(held_out, current) - 1);
    optimised_total.push_back(o);
  }
  auto e = summarise(vs_even), c = summarise(vs_current);
  fmt::print("Segments: {} ({}), {} ads; {} splits; {:.1f}% of the fitted curves were pooled (too few ads).\n\n",
             n, segmentation, ads.size(), splits, 100.0 * double(pooled) / double(n * splits));
  fmt::print("| against | median uplift in conversions | 90% of splits between | splits where the optimiser is better |\n");
  fmt::print("|---|---|---|---|\n");
  fmt::print("| even split | {:+.1f}% | {:+.1f}% to {:+.1f}% | {:.0f}% |\n", 100 * e.median, 100 * e.low, 100 * e.high, 100 * e.better);
  fmt::print("| proportional to current spend | {:+.1f}% | {:+.1f}% to {:+.1f}% | {:.0f}% |\n", 100 * c.median, 100 * c.low,
             100 * c.high, 100 * c.better);
  return 0;
}
