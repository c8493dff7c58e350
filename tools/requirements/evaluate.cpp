// Evaluates the requirement analyser on the shared data sets and prints Markdown for
// docs/product.md: leave-one-project-out on PROMISE NFR (kind and NFR class), vague words
// against ARTA DS1, pronouns against ReqEval. Usage: de-requirements-eval <data dir> [--errors]
// (--errors: also every ReqEval pronoun judged wrongly, with the finding's suggestion).
#include <algorithm>
#include <array>
#include <cmath>
#include <fstream>
#include <future>
#include <iomanip>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "agents/product/ambiguity.hpp"
#include "agents/product/classifier.hpp"
#include "agents/product/text.hpp"

using namespace de::product;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Score {
  double precision = 0, recall = 0, f1 = 0;
  std::size_t support = 0;
};

Score score(std::size_t tp, std::size_t fp, std::size_t fn) {
  Score s;
  s.precision = tp + fp ? double(tp) / double(tp + fp) : 0;
  s.recall = tp + fn ? double(tp) / double(tp + fn) : 0;
  s.f1 = s.precision + s.recall > 0 ? 2 * s.precision * s.recall / (s.precision + s.recall) : 0;
  s.support = tp + fn;
  return s;
}

std::string fixed(double v) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(3) << v;
  return s.str();
}

using Pairs = std::vector<std::pair<std::string, std::string>>;

// Precision, recall and F1 of each class in `classes` over pooled (gold, predicted) pairs.
std::vector<Score> class_scores(const std::vector<std::string>& classes, const Pairs& pairs) {
  std::vector<Score> out;
  for (const auto& c : classes) {
    std::size_t tp = 0, fp = 0, fn = 0;
    for (const auto& [gold, predicted] : pairs) {
      tp += gold == c && predicted == c;
      fp += gold != c && predicted == c;
      fn += gold == c && predicted != c;
    }
    out.push_back(score(tp, fp, fn));
  }
  return out;
}

// Per-class table and macro average from pooled (gold, predicted) pairs.
void report(const std::string& title, const std::vector<std::string>& classes, const Pairs& pairs) {
  std::cout << "\n### " << title << "\n\n| class | precision | recall | F1 | support |\n|---|---|---|---|---|\n";
  double macro_p = 0, macro_r = 0, macro_f = 0;
  auto scores = class_scores(classes, pairs);
  for (std::size_t i = 0; i < classes.size(); ++i) {
    const auto& s = scores[i];
    macro_p += s.precision, macro_r += s.recall, macro_f += s.f1;
    std::cout << "| " << classes[i] << " | " << fixed(s.precision) << " | " << fixed(s.recall) << " | " << fixed(s.f1)
              << " | " << s.support << " |\n";
  }
  auto n = double(classes.size());
  std::size_t correct = std::count_if(pairs.begin(), pairs.end(), [](const auto& p) { return p.first == p.second; });
  std::cout << "| **macro** | " << fixed(macro_p / n) << " | " << fixed(macro_r / n) << " | **" << fixed(macro_f / n)
            << "** | " << pairs.size() << " |\n\nAccuracy " << fixed(double(correct) / double(pairs.size())) << ".\n";
}

// Macro-F1 over the classes that occur in the gold labels (a fold may lack a rare class).
double macro_f1(const Pairs& pairs) {
  std::set<std::string> gold;
  for (const auto& p : pairs) gold.insert(p.first);
  auto scores = class_scores({gold.begin(), gold.end()}, pairs);
  double sum = 0;
  for (const auto& s : scores) sum += s.f1;
  return scores.empty() ? 0 : sum / double(scores.size());
}

void confusion(const std::vector<std::string>& classes, const Pairs& pairs) {
  std::cout << "\nConfusion (rows gold, columns predicted):\n\n| gold \\ predicted |";
  for (const auto& c : classes) std::cout << ' ' << c << " |";
  std::cout << "\n|---|";
  for (std::size_t i = 0; i < classes.size(); ++i) std::cout << "---|";
  std::cout << '\n';
  for (const auto& g : classes) {
    std::cout << "| " << g << " |";
    for (const auto& p : classes)
      std::cout << ' '
                << std::count_if(pairs.begin(), pairs.end(), [&](const auto& x) { return x.first == g && x.second == p; })
                << " |";
    std::cout << '\n';
  }
}

