#pragma once
// Prioritisation of analysed requirements (docs/product.md, "Prioritisation"): RICE (reach,
// impact, confidence, effort; score = R*I*C/E) and MoSCoW, each value with the reason it was
// given. The rules read the requirement itself: its modal words, stated numbers of users, its
// kind and category, the ambiguity findings, duplicates and conflicts, and signs of its size. A
// model's estimates may replace the rules' ones; a person's values replace both and are kept.
#include <boost/json/object.hpp>

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agents/product/analyzer.hpp"
#include "core/error.hpp"

namespace de::product {

inline constexpr std::array<std::string_view, 4> moscow_classes = {"must", "should", "could", "wont"};
// RICE's impact scale (Intercom's): minimal, low, medium, high, massive.
inline constexpr std::array<double, 5> impact_scale = {0.25, 0.5, 1, 2, 3};

// Values a person (or a model) gives; each one given replaces the rules' value.
struct PriorityValues {
  std::optional<double> reach, impact, confidence, effort;
  std::optional<std::string> moscow;
  bool empty() const { return !reach && !impact && !confidence && !effort && !moscow; }
  // `other`'s values over these.
  void overlay(const PriorityValues& other) {
    if (other.reach) reach = other.reach;
    if (other.impact) impact = other.impact;
    if (other.confidence) confidence = other.confidence;
    if (other.effort) effort = other.effort;
    if (other.moscow) moscow = other.moscow;
  }
};

struct PriorityReason {
  std::string factor;  // reach, impact, confidence, effort, moscow
  std::string why;
};

struct Priority {
  double reach = 0;       // people affected per quarter
  double impact = 1;      // one of impact_scale
  double confidence = 1;  // 0.1 to 1
  double effort = 1;      // person-months, at least 0.25
  double score = 0;       // reach * impact * confidence / effort
  std::string moscow;
  std::string method = "rules";      // rules, model; "person" when a person set every value
  std::vector<std::string> overridden;  // the factors a person set
  std::vector<PriorityReason> reasons;
};

// The rules' priority of each analysed requirement (same order). MoSCoW without an explicit
// word depends on the other requirements' scores, so the whole document is prioritised at once.
std::vector<Priority> prioritize(const std::vector<AnalyzedRequirement>& items);

// Replaces the values given in `values` (tagging the reasons with `source`), then recomputes the
// score. `person`: the values are a person's and are listed in `overridden`.
void apply_values(Priority& priority, const PriorityValues& values, std::string_view source, bool person);

// Reads {"reach","impact","confidence","effort","moscow"} (each optional; null clears nothing)
// into errors prefixed with `prefix`; impact must be on RICE's scale.
PriorityValues read_priority_values(const boost::json::object& object, const std::string& prefix,
                                    std::vector<core::FieldError>& errors);
boost::json::object to_json(const PriorityValues& values);

boost::json::object to_json(const Priority& priority);
// A stored priority (to_json's form) read back; nullopt when it is not one.
std::optional<Priority> priority_from_json(const boost::json::value& value);
// The values a person set in a stored priority (its `overridden` factors), to keep them when
// the requirement is analysed again.
PriorityValues person_values(const Priority& priority);

// What to prioritise: {"text"} (a document, as for the analysis) or {"requirements":[{"id",
// "text","priority"?}]}, where `priority` holds a person's values. The items of an analysis are
// taken as they are: their analysed fields are accepted and derived again.
struct PrioritizeRequest {
  std::vector<RequirementText> requirements;
  std::vector<PriorityValues> given;  // per requirement, a person's values (often none)
};
PrioritizeRequest read_prioritize_request(const boost::json::object& body);

// The analysis answer (analysis_json) with each item's `priority` and the summary's `by_moscow`.
boost::json::object prioritized_json(const std::vector<AnalyzedRequirement>& items, const std::vector<Priority>& priorities);

}  // namespace de::product
