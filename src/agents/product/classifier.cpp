#include "agents/product/classifier.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "agents/product/text.hpp"
#include "core/error.hpp"

namespace de::product {

namespace {

constexpr std::uint32_t bucket_bits = 18;
constexpr std::uint32_t buckets = 1u << bucket_bits;

// FNV-1a: the same buckets on every platform and run, so training is reproducible.
std::uint32_t bucket(std::string_view kind, std::string_view feature) {
  std::uint32_t h = 2166136261u;
  auto mix = [&h](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 16777619u;
    }
  };
  mix(kind);
  mix("\x1f");
  mix(feature);
  return h & (buckets - 1);
}

// Words that signal a quality attribute in requirements in general (ISO/IEC 25010 vocabulary
// and common RE usage), one list per PROMISE class; each hit adds the class's one cue feature,
// which every project shares, unlike its own vocabulary.
struct CueList {
  std::string_view category;
  std::initializer_list<std::string_view> stems;
};
const std::array<CueList, 11>& cue_lists() {
  static const std::array<CueList, 11> lists = {{
      {"availability", {"available", "availability", "uptime", "downtime", "24/7", "outage", "day", "hour", "week", "year", "offline", "online"}},
      {"fault tolerance", {"failure", "fail", "fault", "recover", "recovery", "backup", "back", "redundant", "redundancy", "crash", "restore", "failover", "resilient", "interruption", "degrad", "lost", "loss", "corrupt"}},
      {"legal", {"law", "legal", "regulation", "regulatory", "comply", "compliance", "compliant", "act", "license", "licence", "copyright", "statute", "hipaa", "gdpr", "sarbanes", "standard", "policy", "polic", "jurisdiction", "court", "contract", "liability"}},
      {"look and feel", {"color", "colour", "font", "look", "appearance", "style", "theme", "logo", "layout", "branding", "brand", "appeal", "attractive", "icon", "image", "aesthetic", "visual", "graphic", "professional", "button", "screen", "feel"}},
      {"maintainability", {"maintain", "maintainable", "maintenance", "modify", "modif", "change", "upgrade", "modular", "document", "code", "configur", "extend", "extensible", "update", "developer", "release", "patch", "test"}},
      {"operational", {"operate", "operat", "environment", "install", "server", "database", "interface", "hardware", "network", "deploy", "integrate", "integration", "window", "microsoft", "oracle", "run", "workstation", "existing", "browser", "internet"}},
      {"performance", {"second", "sec", "millisecond", "ms", "minute", "response", "respond", "time", "fast", "quick", "quickly", "speed", "throughput", "latency", "within", "load", "delay", "real-time", "per", "rate"}},
      {"portability", {"portable", "portability", "port", "platform", "operating", "linux", "mac", "unix", "mobile", "device", "cross-platform", "handheld", "pda", "phone", "android", "io"}},
      {"scalability", {"scale", "scalable", "scalability", "concurrent", "simultaneous", "simultaneously", "grow", "growth", "increase", "volume", "capacity", "number", "expand", "expansion", "peak", "million", "thousand"}},
      {"security", {"secure", "security", "authoriz", "authoris", "authenticat", "login", "log", "password", "encrypt", "access", "permission", "role", "privilege", "audit", "attack", "virus", "confidential", "protect", "unauthoriz", "privacy", "credential", "restrict"}},
      {"usability", {"easy", "ease", "easily", "intuitive", "learn", "train", "training", "user-friendly", "friendly", "understand", "help", "novice", "satisf", "usable", "usability", "efficient", "instruction", "navigate", "error", "mistake"}},
  }};
  return lists;
}

// Verbs of behaviour: what a functional requirement makes the system do (or lets a user do).
bool behaviour_verb(std::string_view w) {
  static const std::vector<std::string_view> verbs = {
      "allow", "display", "show", "notify", "add", "record", "specify", "search", "generate", "mark", "update",
      "store", "save", "enter", "select", "assign", "delete", "remove", "send", "create", "print", "calculate",
      "compute", "list", "view", "edit", "import", "export", "upload", "download", "email", "retrieve", "filter",
      "sort", "track", "schedule", "include", "request", "return", "link", "open", "close", "submit", "approve",
      "cancel", "book", "order", "pay", "register", "report", "produce", "capture", "move", "copy", "enable",
      "let", "indicate", "alert", "prompt", "accept", "reject", "check", "validate"};
  return std::find(verbs.begin(), verbs.end(), w) != verbs.end();
}

void add(std::vector<std::uint32_t>& out, std::string_view kind, std::string_view feature) {
  out.push_back(bucket(kind, feature));
}

}  // namespace

