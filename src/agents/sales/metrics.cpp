#include "agents/sales/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace de::agents::sales {

namespace json = boost::json;

double roc_auc(std::span<const double> scores, std::span<const int> labels) {
  std::vector<std::size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](auto a, auto b) { return scores[a] < scores[b]; });
  // Mann-Whitney U: the sum of the positives' ranks (tied scores share their mean rank).
  double rank_sum = 0;
  std::size_t positives = 0;
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    while (j < order.size() && scores[order[j]] == scores[order[i]]) ++j;
    double mean_rank = (double(i) + double(j - 1)) / 2.0 + 1.0;
    for (std::size_t k = i; k < j; ++k)
      if (labels[order[k]]) rank_sum += mean_rank, ++positives;
    i = j;
  }
  std::size_t negatives = scores.size() - positives;
  if (positives == 0 || negatives == 0) return 0.5;
  return (rank_sum - double(positives) * double(positives + 1) / 2.0) / (double(positives) * double(negatives));
}

double brier_score(std::span<const double> probabilities, std::span<const int> labels) {
  if (probabilities.empty()) return 0;
  double sum = 0;
  for (std::size_t i = 0; i < probabilities.size(); ++i) sum += std::pow(probabilities[i] - labels[i], 2);
  return sum / double(probabilities.size());
}

double best_f1_threshold(std::span<const double> probabilities, std::span<const int> labels) {
  std::vector<std::size_t> order(probabilities.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](auto a, auto b) { return probabilities[a] > probabilities[b]; });
  std::size_t positives = std::count(labels.begin(), labels.end(), 1);
  double best = 0, threshold = 0.5;
  std::size_t true_positives = 0;
  for (std::size_t i = 0; i < order.size(); ++i) {
    true_positives += labels[order[i]];
    // Only where the next probability differs: a threshold cannot split tied leads.
    if (i + 1 < order.size() && probabilities[order[i + 1]] == probabilities[order[i]]) continue;
    double f1 = positives ? 2.0 * double(true_positives) / double(i + 1 + positives) : 0;
    if (f1 > best) best = f1, threshold = probabilities[order[i]];
  }
  return threshold;
}

Evaluation evaluate(std::span<const double> p, std::span<const int> labels, double threshold) {
  Evaluation e;
  e.rows = p.size();
  e.threshold = threshold;
  std::size_t tp = 0, fp = 0, tn = 0, fn = 0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    bool predicted = p[i] >= threshold;
    e.positives += labels[i];
    (predicted ? (labels[i] ? tp : fp) : (labels[i] ? fn : tn))++;
  }
  e.roc_auc = roc_auc(p, labels);
  e.brier = brier_score(p, labels);
  if (!p.empty()) e.accuracy = double(tp + tn) / double(p.size());
  e.precision = tp + fp ? double(tp) / double(tp + fp) : 0;
  e.recall = tp + fn ? double(tp) / double(tp + fn) : 0;
  e.f1 = e.precision + e.recall > 0 ? 2 * e.precision * e.recall / (e.precision + e.recall) : 0;
  std::vector<CalibrationBin> bins(10);
  std::vector<double> observed(10, 0);
  for (std::size_t b = 0; b < bins.size(); ++b) bins[b].low = double(b) / 10, bins[b].high = double(b + 1) / 10;
  for (std::size_t i = 0; i < p.size(); ++i) {
    auto b = std::min<std::size_t>(9, std::size_t(std::max(0.0, p[i]) * 10));
    ++bins[b].count;
    bins[b].mean_predicted += p[i];
    observed[b] += labels[i];
  }
  for (std::size_t b = 0; b < bins.size(); ++b) {
    if (!bins[b].count) continue;
    bins[b].mean_predicted /= double(bins[b].count);
    bins[b].observed_rate = observed[b] / double(bins[b].count);
    e.calibration.push_back(bins[b]);
  }
  return e;
}

json::object Evaluation::to_json() const {
  json::array table;
  for (const auto& b : calibration) {
    json::object o;
    o["low"] = b.low;
    o["high"] = b.high;
    o["count"] = b.count;
    o["mean_predicted"] = b.mean_predicted;
    o["observed_rate"] = b.observed_rate;
    table.push_back(std::move(o));
  }
  json::object o;
  o["rows"] = rows;
  o["positives"] = positives;
  o["roc_auc"] = roc_auc;
  o["accuracy"] = accuracy;
  o["precision"] = precision;
  o["recall"] = recall;
  o["f1"] = f1;
  o["threshold"] = threshold;
  o["brier"] = brier;
  o["calibration"] = std::move(table);
  return o;
}

double Platt::operator()(double margin) const { return 1.0 / (1.0 + std::exp(-(a * margin + b))); }

Platt fit_platt(std::span<const double> margins, std::span<const int> labels) {
  // Newton's method on the log-loss, with Platt's targets (N+ + 1)/(N+ + 2) and 1/(N- + 2).
  double positives = double(std::count(labels.begin(), labels.end(), 1));
  double negatives = double(labels.size()) - positives;
  double hi = (positives + 1) / (positives + 2), lo = 1 / (negatives + 2);
  Platt f{1, 0};
  for (int iteration = 0; iteration < 100; ++iteration) {
    double ga = 0, gb = 0, haa = 1e-9, hab = 0, hbb = 1e-9;
    for (std::size_t i = 0; i < margins.size(); ++i) {
      double p = f(margins[i]), t = labels[i] ? hi : lo, d = p - t, w = p * (1 - p);
      ga += d * margins[i], gb += d;
      haa += w * margins[i] * margins[i], hab += w * margins[i], hbb += w;
    }
    double det = haa * hbb - hab * hab;
    if (std::abs(det) < 1e-12) break;
    double da = (hbb * ga - hab * gb) / det, db = (haa * gb - hab * ga) / det;
    f.a -= da, f.b -= db;
    if (std::abs(da) < 1e-10 && std::abs(db) < 1e-10) break;
  }
  return f;
}

}  // namespace de::agents::sales
