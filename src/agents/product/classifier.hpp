#pragma once
// Functional vs non-functional, and the PROMISE NFR class of a non-functional requirement: two
// softmax (multinomial logistic regression) models over hashed word unigrams and bigrams plus
// linguistic cues (modal verbs, the verb after the modal, measurable quantities, behaviour verbs,
// quality-attribute cue words). Trained
// deterministically from labelled requirements (at start-up from the embedded PROMISE NFR file).
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace de::product {

// The PROMISE NFR classes, by name (the answer's `category`) and by the data set's code.
inline constexpr std::array<std::string_view, 11> nfr_categories = {
    "availability", "fault tolerance", "legal",       "look and feel", "maintainability", "operational",
    "performance",  "portability",     "scalability", "security",      "usability"};
inline constexpr std::array<std::string_view, 11> nfr_codes = {"A", "FT", "L", "LF", "MN", "O",
                                                               "PE", "PO", "SC", "SE", "US"};

struct LabelledRequirement {
  std::string project;
  std::string text;
  std::string label;  // "F" or an NFR code
};

// The rows of a `project_id,requirement_text,label` CSV (RFC 4180 quoting).
std::vector<LabelledRequirement> parse_labelled_csv(std::string_view csv);
// The embedded copy of PROMISE NFR (src/agents/product/data/promise_nfr.csv).
std::string_view promise_training_csv();

// The kind and category chosen, and every class's probability, so that a class chosen elsewhere
// (by a model) still gets the classifier's figure for it.
struct Classification {
  bool functional = true;
  std::size_t category = 0;  // index into nfr_categories (meaningful for non-functional)
  double functional_probability = 0;
  std::array<double, nfr_categories.size()> category_probabilities{};

  // The probability of the chosen kind, of the chosen category among the NFR classes, and the
  // kind's times (for a non-functional requirement) the category's.
  double kind_confidence() const { return functional ? functional_probability : 1 - functional_probability; }
  double category_confidence() const { return category_probabilities.at(category); }
  double confidence() const { return functional ? kind_confidence() : kind_confidence() * category_confidence(); }
};

// What leave-one-project-out on PROMISE NFR chooses (de-requirements-eval; its reported figures
// choose them again inside each fold, from the other projects only). The first step size of
// each model's stochastic gradient descent: small steps keep the weights of words that only
// some projects use small (an implicit regularisation), which is what carries over to projects
// never seen. And the probability of "functional" from which a requirement is read as
// functional: a project never seen has functional vocabulary no training project had, while
// the quality words carry over, so its functional requirements score lower than the training
// projects' did.
struct TrainingChoices {
  double kind_rate = 0.01;
  double category_rate = 0.03;
  double functional_threshold = 0.375;
};

class RequirementClassifier {
 public:
  explicit RequirementClassifier(std::span<const LabelledRequirement> training, TrainingChoices choices = {});
  Classification classify(std::string_view text) const;

  // Weights of `classes` outputs over the hashed feature buckets seen in training.
  struct Softmax {
    std::size_t classes = 0;
    std::vector<std::uint32_t> buckets;  // sorted
    std::vector<float> weights;          // position of the bucket in `buckets` * classes + class
    std::vector<float> bias;
    std::vector<double> probabilities(std::span<const std::uint32_t> features) const;
  };

 private:
  Softmax kind_;      // 0 functional, 1 non-functional
  Softmax category_;  // index into nfr_categories
  double functional_threshold_;
};

// The hashed features of a requirement, sorted and unique (exposed for tests).
std::vector<std::uint32_t> requirement_features(std::string_view text);

}  // namespace de::product