std::vector<std::uint32_t> requirement_features(std::string_view text) {
  auto words = words_of(text);
  std::vector<std::uint32_t> out;
  out.reserve(words.size() * 12);
  std::vector<std::string> stems;
  stems.reserve(words.size());
  // How a document names the system under specification ("the product", "the system") is a
  // house style, not evidence of the kind: one token for all of them.
  for (const auto& w : words)
    stems.push_back(w.number ? std::string("<num>") : names_the_system(w.lower) ? std::string("<system>") : stem(w.lower));

  // "Only authorised staff shall ...": a restriction on who may act, a quality (security) more
  // often than a behaviour.
  for (std::size_t i = 0; i < words.size() && !is_modal(words[i].lower); ++i)
    if (words[i].lower == "only") {
      add(out, "cue", "restriction");
      break;
    }
  for (std::size_t i = 0; i < stems.size(); ++i) {
    add(out, "w", stems[i]);
    if (i + 1 < stems.size()) add(out, "b", stems[i] + ' ' + stems[i + 1]);
    if (is_modal(words[i].lower)) {
      add(out, "modal", words[i].lower);
      // The main verb after the modal says what kind of statement it is: "shall be fast" (a
      // quality) or "shall display the total" (a behaviour).
      std::size_t k = i + 1;
      auto be_able_to = [&](std::size_t at) {
        return words[at].lower == "be" && at + 2 < words.size() && words[at + 1].lower == "able" && words[at + 2].lower == "to";
      };
      while (k < words.size() && (words[k].lower == "not" || be_able_to(k))) k += words[k].lower == "not" ? 1 : 3;
      if (k < words.size()) {
        add(out, "head", words[k].lower);
        if (behaviour_verb(words[k].lower)) add(out, "cue", "behaviour");
      }
    }
  }
  for (const auto& list : cue_lists())
    for (std::size_t i = 0; i < stems.size(); ++i) {
      bool hit = std::any_of(list.stems.begin(), list.stems.end(), [&](std::string_view cue) {
        return stems[i] == cue || words[i].lower == cue || (cue.size() >= 6 && stems[i].starts_with(cue));
      });
      if (hit) add(out, "cue", list.category);  // counted: two security words are stronger evidence than one
    }
  // A measurable quantity is typical of quality requirements.
  for (const auto& q : quantities_in(text)) add(out, "quantity", q.unit);
  add(out, "bias", "");
  std::sort(out.begin(), out.end());
  return out;
}

namespace {

// Class probabilities from the bias and the weight rows of the features; `row(bucket)` gives a
// bucket's `classes` weights, or nullptr for a bucket the model never saw.
template <class Row>
std::vector<double> softmax(const std::vector<float>& bias, std::span<const std::uint32_t> features, Row row) {
  std::vector<double> scores(bias.begin(), bias.end());
  for (auto f : features)
    if (const float* w = row(f))
      for (std::size_t c = 0; c < scores.size(); ++c) scores[c] += w[c];
  double top = *std::max_element(scores.begin(), scores.end());
  double sum = 0;
  for (auto& s : scores) sum += (s = std::exp(s - top));
  for (auto& s : scores) s /= sum;
  return scores;
}

}  // namespace

std::vector<double> RequirementClassifier::Softmax::probabilities(std::span<const std::uint32_t> features) const {
  return softmax(bias, features, [this](std::uint32_t f) -> const float* {
    auto it = std::lower_bound(buckets.begin(), buckets.end(), f);
    return it != buckets.end() && *it == f ? &weights[std::size_t(it - buckets.begin()) * classes] : nullptr;
  });
}

