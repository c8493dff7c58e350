#include "agents/sales/lead_model.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <random>

#include "agents/sales/xgboost_library.hpp"
#include "core/error.hpp"
#include "core/json.hpp"

namespace de::agents::sales {

namespace json = boost::json;

namespace {
constexpr std::size_t least_rows = 50, least_of_each = 10;
constexpr int most_rounds = 1000, patience = 50;
constexpr std::size_t factors_each_way = 5;
constexpr float missing = std::numeric_limits<float>::quiet_NaN();

void check(int rc, const char* what) {
  if (rc != 0) throw core::Error(core::ErrorKind::internal, std::string(what) + ": " + xgboost().get_last_error());
}

// A DMatrix that frees itself.
struct Matrix {
  DMatrixHandle handle = nullptr;
  Matrix(const std::vector<float>& features, std::size_t rows, std::size_t width) {
    check(xgboost().dmatrix_create_from_mat(features.data(), rows, width, missing, &handle), "XGDMatrixCreateFromMat");
  }
  Matrix(const Matrix&) = delete;
  Matrix& operator=(const Matrix&) = delete;
  ~Matrix() { xgboost().dmatrix_free(handle); }
};

struct Split {
  std::vector<std::size_t> fit, validation, holdout;
};

// Stratified: each outcome's rows are shuffled, then dealt in the same proportions.
Split stratified_split(std::span<const TrainingRow> rows, double holdout, std::uint64_t seed) {
  std::mt19937_64 random(seed);
  Split s;
  for (bool outcome : {true, false}) {
    std::vector<std::size_t> group;
    for (std::size_t i = 0; i < rows.size(); ++i)
      if (rows[i].converted == outcome) group.push_back(i);
    std::shuffle(group.begin(), group.end(), random);
    auto held = std::size_t(std::round(double(group.size()) * holdout));
    // Of the rest, a sixth checks when to stop adding trees and fits the calibration.
    auto validation = std::size_t(std::round(double(group.size() - held) / 6.0));
    s.holdout.insert(s.holdout.end(), group.begin(), group.begin() + std::ptrdiff_t(held));
    s.validation.insert(s.validation.end(), group.begin() + std::ptrdiff_t(held),
                        group.begin() + std::ptrdiff_t(held + validation));
    s.fit.insert(s.fit.end(), group.begin() + std::ptrdiff_t(held + validation), group.end());
  }
  return s;
}

std::vector<float> encode(const FeatureSpec& spec, std::span<const json::object* const> rows) {
  std::vector<float> out(rows.size() * spec.width());
  for (std::size_t i = 0; i < rows.size(); ++i) spec.encode(*rows[i], out.data() + i * spec.width());
  return out;
}

std::vector<const json::object*> pick(std::span<const TrainingRow> rows, const std::vector<std::size_t>& indexes) {
  std::vector<const json::object*> out;
  for (auto i : indexes) out.push_back(rows[i].attributes);
  return out;
}

std::vector<int> labels_of(std::span<const TrainingRow> rows, const std::vector<std::size_t>& indexes) {
  std::vector<int> out;
  for (auto i : indexes) out.push_back(rows[i].converted);
  return out;
}

// The value after "logloss:" in XGBoost's evaluation line ("[12]\tvalidation-logloss:0.2812").
double logloss_in(const char* line) {
  std::string_view text(line);
  auto at = text.rfind("logloss:");
  return at == std::string_view::npos ? 0 : std::atof(line + at + 8);
}

// The probability at the `share` quantile from the top.
double top_share_cut(std::vector<double> probabilities, double share) {
  std::sort(probabilities.begin(), probabilities.end(), std::greater<>());
  auto index = std::min(probabilities.size() - 1, std::size_t(share * double(probabilities.size())));
  return probabilities[index];
}
}  // namespace

char grade_of(double probability, const double (&cuts)[3]) {
  if (probability >= cuts[0]) return 'A';
  if (probability >= cuts[1]) return 'B';
  if (probability >= cuts[2]) return 'C';
  return 'D';
}

LeadModel::~LeadModel() {
  if (booster_) xgboost().booster_free(booster_);
}

std::shared_ptr<LeadModel> LeadModel::train(std::span<const TrainingRow> rows, const TrainOptions& options) {
  std::size_t positives = std::count_if(rows.begin(), rows.end(), [](const auto& r) { return r.converted; });
  std::size_t negatives = rows.size() - positives;
  if (rows.size() < least_rows || positives < least_of_each || negatives < least_of_each)
    throw core::Error(core::ErrorKind::validation,
                      "training needs at least " + std::to_string(least_rows) + " leads with a known outcome, " +
                          std::to_string(least_of_each) + " converted and " + std::to_string(least_of_each) +
                          " lost; there are " + std::to_string(positives) + " converted and " +
                          std::to_string(negatives) + " lost");
  auto split = stratified_split(rows, options.holdout, options.seed);
  std::shared_ptr<LeadModel> model(new LeadModel());
  // Columns are learnt from the rows the trees learn from (no outcome is read for it).
  std::vector<std::size_t> learning = split.fit;
  learning.insert(learning.end(), split.validation.begin(), split.validation.end());
  auto learning_rows = pick(rows, learning);
  model->spec_ = FeatureSpec::learn(learning_rows, options.exclude);
  if (model->spec_.width() == 0)
    throw core::Error(core::ErrorKind::validation, "no attribute can be used as a feature: every column is excluded, "
                                                   "empty, constant or identifier-like");
  auto width = model->spec_.width();
  auto fit_rows = pick(rows, split.fit), validation_rows = pick(rows, split.validation),
       holdout_rows = pick(rows, split.holdout);
  auto fit_labels = labels_of(rows, split.fit), validation_labels = labels_of(rows, split.validation),
       holdout_labels = labels_of(rows, split.holdout);
  auto fit_features = encode(model->spec_, fit_rows), validation_features = encode(model->spec_, validation_rows);
  Matrix fit(fit_features, fit_rows.size(), width), validation(validation_features, validation_rows.size(), width);
  std::vector<float> fit_label_floats(fit_labels.begin(), fit_labels.end()),
      validation_label_floats(validation_labels.begin(), validation_labels.end());
  const auto& xgb = xgboost();
  check(xgb.dmatrix_set_float_info(fit.handle, "label", fit_label_floats.data(), fit_label_floats.size()), "label");
  check(xgb.dmatrix_set_float_info(validation.handle, "label", validation_label_floats.data(),
                                   validation_label_floats.size()),
        "label");

  DMatrixHandle both[] = {fit.handle, validation.handle};
  BoosterHandle booster = nullptr;
  check(xgb.booster_create(both, 2, &booster), "XGBoosterCreate");
  std::unique_ptr<void, int (*)(BoosterHandle)> owned(booster, xgb.booster_free);
  auto seed = std::to_string(options.seed % 1000000), threads = std::to_string(std::max(1, options.threads));
  const std::pair<const char*, const char*> parameters[] = {
      {"objective", "binary:logistic"}, {"eval_metric", "logloss"}, {"tree_method", "hist"}, {"eta", "0.05"},
      {"max_depth", "5"}, {"min_child_weight", "3"}, {"subsample", "0.8"}, {"colsample_bytree", "0.8"},
      {"lambda", "1"}, {"max_bin", "256"}, {"seed", seed.c_str()}, {"nthread", threads.c_str()}, {"verbosity", "0"}};
  for (const auto& [name, value] : parameters) check(xgb.booster_set_param(booster, name, value), name);

  // Trees are added while the validation log-loss still falls (then the best count is kept):
  // smoother than the AUC on a small validation set, so it stops less by chance.
  DMatrixHandle watched[] = {validation.handle};
  const char* names[] = {"validation"};
  double best_loss = 1e300;
  int best_round = 0;
  for (int round = 0; round < most_rounds && round - best_round <= patience; ++round) {
    check(xgb.booster_update_one_iter(booster, round, fit.handle), "XGBoosterUpdateOneIter");
    const char* line = nullptr;
    check(xgb.booster_eval_one_iter(booster, round, watched, names, 1, &line), "XGBoosterEvalOneIter");
    if (double loss = logloss_in(line); loss < best_loss) best_loss = loss, best_round = round;
  }
  BoosterHandle sliced = nullptr;
  check(xgb.booster_slice(booster, 0, best_round + 1, 1, &sliced), "XGBoosterSlice");
  model->booster_ = sliced;
  model->trees_count_ = std::size_t(best_round + 1);
  check(xgb.booster_set_param(sliced, "nthread", threads.c_str()), "nthread");

  auto as_doubles = [](const std::vector<float>& v) { return std::vector<double>(v.begin(), v.end()); };
  auto validation_margins = as_doubles(model->margins(validation_features, validation_rows.size()));
  model->platt_ = fit_platt(validation_margins, validation_labels);
  std::vector<double> validation_p;
  for (double m : validation_margins) validation_p.push_back(model->platt_(m));
  model->threshold_ = best_f1_threshold(validation_p, validation_labels);
  // Grades by rank among the validation leads: A the top 10 %, B the next 20 %, C the next 30 %.
  model->grade_cuts_[0] = top_share_cut(validation_p, 0.10);
  model->grade_cuts_[1] = top_share_cut(validation_p, 0.30);
  model->grade_cuts_[2] = top_share_cut(validation_p, 0.60);

  auto holdout_features = encode(model->spec_, holdout_rows);
  std::vector<double> holdout_p;
  for (double m : model->margins(holdout_features, holdout_rows.size())) holdout_p.push_back(model->platt_(m));
  model->evaluation_ = evaluate(holdout_p, holdout_labels, model->threshold_);
  model->training_rows_ = fit_rows.size();
  model->validation_rows_ = validation_rows.size();
  model->compute_importance();
  return model;
}

std::vector<float> LeadModel::raw_predict(const std::vector<float>& features, std::size_t n, int type) const {
  if (n == 0) return {};
  Matrix m(features, n, spec_.width());
  std::lock_guard lock(mutex_);
  const bst_ulong* shape = nullptr;
  bst_ulong dimension = 0;
  const float* result = nullptr;
  auto config = R"({"type":)" + std::to_string(type) +
                R"(,"training":false,"iteration_begin":0,"iteration_end":0,"strict_shape":false})";
  check(xgboost().booster_predict_from_dmatrix(booster_, m.handle, config.c_str(), &shape, &dimension, &result),
        "XGBoosterPredictFromDMatrix");
  std::size_t size = 1;
  for (bst_ulong i = 0; i < dimension; ++i) size *= std::size_t(shape[i]);
  return std::vector<float>(result, result + size);
}

std::vector<float> LeadModel::margins(const std::vector<float>& features, std::size_t n) const {
  return raw_predict(features, n, 1);
}

std::vector<float> LeadModel::contributions(const std::vector<float>& features, std::size_t n) const {
  return raw_predict(features, n, 3);  // approximate (Saabas) contributions: docs/sales.md
}

std::vector<Prediction> LeadModel::predict(std::span<const json::object* const> rows, bool explain) const {
  auto features = encode(spec_, rows);
  auto m = margins(features, rows.size());
  std::vector<Prediction> out(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    auto& p = out[i];
    p.probability = platt_(m[i]);
    p.score = int(std::lround(p.probability * 100));
    p.grade = grade_of(p.probability, grade_cuts_);
    p.converted = p.probability >= threshold_;
  }
  if (!explain) return out;
  auto contributions = this->contributions(features, rows.size());
  const auto& columns = spec_.columns();
  std::vector<double> by_column(columns.size());
  std::vector<std::size_t> order(columns.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    std::fill(by_column.begin(), by_column.end(), 0.0);
    const float* c = contributions.data() + i * (spec_.width() + 1);
    // SHAP values add up: a column's part is the sum of its features' parts, in the
    // calibrated log-odds (the calibration scales them by a).
    for (std::size_t f = 0; f < spec_.width(); ++f) by_column[spec_.feature_column()[f]] += double(c[f]) * platt_.a;
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](auto a, auto b) { return by_column[a] > by_column[b]; });
    auto add = [&](std::size_t k) {
      const auto* value = rows[i]->if_contains(columns[k].name);
      out[i].factors.push_back({columns[k].name, value ? *value : json::value(nullptr), by_column[k], {}});
    };
    for (std::size_t k = 0; k < order.size() && k < factors_each_way && by_column[order[k]] > 0; ++k) add(order[k]);
    for (std::size_t k = 0; k < order.size() && k < factors_each_way && by_column[order[order.size() - 1 - k]] < 0; ++k)
      add(order[order.size() - 1 - k]);
  }
  return out;
}

