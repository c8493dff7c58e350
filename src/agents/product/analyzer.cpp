#include "agents/product/analyzer.hpp"

#include <cmath>
#include <map>
#include <unordered_set>

#include "agents/product/relations.hpp"
#include "agents/product/text.hpp"
#include "core/json.hpp"

namespace de::product {

namespace json = boost::json;

RequirementAnalyzer::RequirementAnalyzer(std::span<const LabelledRequirement> training) : classifier_(training) {}

const RequirementAnalyzer& RequirementAnalyzer::shared() {
  static const RequirementAnalyzer analyzer(parse_labelled_csv(promise_training_csv()));
  return analyzer;
}

std::vector<AnalyzedRequirement> RequirementAnalyzer::analyze(std::vector<RequirementText> requirements) const {
  std::vector<AnalyzedRequirement> out;
  out.reserve(requirements.size());
  std::vector<RequirementParts> parts;
  parts.reserve(requirements.size());
  for (auto& r : requirements) {
    AnalyzedRequirement a;
    a.classification = classifier_.classify(r.text);
    a.ambiguities = find_ambiguities(r.text);
    parts.push_back(parts_of(r.text));
    a.story = story_of(parts.back(), a.classification.functional);
    a.requirement = std::move(r);
    out.push_back(std::move(a));
  }
  std::vector<RelationInput> relation_input;
  relation_input.reserve(out.size());
  for (std::size_t i = 0; i < out.size(); ++i) relation_input.push_back({out[i].requirement.text, &parts[i]});
  auto relations = find_relations(relation_input);
  for (std::size_t i = 0; i < out.size(); ++i) {
    for (auto j : relations.duplicates[i]) out[i].duplicates.push_back(out[j].requirement.id);
    for (auto j : relations.conflicts[i]) out[i].conflicts.push_back(out[j].requirement.id);
  }
  return out;
}

void apply_model_review(AnalyzedRequirement& item, bool functional, std::size_t category, ModelReview review) {
  bool kind_changed = functional != item.classification.functional;
  item.classification.functional = functional;
  item.classification.category = category;
  if (kind_changed) item.story = story_of(parts_of(item.requirement.text), functional);
  // A rewrite of a requirement the rules found clear is not asked for.
  if (item.ambiguities.empty()) review.rewrite.clear();
  item.reviewed_by_model = std::move(review);
}

std::vector<RequirementText> read_analysis_request(const json::object& body) {
  core::ObjectReader r(body);
  std::vector<RequirementText> requirements;
  // Both or neither: one error naming text, rather than each field's own checks.
  if (body.contains("text") == body.contains("requirements")) {
    r.error("text", "give exactly one of text or requirements");
    r.any("text", false);
    r.any("requirements", false);
    r.finish();
  }
  auto text = r.string("text", false, max_document_bytes);
  const auto* list = r.any("requirements", false);
  if (text && trim(*text).empty()) r.error("text", "must not be empty");
  if (text && r.errors().empty()) {
    requirements = find_requirements(*text);
    if (requirements.empty())
      r.error("text", "holds no requirement: no list item, table row, id-led line or sentence with shall/must/should/will");
  }
  if (list) {
    if (!list->is_array() || list->get_array().empty()) {
      r.error("requirements", "must be a non-empty array of {id, text}");
    } else if (list->get_array().size() > max_requirements) {
      r.error("requirements", "must have at most " + std::to_string(max_requirements) + " items");
    } else {
      std::unordered_set<std::string> ids;
      std::size_t total = 0;
      const auto& array = list->get_array();
      for (std::size_t i = 0; i < array.size(); ++i) {
        auto field = "requirements[" + std::to_string(i) + "]";
        if (!array[i].is_object()) {
          r.error(field, "must be an object {id, text}");
          continue;
        }
        core::ObjectReader item(array[i].get_object(), field);
        auto id = item.string("id", true, 200);
        auto item_text = item.string("text", true, max_document_bytes);
        if (item_text && trim(*item_text).empty()) item.error("text", "must not be empty");
        if (id && !ids.insert(*id).second) item.error("id", "is not unique: '" + *id + "' is used before");
        if (item_text) total += item_text->size();
        for (auto& e : item.take_errors()) r.errors().push_back(std::move(e));
        if (id && item_text) requirements.push_back({*id, *item_text});
      }
      if (total > max_document_bytes) r.error("requirements", "must hold at most 1 MiB of text in all");
    }
  }
  r.finish();
  return requirements;
}

namespace {

json::array string_array(const std::vector<std::string>& values) {
  json::array out;
  for (const auto& v : values) out.emplace_back(v);
  return out;
}

json::object classified_by_json(const AnalyzedRequirement& item) {
  if (!item.reviewed_by_model) return {{"method", "classifier"}};
  return {{"method", "model"}, {"model", item.reviewed_by_model->model}, {"reason", item.reviewed_by_model->reason}};
}

json::value rewrite_json(const AnalyzedRequirement& item) {
  if (!item.reviewed_by_model || item.reviewed_by_model->rewrite.empty()) return nullptr;
  return json::value(item.reviewed_by_model->rewrite);
}

}  // namespace

json::object analysis_json(const std::vector<AnalyzedRequirement>& items) {
  json::array out;
  std::size_t functional = 0, ambiguous = 0, duplicates = 0, conflicts = 0, by_model = 0;
  std::map<std::string, std::size_t> by_category, by_ambiguity;
  for (const auto& item : items) {
    const auto& text = item.requirement.text;
    const auto& c = item.classification;
    json::array ambiguities;
    for (const auto& a : item.ambiguities) {
      ambiguities.push_back(json::object{{"start", code_point_offset(text, a.begin)},
                                         {"end", code_point_offset(text, a.end)},
                                         {"text", a.text},
                                         {"type", a.type},
                                         {"reason", a.reason},
                                         {"suggestion", a.suggestion}});
      ++by_ambiguity[std::string(a.type)];
    }
    functional += c.functional;
    by_model += item.reviewed_by_model.has_value();
    if (!c.functional) ++by_category[std::string(nfr_categories[c.category])];
    ambiguous += !item.ambiguities.empty();
    duplicates += item.duplicates.size();
    conflicts += item.conflicts.size();
    out.push_back(json::object{
        {"id", item.requirement.id},
        {"text", text},
        {"kind", c.functional ? "functional" : "non_functional"},
        {"category", c.functional ? json::value(nullptr) : json::value(nfr_categories[c.category])},
        // Four digits: more would be noise, and the same figure survives a task's stored output.
        {"confidence", std::round(c.confidence() * 1e4) / 1e4},
        {"classified_by", classified_by_json(item)},
        {"ambiguities", std::move(ambiguities)},
        {"rewrite", rewrite_json(item)},
        {"user_story", item.story.user_story},
        {"acceptance_criteria", string_array(item.story.acceptance_criteria)},
        {"duplicates", string_array(item.duplicates)},
        {"conflicts", string_array(item.conflicts)}});
  }
  json::object categories, ambiguity_types;
  for (const auto& [name, n] : by_category) categories[name] = n;
  for (const auto& [name, n] : by_ambiguity) ambiguity_types[name] = n;
  return {{"items", std::move(out)},
          {"summary",
           {{"total", items.size()},
            {"functional", functional},
            {"non_functional", items.size() - functional},
            {"classified_by_model", by_model},
            {"by_category", std::move(categories)},
            {"with_ambiguities", ambiguous},
            {"ambiguities_by_type", std::move(ambiguity_types)},
            {"duplicate_pairs", duplicates / 2},
            {"conflict_pairs", conflicts / 2}}}};
}

}  // namespace de::product
