#include "agents/product/relations.hpp"

#include <algorithm>
#include <unordered_map>

#include "agents/product/text.hpp"

namespace de::product {

namespace {

std::vector<std::string> content_stems(std::string_view text) {
  std::vector<std::string> out;
  for (const auto& w : words_of(text))
    if (!w.number && !is_stop_word(w.lower)) out.push_back(stem(w.lower));
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

double jaccard(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  if (a.empty() || b.empty()) return 0;
  std::size_t common = 0;
  for (std::size_t i = 0, j = 0; i < a.size() && j < b.size();) {
    if (a[i] == b[j]) {
      ++common, ++i, ++j;
    } else if (a[i] < b[j]) {
      ++i;
    } else {
      ++j;
    }
  }
  return double(common) / double(a.size() + b.size() - common);
}

// A quantity's unit and its figure: "60 seconds" -> {"second", "60"}.
std::unordered_map<std::string, std::string> quantities_by_unit(const RequirementParts& parts) {
  std::unordered_map<std::string, std::string> out;
  for (const auto& q : parts.quantities) {
    auto words = words_of(q);
    std::string unit = words.size() > 1 ? stem(words.back().lower) : "%";
    out[unit] = words.front().lower;
  }
  return out;
}

bool binding(std::string_view modal) { return modal == "shall" || modal == "must" || modal.find("to") != std::string_view::npos; }

bool contradicting(const RequirementParts& a, const RequirementParts& b) {
  if (a.modal.empty() || b.modal.empty()) return false;
  if (a.negated != b.negated) return true;
  if (binding(a.modal) != binding(b.modal) && (a.modal == "may" || b.modal == "may")) return true;
  auto qa = quantities_by_unit(a), qb = quantities_by_unit(b);
  for (const auto& [unit, figure] : qa)
    if (auto it = qb.find(unit); it != qb.end() && it->second != figure) return true;
  return false;
}

}  // namespace

Relations find_relations(const std::vector<RelationInput>& requirements) {
  const auto n = requirements.size();
  Relations out;
  out.duplicates.resize(n);
  out.conflicts.resize(n);
  std::vector<std::vector<std::string>> stems(n), actions(n);
  std::vector<std::string> subjects(n);
  for (std::size_t i = 0; i < n; ++i) {
    stems[i] = content_stems(requirements[i].text);
    actions[i] = content_stems(requirements[i].parts->action);
    subjects[i] = to_lower(trim(requirements[i].parts->subject));
  }
  // Candidate pairs share at least one content word: an inverted index keeps a large document
  // far from n^2 comparisons of unrelated requirements.
  std::unordered_map<std::string, std::vector<std::size_t>> by_stem;
  for (std::size_t i = 0; i < n; ++i)
    for (const auto& s : stems[i]) by_stem[s].push_back(i);
  std::vector<std::size_t> last_seen(n, n);
  for (std::size_t i = 0; i < n; ++i) {
    for (const auto& s : stems[i]) {
      const auto& list = by_stem[s];
      // A word in a large share of the requirements ("system", "user") is no evidence of a pair.
      if (list.size() > 50 && list.size() * 4 > n) continue;
      for (auto j : list) {
        if (j <= i || last_seen[j] == i) continue;
        last_seen[j] = i;
        const auto& a = *requirements[i].parts;
        const auto& b = *requirements[j].parts;
        bool same_subject = !subjects[i].empty() && subjects[i] == subjects[j];
        if (same_subject && jaccard(actions[i], actions[j]) >= 0.5 && contradicting(a, b)) {
          out.conflicts[i].push_back(j);
          out.conflicts[j].push_back(i);
        } else if (jaccard(stems[i], stems[j]) >= 0.8) {
          out.duplicates[i].push_back(j);
          out.duplicates[j].push_back(i);
        }
      }
    }
  }
  for (auto* lists : {&out.duplicates, &out.conflicts})
    for (auto& list : *lists) std::sort(list.begin(), list.end());
  return out;
}

}  // namespace de::product