void LeadModel::compute_importance() {
  const char* config = R"({"importance_type":"total_gain"})";
  bst_ulong count = 0, dimension = 0;
  const char** names = nullptr;
  const bst_ulong* shape = nullptr;
  const float* scores = nullptr;
  check(xgboost().booster_feature_score(booster_, config, &count, &names, &dimension, &shape, &scores),
        "XGBoosterFeatureScore");
  std::map<std::size_t, double> by_column;
  double total = 0;
  for (bst_ulong i = 0; i < count; ++i) {
    // Features without names are "f<index>".
    auto index = std::size_t(std::atol(names[i] + 1));
    if (index >= spec_.width()) continue;
    by_column[spec_.feature_column()[index]] += scores[i];
    total += scores[i];
  }
  importance_.clear();
  for (const auto& [column, gain] : by_column) importance_.emplace_back(spec_.columns()[column].name, total > 0 ? gain / total : 0);
  std::sort(importance_.begin(), importance_.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
}

std::string LeadModel::trees() const {
  bst_ulong length = 0;
  const char* bytes = nullptr;
  std::lock_guard lock(mutex_);
  check(xgboost().booster_save_model_to_buffer(booster_, R"({"format":"json"})", &length, &bytes),
        "XGBoosterSaveModelToBuffer");
  return std::string(bytes, length);
}

json::object LeadModel::metadata() const {
  json::object o;
  o["features"] = spec_.to_json();
  o["platt"] = json::object{{"a", platt_.a}, {"b", platt_.b}};
  o["threshold"] = threshold_;
  o["grade_cuts"] = json::array{grade_cuts_[0], grade_cuts_[1], grade_cuts_[2]};
  o["evaluation"] = evaluation_.to_json();
  json::array importance;
  for (const auto& [name, share] : importance_) importance.push_back(json::object{{"column", name}, {"share", share}});
  o["importance"] = std::move(importance);
  o["training_rows"] = training_rows_;
  o["validation_rows"] = validation_rows_;
  o["trees"] = trees_count_;
  return o;
}

std::shared_ptr<LeadModel> LeadModel::load(std::string_view trees, const json::object& metadata) {
  std::shared_ptr<LeadModel> model(new LeadModel());
  check(xgboost().booster_create(nullptr, 0, &model->booster_), "XGBoosterCreate");
  check(xgboost().booster_load_model_from_buffer(model->booster_, trees.data(), trees.size()),
        "XGBoosterLoadModelFromBuffer");
  model->spec_ = FeatureSpec::from_json(metadata.at("features"));
  model->platt_ = {metadata.at("platt").at("a").to_number<double>(), metadata.at("platt").at("b").to_number<double>()};
  model->threshold_ = metadata.at("threshold").to_number<double>();
  const auto& cuts = metadata.at("grade_cuts").as_array();
  for (std::size_t i = 0; i < 3; ++i) model->grade_cuts_[i] = cuts.at(i).to_number<double>();
  model->training_rows_ = std::size_t(metadata.at("training_rows").to_number<std::int64_t>());
  model->validation_rows_ = std::size_t(metadata.at("validation_rows").to_number<std::int64_t>());
  model->trees_count_ = std::size_t(metadata.at("trees").to_number<std::int64_t>());
  return model;
}

}  // namespace de::agents::sales