// The first step sizes the selection chooses from (TrainingChoices), for each model.
constexpr std::array<double, 4> rate_grid = {0.003, 0.01, 0.03, 0.1};

std::set<std::string> projects_of(const std::vector<LabelledRequirement>& rows) {
  std::set<std::string> projects;
  for (const auto& r : rows) projects.insert(r.project);
  return projects;
}

// Pooled predictions for the requirements of `held_out`, by a classifier trained on `training`:
// the kind of every requirement, the class of the gold non-functional ones.
struct Predictions {
  Pairs kinds, categories;
  std::vector<std::pair<bool, double>> functional;  // is it functional; the classifier's P(functional)
};

void classify_project(const RequirementClassifier& classifier, const std::vector<LabelledRequirement>& rows,
                      const std::string& held_out, Predictions& out) {
  for (const auto& r : rows) {
    if (r.project != held_out) continue;
    auto c = classifier.classify(r.text);
    out.kinds.emplace_back(r.label == "F" ? "F" : "NFR", c.functional ? "F" : "NFR");
    out.functional.emplace_back(r.label == "F", c.functional_probability);
    if (r.label != "F") out.categories.emplace_back(r.label, std::string(nfr_codes[c.category]));
  }
}

std::vector<LabelledRequirement> without_project(const std::vector<LabelledRequirement>& rows, const std::string& project) {
  std::vector<LabelledRequirement> out;
  for (const auto& r : rows)
    if (r.project != project) out.push_back(r);
  return out;
}

Predictions leave_one_project_out(const std::vector<LabelledRequirement>& rows, TrainingChoices choices) {
  Predictions out;
  for (const auto& held_out : projects_of(rows))
    classify_project(RequirementClassifier(without_project(rows, held_out), choices), rows, held_out, out);
  return out;
}

// The threshold on P(functional), from 0.2 to 0.8 in steps of 0.025, with the best macro-F1 of
// the kinds over `functional`; of equal ones the nearest to 0.5.
double select_threshold(const std::vector<std::pair<bool, double>>& functional) {
  double best = 0.5, best_f = -1;
  for (int step = 0; step <= 24; ++step) {
    double t = 0.2 + 0.025 * step;
    Pairs kinds;
    for (auto [gold, p] : functional) kinds.emplace_back(gold ? "F" : "NFR", p >= t ? "F" : "NFR");
    double f = macro_f1(kinds);
    if (f > best_f + 1e-12 || (f > best_f - 1e-12 && std::abs(t - 0.5) < std::abs(best - 0.5))) best_f = f, best = t;
  }
  return best;
}

// The grid's rate with the best leave-one-project-out macro-F1 on `rows`, for each model (the
// rates are tried on two threads), and the threshold that is best on the kind model's
// predictions at its chosen rate.
TrainingChoices select_choices(const std::vector<LabelledRequirement>& rows) {
  std::vector<std::future<Predictions>> runs;
  for (double rate : rate_grid)
    runs.push_back(std::async(std::launch::async, [&rows, rate] { return leave_one_project_out(rows, {rate, rate, 0.5}); }));
  TrainingChoices best;
  double best_kind = -1, best_category = -1;
  for (std::size_t i = 0; i < rate_grid.size(); ++i) {
    auto p = runs[i].get();
    if (double f = macro_f1(p.kinds); f > best_kind) {
      best_kind = f, best.kind_rate = rate_grid[i];
      best.functional_threshold = select_threshold(p.functional);
    }
    if (double f = macro_f1(p.categories); f > best_category) best_category = f, best.category_rate = rate_grid[i];
  }
  return best;
}

