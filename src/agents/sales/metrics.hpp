#pragma once
// How good a lead model's probabilities are: ranking (ROC-AUC), decisions at a threshold,
// calibration (Brier score, a reliability table), and the Platt scaling that calibrates them.
#include <boost/json/object.hpp>

#include <span>
#include <vector>

namespace de::agents::sales {

// Area under the ROC curve (ties count half); 0.5 when one class is absent.
double roc_auc(std::span<const double> scores, std::span<const int> labels);
// Mean squared difference between probability and outcome.
double brier_score(std::span<const double> probabilities, std::span<const int> labels);
// The threshold on `probabilities` with the highest F1 (predicted converted when p >= it).
double best_f1_threshold(std::span<const double> probabilities, std::span<const int> labels);

struct CalibrationBin {
  double low = 0, high = 0;    // the bin's probability range
  std::size_t count = 0;
  double mean_predicted = 0, observed_rate = 0;
};

struct Evaluation {
  std::size_t rows = 0, positives = 0;
  double roc_auc = 0.5, accuracy = 0, precision = 0, recall = 0, f1 = 0, brier = 0, threshold = 0.5;
  std::vector<CalibrationBin> calibration;  // ten equal-width bins (empty ones left out)
  boost::json::object to_json() const;
};
Evaluation evaluate(std::span<const double> probabilities, std::span<const int> labels, double threshold);

// Platt scaling: p = 1 / (1 + exp(-(a * margin + b))), a and b fitted by maximum likelihood
// (with Platt's smoothed targets) on margins the model did not learn from.
struct Platt {
  double a = 1, b = 0;
  double operator()(double margin) const;
};
Platt fit_platt(std::span<const double> margins, std::span<const int> labels);

}  // namespace de::agents::sales