namespace {

struct Example {
  std::vector<std::uint32_t> features;
  std::size_t label;
};

// Stochastic gradient descent on the cross-entropy, classes weighted towards balance (the small
// PROMISE classes would otherwise never win), examples visited in a seeded order: the same
// data always gives the same model. Trained over all buckets, kept for the buckets seen only
// (some thousands of 2^18: half a megabyte instead of a dozen).
RequirementClassifier::Softmax train(const std::vector<Example>& examples, std::size_t classes, double first_rate) {
  RequirementClassifier::Softmax model;
  model.classes = classes;
  model.bias.assign(classes, 0.0f);
  if (examples.empty()) return model;
  std::vector<float> dense(std::size_t(buckets) * classes, 0.0f);
  auto dense_row = [&](std::uint32_t f) -> const float* { return &dense[std::size_t(f) * classes]; };

  std::vector<double> count(classes, 0);
  for (const auto& e : examples) count[e.label] += 1;
  std::vector<double> class_weight(classes, 0);
  for (std::size_t c = 0; c < classes; ++c)
    if (count[c] > 0) class_weight[c] = double(examples.size()) / (double(classes) * count[c]);

  constexpr int epochs = 30;
  constexpr double l2 = 1e-4;
  std::vector<std::size_t> order(examples.size());
  std::iota(order.begin(), order.end(), 0);
  std::mt19937 random(20);
  for (int epoch = 0; epoch < epochs; ++epoch) {
    // Fisher-Yates with the engine's raw output: std::shuffle's algorithm is not specified.
    for (std::size_t i = order.size() - 1; i > 0; --i) std::swap(order[i], order[random() % (i + 1)]);
    const double rate = first_rate / (1.0 + 0.2 * epoch);
    for (auto index : order) {
      const auto& e = examples[index];
      auto p = softmax(model.bias, e.features, dense_row);
      for (std::size_t c = 0; c < classes; ++c) {
        double gradient = class_weight[e.label] * (p[c] - (c == e.label ? 1.0 : 0.0));
        model.bias[c] -= static_cast<float>(rate * gradient);
        for (auto f : e.features) {
          auto& w = dense[std::size_t(f) * classes + c];
          w -= static_cast<float>(rate * (gradient + l2 * w));
        }
      }
    }
  }
  for (const auto& e : examples) model.buckets.insert(model.buckets.end(), e.features.begin(), e.features.end());
  std::sort(model.buckets.begin(), model.buckets.end());
  model.buckets.erase(std::unique(model.buckets.begin(), model.buckets.end()), model.buckets.end());
  for (auto f : model.buckets) model.weights.insert(model.weights.end(), dense_row(f), dense_row(f) + classes);
  return model;
}

std::size_t category_index(std::string_view code) {
  auto it = std::find(nfr_codes.begin(), nfr_codes.end(), code);
  if (it == nfr_codes.end()) throw core::Error(core::ErrorKind::internal, "unknown PROMISE label '" + std::string(code) + "'");
  return std::size_t(it - nfr_codes.begin());
}

}  // namespace

RequirementClassifier::RequirementClassifier(std::span<const LabelledRequirement> training, TrainingChoices choices)
    : functional_threshold_(choices.functional_threshold) {
  std::vector<Example> kinds, categories;
  for (const auto& row : training) {
    auto features = requirement_features(row.text);
    bool functional = row.label == "F";
    kinds.push_back({features, functional ? 0u : 1u});
    if (!functional) categories.push_back({std::move(features), category_index(row.label)});
  }
  kind_ = train(kinds, 2, choices.kind_rate);
  category_ = train(categories, nfr_categories.size(), choices.category_rate);
}

Classification RequirementClassifier::classify(std::string_view text) const {
  auto features = requirement_features(text);
  auto kind = kind_.probabilities(features);
  auto category = category_.probabilities(features);
  Classification out;
  out.functional_probability = kind[0];
  std::copy(category.begin(), category.end(), out.category_probabilities.begin());
  out.functional = kind[0] >= functional_threshold_;
  out.category = std::size_t(std::max_element(category.begin(), category.end()) - category.begin());
  return out;
}

std::vector<LabelledRequirement> parse_labelled_csv(std::string_view csv) {
  std::vector<LabelledRequirement> rows;
  auto records = csv_records(csv);
  for (std::size_t i = 1; i < records.size(); ++i)  // after the header
    if (records[i].size() == 3 && !records[i][1].empty()) rows.push_back({records[i][0], records[i][1], records[i][2]});
  return rows;
}

}  // namespace de::product