// Nested leave-one-project-out: each project is classified by a model trained on the other 14
// with the learning rates that leave-one-project-out among those 14 alone selects, so that no
// choice is made while looking at the project scored.
void promise(const std::string& dir) {
  auto rows = parse_labelled_csv(read_file(dir + "/promise-nfr/promise_nfr.csv"));
  auto projects = projects_of(rows);
  Predictions nested;
  std::map<std::pair<double, double>, std::size_t> chosen;
  std::map<double, std::size_t> thresholds;
  for (const auto& held_out : projects) {
    auto training = without_project(rows, held_out);
    auto choices = select_choices(training);
    ++chosen[{choices.kind_rate, choices.category_rate}];
    ++thresholds[choices.functional_threshold];
    classify_project(RequirementClassifier(training, choices), rows, held_out, nested);
  }
  std::cout << "## PROMISE NFR, nested leave-one-project-out (" << projects.size() << " folds, " << rows.size()
            << " requirements)\n\nLearning rates chosen inside the folds:";
  const char* separator = " ";
  for (const auto& [rates, folds] : chosen) {
    std::cout << separator << "kind " << rates.first << " and category " << rates.second << " in " << folds << " folds";
    separator = "; ";
  }
  std::cout << ". Thresholds on P(functional) chosen inside the folds:";
  separator = " ";
  for (const auto& [threshold, folds] : thresholds) {
    std::cout << separator << threshold << " in " << folds << " folds";
    separator = "; ";
  }
  auto all = select_choices(rows);
  TrainingChoices shipped;
  std::cout << ". Chosen on all " << projects.size() << " projects: kind " << all.kind_rate << ", category "
            << all.category_rate << ", threshold " << all.functional_threshold
            << (all.kind_rate == shipped.kind_rate && all.category_rate == shipped.category_rate &&
                        std::abs(all.functional_threshold - shipped.functional_threshold) < 1e-9
                    ? " (the product's defaults).\n"
                    : "; the product's defaults (TrainingChoices) differ, kind " + fixed(shipped.kind_rate) +
                          ", category " + fixed(shipped.category_rate) + ", threshold " +
                          fixed(shipped.functional_threshold) + ": change them.\n");
  report("Functional vs non-functional", {"F", "NFR"}, nested.kinds);
  confusion({"F", "NFR"}, nested.kinds);
  std::vector<std::string> codes(nfr_codes.begin(), nfr_codes.end());
  report("NFR class, on the non-functional requirements (11 classes)", codes, nested.categories);
  confusion(codes, nested.categories);
}

std::vector<std::string> split_words(const std::string& cell) {
  std::vector<std::string> out;
  std::string current;
  for (char c : cell + "*") {
    if (c == '*' || c == ',') {
      auto t = to_lower(trim(current));
      if (!t.empty()) out.push_back(t);
      current.clear();
    } else {
      current += c;
    }
  }
  return out;
}

void arta(const std::string& dir) {
  auto records = csv_records(read_file(dir + "/arta-requirement-smells/arta_ds1_smells.csv"));
  const auto& header = records.at(0);
  // Every smell column but polysemy (domain words such as "call": no lexicon can know them).
  std::vector<std::size_t> columns;
  for (std::size_t i = 4; i + 1 < header.size(); ++i)
    if (header[i] != "polysemy") columns.push_back(i);
  std::size_t tp_found = 0, found_total = 0, gold_total = 0, gold_hit = 0;
  std::map<std::string, std::size_t> false_positive, missed;
  for (std::size_t r = 1; r < records.size(); ++r) {
    const auto& row = records[r];
    if (row.size() != header.size()) continue;
    std::set<std::string> gold;
    for (auto c : columns)
      for (auto& w : split_words(row[c])) gold.insert(w);
    auto findings = find_ambiguities(row[3]);
    std::set<std::string> hit;
    for (const auto& f : findings) {
      // Kinds ARTA does not label: counting them would charge the analyser for its extra checks.
      if (f.type == "passive_voice" || f.type == "compound" || f.type == "tbd") continue;
      ++found_total;
      auto text = to_lower(f.text);
      bool match = false;
      for (const auto& w : words_of(text))
        if (gold.count(w.lower)) {
          hit.insert(w.lower);
          match = true;
        }
      if (gold.count(text)) hit.insert(text), match = true;
      tp_found += match;
      if (!match) ++false_positive[text];
    }
    gold_total += gold.size();
    gold_hit += hit.size();
    for (const auto& g : gold)
      if (!hit.count(g)) ++missed[g];
  }
  double p = double(tp_found) / double(found_total), rc = double(gold_hit) / double(gold_total);
  std::cout << "\n## Ambiguous words against ARTA DS1 (" << records.size() - 1
            << " requirements; smell columns except polysemy; findings of the kinds ARTA labels)\n\n| precision | recall | F1 | findings | labelled words |\n|---|---|---|---|---|\n| "
            << fixed(p) << " | " << fixed(rc) << " | **" << fixed(2 * p * rc / (p + rc)) << "** | " << found_total << " | "
            << gold_total << " |\n";
  auto top = [](const std::map<std::string, std::size_t>& counts) {
    std::vector<std::pair<std::size_t, std::string>> v;
    for (const auto& [w, n] : counts) v.emplace_back(n, w);
    std::sort(v.rbegin(), v.rend());
    std::string out;
    for (std::size_t i = 0; i < v.size() && i < 15; ++i) out += (i ? ", " : "") + v[i].second + " " + std::to_string(v[i].first);
    return out;
  };
  std::cout << "\nMost frequent findings not labelled: " << top(false_positive) << ".\n\nMost frequent labelled words not found: "
            << top(missed) << ".\n";
}

