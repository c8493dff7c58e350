#pragma once
// RequirementAnalyzer, the core of the product-manager agent (docs/product.md): finds the
// requirements of a document, classifies each (functional or the PROMISE NFR class), flags
// ambiguities after ISO/IEC/IEEE 29148, writes a user story with acceptance criteria from the
// requirement's own parts, and flags near-duplicate and conflicting pairs. Offline and
// deterministic; the route and the agent task share it.
#include <boost/json/object.hpp>

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "agents/product/ambiguity.hpp"
#include "agents/product/classifier.hpp"
#include "agents/product/segmenter.hpp"
#include "agents/product/story.hpp"

namespace de::product {

inline constexpr std::size_t max_document_bytes = 1024 * 1024;
inline constexpr std::size_t max_requirements = 10000;

// What a model said of a requirement: "provider/model", the reason for the class it chose, and
// the requirement rewritten without its ambiguities (empty when it had none).
struct ModelReview {
  std::string model;
  std::string reason;
  std::string rewrite;
};

struct AnalyzedRequirement {
  RequirementText requirement;
  Classification classification;
  std::optional<ModelReview> reviewed_by_model;  // none: the built-in classifier chose the class
  std::vector<Ambiguity> ambiguities;
  Story story;
  std::vector<std::string> duplicates, conflicts;  // ids of the other requirements
};

class RequirementAnalyzer {
 public:
  explicit RequirementAnalyzer(std::span<const LabelledRequirement> training);
  // Trained once, on first use, from the embedded PROMISE NFR file; safe to share across threads.
  static const RequirementAnalyzer& shared();

  std::vector<AnalyzedRequirement> analyze(std::vector<RequirementText> requirements) const;
  const RequirementClassifier& classifier() const { return classifier_; }

 private:
  RequirementClassifier classifier_;
};

// A model's kind and category for an analysed requirement, and its rewrite: the confidence stays
// the classifier's probability of that class, and the user story is written again for the kind.
void apply_model_review(AnalyzedRequirement& item, bool functional, std::size_t category, ModelReview review);

// The requirements a request body asks to analyse: {"text"} (a document, split here) or
// {"requirements":[{"id","text"}]}, exactly one; throws a validation error naming the field.
std::vector<RequirementText> read_analysis_request(const boost::json::object& body);

// {"items":[...],"summary":{...}}; spans are in code points of each item's text.
boost::json::object analysis_json(const std::vector<AnalyzedRequirement>& items);

}  // namespace de::product
