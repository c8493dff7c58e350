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

// Each figure by what it counts, the word after it: "after 3 failed attempts" -> {"fail": "3"},
// "99.9%" -> {"%": "99.9"}.
std::unordered_map<std::string, std::string> figures_by_unit(std::string_view text) {
  std::unordered_map<std::string, std::string> out;
  auto words = words_of(text);
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (!words[i].number) continue;
    if (words[i].end < text.size() && text[words[i].end] == '%')
      out["%"] = words[i].lower;
    else if (i + 1 < words.size())
      out[stem(words[i + 1].lower)] = words[i].lower;
  }
  return out;
}

bool binding(std::string_view modal) { return modal == "shall" || modal == "must" || modal.find("to") != std::string_view::npos; }

bool contradicting(const RelationInput& x, const RelationInput& y) {
  const auto &a = *x.parts, &b = *y.parts;
  if (a.modal.empty() || b.modal.empty()) return false;
  if (a.negated != b.negated) return true;
  if (binding(a.modal) != binding(b.modal) && (a.modal == "may" || b.modal == "may")) return true;
  auto qa = figures_by_unit(x.text), qb = figures_by_unit(y.text);
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
  std::vector<std::vector<std::string>> stems(n);
  std::vector<std::string> subjects(n);
  for (std::size_t i = 0; i < n; ++i) {
    stems[i] = content_stems(requirements[i].text);
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
        bool same_subject = !subjects[i].empty() && subjects[i] == subjects[j];
        double overlap = jaccard(stems[i], stems[j]);
        if (same_subject && overlap >= 0.5 && contradicting(requirements[i], requirements[j])) {
          out.conflicts[i].push_back(j);
          out.conflicts[j].push_back(i);
        } else if (overlap >= 0.8) {
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
