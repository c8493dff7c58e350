#pragma once
// The lead model: gradient-boosted trees (XGBoost's C API) on the features of
// features.hpp, trained on the leads whose outcome is known, with probabilities calibrated by
// Platt scaling and an evaluation on a stratified hold-out the trees never saw.
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <memory>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "agents/sales/features.hpp"
#include "agents/sales/metrics.hpp"

namespace de::agents::sales {

struct TrainingRow {
  const boost::json::object* attributes = nullptr;
  bool converted = false;
};

struct TrainOptions {
  std::set<std::string> exclude;  // attribute names left out (leaks)
  std::uint64_t seed = 42;
  // XGBoost's OpenMP threads. One: on a small machine whose cores serve requests too, two
  // threads waited on each other at every step (45,000 leads took 1 to 22 s, one thread 1.1 to
  // 1.6 s; docs/performance.md).
  int threads = 1;
  double holdout = 0.2;  // share of the rows kept aside for the evaluation
};

// One attribute's part in a score.
struct Factor {
  std::string feature;
  boost::json::value value;  // the lead's value (null when it has none)
  double contribution = 0;   // in log-odds (model) or points (rules)
  std::string reason;        // rules: why the points
};

struct Prediction {
  double probability = 0;
  int score = 0;  // 0-100
  char grade = 'D';
  bool converted = false;  // the model's decision at its threshold
  std::vector<Factor> factors;  // the five that raise the score most, then the five that lower it most
};

class LeadModel {
 public:
  // Trains on `rows` (at least 50 with an outcome, 10 of each kind); throws core::Error
  // (validation) when the data cannot make a model.
  static std::shared_ptr<LeadModel> train(std::span<const TrainingRow> rows, const TrainOptions& options);
  // A stored model: its trees (XGBoost's JSON) and the rest of what `metadata()` gave.
  static std::shared_ptr<LeadModel> load(std::string_view trees, const boost::json::object& metadata);
  ~LeadModel();

  // Scores in order; with `explain`, each with its factors.
  std::vector<Prediction> predict(std::span<const boost::json::object* const> rows, bool explain) const;

  std::string trees() const;  // XGBoost's JSON model
  // Everything but the trees: the feature specification, calibration, threshold, grade cuts,
  // evaluation, importance, training sizes.
  boost::json::object metadata() const;

  const FeatureSpec& spec() const { return spec_; }
  const Evaluation& evaluation() const { return evaluation_; }
  // Each used column's share of the trees' total gain, largest first.
  const std::vector<std::pair<std::string, double>>& importance() const { return importance_; }

 private:
  LeadModel() = default;
  // XGBoost's prediction of `type` (1 margins, 3 approximate contributions: width + 1 per
  // row, the bias last) for `features` (n rows of spec_.width() floats).
  std::vector<float> raw_predict(const std::vector<float>& features, std::size_t n, int type) const;
  // Margins: log-odds before calibration.
  std::vector<float> margins(const std::vector<float>& features, std::size_t n) const;
  std::vector<float> contributions(const std::vector<float>& features, std::size_t n) const;
  void compute_importance();

  void* booster_ = nullptr;  // BoosterHandle
  mutable std::mutex mutex_;  // XGBoost's predictions on one booster, one at a time
  FeatureSpec spec_;
  Platt platt_;
  double threshold_ = 0.5;
  double grade_cuts_[3] = {0.75, 0.5, 0.25};  // A, B, C: the lowest probability of each grade
  Evaluation evaluation_;
  std::vector<std::pair<std::string, double>> importance_;
  std::size_t training_rows_ = 0, validation_rows_ = 0, trees_count_ = 0;
};

// Grade of a probability given the cuts of A, B and C.
char grade_of(double probability, const double (&cuts)[3]);

}  // namespace de::agents::sales