void reqeval(const std::string& dir, bool list_errors) {
  auto records = csv_records(read_file(dir + "/reqeval-anaphora/reqeval_pronouns.csv"));
  struct Counts {
    std::size_t tp = 0, fp = 0, fn = 0, tn = 0;
  };
  std::map<std::string, Counts> by_split;  // "train", "test", and "all"
  std::ostringstream errors;
  for (std::size_t r = 1; r < records.size(); ++r) {
    const auto& row = records[r];
    if (row.size() < 8) continue;
    // Strip the <referential> marks, remembering where each marked pronoun starts.
    std::string sentence;
    std::vector<std::size_t> marked;
    const std::string open = "<referential>", close = "</referential>";
    for (std::size_t i = 0; i < row[4].size();) {
      if (row[4].compare(i, open.size(), open) == 0) {
        marked.push_back(sentence.size());
        i += open.size();
      } else if (row[4].compare(i, close.size(), close) == 0) {
        i += close.size();
      } else {
        sentence += row[4][i++];
      }
    }
    bool flagged = false;
    std::string suggestion;
    for (const auto& f : find_ambiguities(sentence))
      if (f.type == "vague_pronoun")
        for (auto at : marked)
          if (f.begin == at) {
            flagged = true;
            suggestion = f.suggestion;
          }
    bool ambiguous = row[7] == "NOCUOUS";
    if (flagged != ambiguous)
      errors << "| " << (flagged ? "wrong flag" : "missed") << " | " << row[0] << " | " << row[5] << " | " << sentence
             << " | " << suggestion << " |\n";
    for (const auto& split : {row[0], std::string("all")}) {
      auto& c = by_split[split];
      c.tp += flagged && ambiguous, c.fp += flagged && !ambiguous, c.fn += !flagged && ambiguous, c.tn += !flagged && !ambiguous;
    }
  }
  std::cout << "\n## Ambiguous pronouns against ReqEval (" << records.size() - 1
            << " marked pronouns; positive = NOCUOUS)\n\n| split | precision | recall | F1 | TP | FP | FN | TN | F1 flagging every pronoun |\n|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& split : {"train", "test", "all"}) {
    const auto& c = by_split[split];
    auto s = score(c.tp, c.fp, c.fn);
    auto every = score(c.tp + c.fn, c.fp + c.tn, 0);
    std::cout << "| " << split << " | " << fixed(s.precision) << " | " << fixed(s.recall) << " | **" << fixed(s.f1) << "** | "
              << c.tp << " | " << c.fp << " | " << c.fn << " | " << c.tn << " | " << fixed(every.f1) << " |\n";
  }
  if (list_errors)
    std::cout << "\n### ReqEval pronouns judged wrongly\n\n| error | split | pronoun | sentence | our finding |\n|---|---|---|---|---|\n"
              << errors.str();
}

}  // namespace

int main(int argc, char** argv) {
  bool list_errors = argc == 3 && std::string_view(argv[2]) == "--errors";
  if (argc != 2 && !list_errors) {
    std::cerr << "usage: de-requirements-eval <data dir holding promise-nfr/, arta-requirement-smells/, reqeval-anaphora/> "
                 "[--errors]\n";
    return 2;
  }
  try {
    promise(argv[1]);
    arta(argv[1]);
    reqeval(argv[1], list_errors);
  } catch (const std::exception& e) {
    std::cerr << "de-requirements-eval: " << e.what() << '\n';
    return 1;
  }
}
