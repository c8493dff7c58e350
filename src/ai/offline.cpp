#include "ai/offline.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <map>
#include <numeric>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <unordered_set>

#include "ai/schema.hpp"
#include "core/json.hpp"

namespace de::ai {

namespace json = boost::json;

namespace {

constexpr std::size_t kCharsPerToken = 4;     // the usual rule of thumb for English text
constexpr std::size_t kMaxSentences = 5;      // a summary keeps a third of the sentences, at most this many
constexpr std::size_t kMaxResultLines = 12;   // per tool result
constexpr std::size_t kMaxLineLength = 200;   // per rendered line
constexpr int kMaxDepth = 32;                 // of a schema being filled (a $ref loop stops here)

std::int64_t estimate_tokens(std::string_view text) {
  return std::int64_t((text.size() + kCharsPerToken - 1) / kCharsPerToken);
}

// --- words and sentences -------------------------------------------------------------------

bool is_word_byte(char c) { return std::isalnum(static_cast<unsigned char>(c)) || static_cast<unsigned char>(c) >= 0x80; }
bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

// Lower-case words; camelCase and snake_case names split into their words.
std::vector<std::string> words_of(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    bool camel_hump = i > 0 && std::isupper(static_cast<unsigned char>(c)) && std::islower(static_cast<unsigned char>(text[i - 1]));
    if ((!is_word_byte(c) || camel_hump) && !word.empty()) words.push_back(std::exchange(word, {}));
    if (is_word_byte(c)) word += char(std::tolower(static_cast<unsigned char>(c)));
  }
  if (!word.empty()) words.push_back(std::move(word));
  return words;
}

// Plurals only (leads ~ lead): enough to match a request's words with a tool's.
std::string stem(std::string word) {
  if (word.size() > 3 && word.back() == 's' && word[word.size() - 2] != 's') word.pop_back();
  return word;
}

const std::unordered_set<std::string_view>& stopwords() {
  static const std::unordered_set<std::string_view> words = {
      "a",     "about", "after", "all",   "also",  "an",    "and",   "any",   "are",   "as",    "at",    "be",
      "been",  "but",   "by",    "can",   "could", "did",   "do",    "does",  "for",   "from",  "had",   "has",
      "have",  "he",    "her",   "his",   "how",   "i",     "if",    "in",    "into",  "is",    "it",    "its",
      "just",  "me",    "more",  "most",  "my",    "no",    "not",   "now",   "of",    "on",    "one",   "or",
      "our",   "out",   "please", "she",  "so",    "some",  "than",  "that",  "the",   "their", "them",  "then",
      "there", "these", "they",  "this",  "those", "to",    "up",    "us",    "very",  "was",   "we",    "were",
      "what",  "when",  "where", "which", "while", "who",   "why",   "will",  "with",  "would", "you",   "your"};
  return words;
}

// The words that say what a text is about: no stopwords, no single letters, plurals folded.
std::vector<std::string> content_words(std::string_view text) {
  std::vector<std::string> words;
  for (auto& word : words_of(text))
    if (word.size() > 1 && !stopwords().contains(word)) words.push_back(stem(std::move(word)));
  return words;
}

std::string_view trim(std::string_view text) {
  auto first = std::find_if_not(text.begin(), text.end(), is_space);
  auto last = std::find_if_not(text.rbegin(), text.rend(), is_space).base();
  return first < last ? text.substr(std::size_t(first - text.begin()), std::size_t(last - first)) : std::string_view{};
}

std::string collapse_spaces(std::string_view text) {
  std::string out;
  for (char c : trim(text)) {
    if (!is_space(c)) out += c;
    else if (out.back() != ' ') out += ' ';
  }
  return out;
}

// At most `limit` bytes, cut at a space when there is one (never inside a UTF-8 character).
std::string cut_at_word(std::string_view text, std::size_t limit) {
  if (text.size() <= limit) return std::string(text);
  auto cut = text.rfind(' ', limit);
  if (cut == std::string_view::npos || cut == 0) {
    cut = limit;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  }
  return std::string(trim(text.substr(0, cut)));
}

// A `key: value` or `key=value` pair's key at `pos` of a line (at a line's start, after an
// optional list bullet) and where its value starts. A key is one to three words starting with
// a letter, so that prose ("we met at 10:30") and paths ($.score) are not pairs. Parsed by
// hand, not with std::regex, whose matcher recurses once per character of a long line.
struct PairKey {
  std::string_view name;
  std::size_t value_start = 0;
};

std::optional<PairKey> pair_key_at(std::string_view line, std::size_t pos, bool line_start) {
  auto at = [&](auto test) { return pos < line.size() && test(static_cast<unsigned char>(line[pos])); };
  auto skip_spaces = [&] { while (at(::isspace)) ++pos; };
  auto skip_word = [&](bool dots) {
    while (at([&](unsigned char c) { return std::isalnum(c) || c == '_' || c == '-' || (dots && c == '.'); })) ++pos;
  };
  skip_spaces();
  if (line_start) {
    std::size_t bullet = line.substr(pos).starts_with("\u2022") ? 3 : at([](unsigned char c) { return c == '-' || c == '*'; }) ? 1 : 0;
    if (bullet && pos + bullet < line.size() && is_space(line[pos + bullet])) pos += bullet, skip_spaces();
  }
  auto start = pos;
  if (!at([](unsigned char c) { return std::isalpha(c) || c == '_'; })) return std::nullopt;
  skip_word(true);
  for (int more_words = 0; more_words < 2 && pos + 1 < line.size() && line[pos] == ' ' &&
                           std::isalpha(static_cast<unsigned char>(line[pos + 1]));
       ++more_words) {
    ++pos;
    skip_word(false);
  }
  auto name = line.substr(start, pos - start);
  skip_spaces();
  if (!at([](unsigned char c) { return c == ':' || c == '='; })) return std::nullopt;
  ++pos;
  skip_spaces();
  return PairKey{name, pos};
}

// The next pair on the line: one after a comma or semicolon at or after `from`.
std::optional<std::pair<std::size_t, PairKey>> next_pair_at(std::string_view line, std::size_t from) {
  for (auto comma = line.find_first_of(",;", from); comma != std::string_view::npos; comma = line.find_first_of(",;", comma + 1))
    if (auto key = pair_key_at(line, comma + 1, false)) return std::pair(comma, *key);
  return std::nullopt;
}

// A list item (-, *, •, #, 1.) or a `key: value` line is a sentence of its own, full stop or not.
bool stands_alone(std::string_view line) {
  auto rest = trim(line);
  if (rest.empty()) return false;
  if (rest[0] == '-' || rest[0] == '*' || rest[0] == '#' || rest.starts_with("\u2022")) return true;
  auto after_digits = rest.find_first_not_of("0123456789");
  if (after_digits > 0 && after_digits != std::string_view::npos && (rest[after_digits] == '.' || rest[after_digits] == ')'))
    return true;
  return pair_key_at(line, 0, true).has_value();
}

// Sentences end at . ! or ? before a space, at a blank line, and around lines that stand alone;
// other line breaks are wrapped prose.
std::vector<std::string> sentences_of(std::string_view text) {
  std::vector<std::string> sentences;
  std::string current;
  auto flush = [&] {
    if (auto sentence = collapse_spaces(current); !sentence.empty()) sentences.push_back(std::move(sentence));
    current.clear();
  };
  bool previous_alone = false;
  for (std::size_t start = 0; start < text.size();) {
    auto end = std::min(text.find('\n', start), text.size());
    auto line = text.substr(start, end - start);
    start = end + 1;
    bool alone = stands_alone(line);
    if (alone || previous_alone || trim(line).empty()) flush();
    previous_alone = alone;
    for (std::size_t i = 0; i < line.size(); ++i) {
      current += line[i];
      bool stop = line[i] == '.' || line[i] == '!' || line[i] == '?';
      if (stop && (i + 1 == line.size() || is_space(line[i + 1]))) flush();
    }
    current += ' ';
  }
  flush();
  return sentences;
}

struct Extract {
  std::string text;
  bool cut = false;  // max_tokens left out some of what would have been kept
};

// Luhn's ranking: a sentence scores the frequencies (in the whole text) of its content words,
// divided by the square root of their number so that long sentences do not win by length.
// The best third (1 to kMaxSentences) are kept in their original order, within max_tokens.
Extract summarize(std::string_view text, std::int64_t max_tokens) {
  auto sentences = sentences_of(text);
  // A sentence holding JSON is data, not prose: summarised only when there is nothing else.
  auto holds_json = [](const std::string& sentence) {
    auto value = extract_json(sentence);
    return value && (value->is_object() || value->is_array());
  };
  if (!std::all_of(sentences.begin(), sentences.end(), holds_json)) std::erase_if(sentences, holds_json);
  if (sentences.empty()) return {};
  std::vector<std::vector<std::string>> words;
  std::map<std::string, int> frequency;
  for (const auto& sentence : sentences) {
    words.push_back(content_words(sentence));
    for (const auto& word : words.back()) ++frequency[word];
  }
  std::vector<double> score(sentences.size(), 0.0);
  for (std::size_t i = 0; i < sentences.size(); ++i) {
    for (const auto& word : words[i]) score[i] += frequency[word];
    if (!words[i].empty()) score[i] /= std::sqrt(double(words[i].size()));
  }
  std::vector<std::size_t> ranked(sentences.size());
  std::iota(ranked.begin(), ranked.end(), 0);
  std::stable_sort(ranked.begin(), ranked.end(), [&](auto a, auto b) { return score[a] > score[b]; });
  ranked.resize(std::clamp<std::size_t>((sentences.size() + 2) / 3, 1, kMaxSentences));

  auto budget = std::size_t(std::max<std::int64_t>(1, max_tokens)) * kCharsPerToken;
  std::vector<std::size_t> kept;
  std::size_t used = 0;
  for (auto i : ranked) {
    auto needed = sentences[i].size() + (kept.empty() ? 0 : 1);
    if (used + needed > budget) continue;
    kept.push_back(i);
    used += needed;
  }
  bool cut = kept.size() < ranked.size();
  if (kept.empty()) return {cut_at_word(sentences[ranked[0]], budget), true};
  std::sort(kept.begin(), kept.end());
  std::string summary;
  for (auto i : kept) summary += (summary.empty() ? "" : " ") + sentences[i];
  return {std::move(summary), cut};
}

// --- named values in the conversation ------------------------------------------------------

// Case, spaces, '_' and '-' aside: "Company Name" and companyName find company_name.
std::string loose_key(std::string_view name) {
  std::string key;
  for (char c : name)
    if (is_word_byte(c)) key += char(std::tolower(static_cast<unsigned char>(c)));
  return key;
}

// Named values: the members of a JSON object in a text (nested ones too, where the name is not
// taken by a shallower one) and `key: value` pairs (a key of several words answering to its
// last word too).
class Facts {
 public:
  // What `text` says replaces what earlier texts said under the same names.
  void add(std::string_view text) {
    std::map<std::string, json::value> found;
    add_pairs(text, found);
    if (auto value = extract_json(text); value && value->is_object()) {
      std::map<std::string, json::value> members;  // JSON says it precisely: it wins over pairs
      add_members(value->get_object(), members);
      for (auto& [key, member] : members) found[key] = std::move(member);
    }
    for (auto& [key, value] : found) values_[key] = std::move(value);
  }

  const json::value* find(std::string_view name) const {
    auto it = values_.find(loose_key(name));
    return it == values_.end() ? nullptr : &it->second;
  }

 private:
  static void add_pairs(std::string_view text, std::map<std::string, json::value>& found) {
    for (std::size_t start = 0; start < text.size();) {
      auto end = std::min(text.find('\n', start), text.size());
      auto line = text.substr(start, end - start);
      start = end + 1;
      for (auto pair = pair_key_at(line, 0, true); pair;) {
        auto next = next_pair_at(line, pair->value_start);
        auto value_end = next ? next->first : line.size();
        auto value = trim(line.substr(pair->value_start, value_end - pair->value_start));
        while (!value.empty() && (value.back() == '.' || value.back() == ',' || value.back() == ';')) value.remove_suffix(1);
        if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') && value.back() == value.front())
          value = value.substr(1, value.size() - 2);
        if (!value.empty()) {
          found[loose_key(pair->name)] = json::string(value);
          // "Invoice number: 42" also fills `number`, unless the text names a `number` itself.
          if (auto space = pair->name.rfind(' '); space != std::string_view::npos)
            found.try_emplace(loose_key(pair->name.substr(space + 1)), json::string(value));
        }
        pair = next ? std::optional(next->second) : std::nullopt;
      }
    }
  }

  // Breadth first, so that a shallower member keeps its name.
  static void add_members(const json::object& object, std::map<std::string, json::value>& members) {
    std::vector<const json::object*> level = {&object};
    while (!level.empty()) {
      std::vector<const json::object*> deeper;
      for (const auto* o : level)
        for (const auto& [key, value] : *o) {
          members.try_emplace(loose_key(key), value);
          if (value.is_object()) deeper.push_back(&value.get_object());
        }
      level = std::move(deeper);
    }
  }

  std::map<std::string, json::value> values_;
};

// --- values for a schema -------------------------------------------------------------------

std::vector<std::string_view> types_of(const json::object& schema) {
  std::vector<std::string_view> types;
  if (const auto* type = schema.if_contains("type")) {
    if (type->is_string()) types.push_back(type->get_string());
    else
      for (const auto& name : type->get_array()) types.push_back(name.get_string());
  } else if (schema.contains("properties")) {
    types.push_back("object");
  } else if (schema.contains("items")) {
    types.push_back("array");
  }
  return types;
}

std::optional<double> parse_number(std::string_view text) {
  double n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(n)) return std::nullopt;
  return n;
}

// 87 rather than 87.0 when the number is whole, as an integer schema expects to read it.
json::value number_value(double n) {
  if (std::floor(n) == n && std::abs(n) < 9e15) return std::int64_t(n);
  return n;
}

// `fact` as a value of `type`, when it is one or its text reads as one ("5,000" as 5000).
std::optional<json::value> as_type(const json::value& fact, std::string_view type, const json::object& schema,
                                   const json::value& root);

// `fact` converted to what `schema` asks for; nullopt when it cannot be.
std::optional<json::value> convert(const json::value& fact, const json::value& schema, const json::value& root,
                                   int depth = 0) {
  if (depth > kMaxDepth) return std::nullopt;
  if (schema.is_bool()) return schema.get_bool() ? std::optional(fact) : std::nullopt;
  const auto& s = schema.get_object();
  if (const auto* ref = s.if_contains("$ref"))
    if (const auto* target = resolve_ref(root, ref->get_string())) return convert(fact, *target, root, depth + 1);
  if (const auto* options = s.if_contains("enum")) {
    auto folded = fact.is_string() ? loose_key(fact.get_string()) : std::string();
    for (const auto& option : options->get_array()) {
      if (option == fact) return option;
      if (option.is_string() && !folded.empty() && loose_key(option.get_string()) == folded) return option;
    }
    return std::nullopt;
  }
  auto types = types_of(s);
  if (types.empty()) return fact;
  for (auto type : types)
    if (auto value = as_type(fact, type, s, root)) return value;
  return std::nullopt;
}

std::optional<json::value> as_type(const json::value& fact, std::string_view type, const json::object& schema,
                                   const json::value& root) {
  std::string text = fact.is_string() ? std::string(trim(fact.get_string())) : std::string();
  if (type == "string") {
    if (fact.is_string()) return fact;
    if (fact.is_number() || fact.is_bool()) return json::string(core::to_text(fact));
  } else if (type == "integer" || type == "number") {
    std::erase_if(text, [](char c) { return c == ',' || c == '_'; });  // digit grouping
    auto n = fact.is_number() ? std::optional(fact.to_number<double>()) : parse_number(text);
    if (n && (type == "number" || std::floor(*n) == *n)) return number_value(*n);
  } else if (type == "boolean") {
    if (fact.is_bool()) return fact;
    auto word = loose_key(text);
    if (word == "true" || word == "yes" || word == "1") return true;
    if (word == "false" || word == "no" || word == "0") return false;
  } else if (type == "array") {
    json::array items;
    const auto* item_schema = schema.if_contains("items");
    auto add = [&](const json::value& item) {
      auto converted = item_schema ? convert(item, *item_schema, root) : std::optional(item);
      if (converted) items.push_back(std::move(*converted));
      return converted.has_value();
    };
    if (fact.is_array()) {
      for (const auto& item : fact.get_array())
        if (!add(item)) return std::nullopt;
      return items;
    }
    if (fact.is_string()) {  // a comma-separated list
      for (std::size_t start = 0; start <= text.size();) {
        auto comma = std::min(text.find(',', start), text.size());
        if (auto item = trim(std::string_view(text).substr(start, comma - start)); !item.empty())
          if (!add(json::string(item))) return std::nullopt;
        start = comma + 1;
      }
      return items;
    }
  } else if (type == "object") {
    if (fact.is_object()) return fact;
  } else if (type == "null") {
    if (fact.is_null()) return fact;
  }
  return std::nullopt;
}

// --- the answers -------------------------------------------------------------------------

const Message* last_of(const std::vector<Message>& messages, Role role) {
  auto it = std::find_if(messages.rbegin(), messages.rend(), [&](const Message& m) { return m.role == role; });
  return it == messages.rend() ? nullptr : &*it;
}

// What users and tools said: where structured output finds its values and enum words.
std::string conversation_text(const std::vector<Message>& messages) {
  std::string text;
  for (const auto& m : messages)
    if (m.role == Role::user || m.role == Role::tool) text += m.content + "\n";
  return text;
}

// The value for a JSON Schema that the offline provider builds (docs/ai.md):
// - a property takes the same-named value from the conversation (Facts), converted to its type;
//   an object's properties look first in the object the conversation gave under its name;
// - an enum otherwise takes the allowed value whose words the conversation mentions most;
// - what is still missing is left out unless required; a required one is null when the schema
//   allows it, else a string is the extractive summary of the last user message, a number the
//   schema's minimum (or 0), a boolean false, an array empty, an enum its first value, and an
//   object is built the same way. Those defaults are placeholders, not findings: docs/ai.md
//   says so.
// anyOf, oneOf and allOf take the first of their schemas that gives a value.
class StructuredAnswer {
 public:
  StructuredAnswer(const json::value& schema, const Facts& facts, std::string_view text, std::string summary)
      : root_(schema), facts_(facts), summary_(std::move(summary)) {
    for (auto& word : words_of(text)) text_words_.push_back(stem(std::move(word)));
  }

  json::value build() { return build(root_, nullptr, true, 0).value_or(nullptr); }

 private:
  std::optional<json::value> build(const json::value& schema, const json::value* fact, bool required, int depth) {
    if (depth > kMaxDepth) return std::nullopt;
    if (schema.is_bool()) {
      if (!schema.get_bool()) return std::nullopt;
      return fact ? std::optional(*fact) : required ? std::optional<json::value>(nullptr) : std::nullopt;
    }
    const auto& s = schema.get_object();
    if (const auto* ref = s.if_contains("$ref"))
      if (const auto* target = resolve_ref(root_, ref->get_string())) return build(*target, fact, required, depth + 1);
    for (std::string_view keyword : {"anyOf", "oneOf", "allOf"})
      if (const auto* options = s.if_contains(keyword)) {
        for (const auto& option : options->get_array())
          if (auto value = build(option, fact, required, depth + 1)) return value;
        return std::nullopt;
      }
    if (const auto* constant = s.if_contains("const")) return required || fact ? std::optional(*constant) : std::nullopt;
    auto types = types_of(s);
    if (std::find(types.begin(), types.end(), "object") != types.end()) {
      auto object = build_object(s, fact && fact->is_object() ? &fact->get_object() : nullptr, depth);
      if (required || !object.empty()) return object;
      return std::nullopt;
    }
    if (fact)
      if (auto value = convert(*fact, schema, root_)) return value;
    bool nullable = std::find(types.begin(), types.end(), "null") != types.end();
    if (const auto* options = s.if_contains("enum")) {
      if (auto value = most_mentioned(options->get_array())) return value;
      if (!required) return std::nullopt;
      return nullable ? json::value(nullptr) : options->get_array().front();
    }
    if (!required) return std::nullopt;
    if (nullable) return nullptr;
    auto type = types.empty() ? std::string_view("string") : types.front();
    if (type == "integer" || type == "number") return placeholder_number(s, type == "integer");
    if (type == "boolean") return false;
    if (type == "array") return json::array();
    const auto* max_length = s.if_contains("maxLength");
    return json::string(max_length ? cut_at_word(summary_, max_length->to_number<std::size_t>()) : summary_);
  }

  // A property's value comes from `given` (the object the conversation gave for this one) when
  // it has a member of that name, else from the conversation's named values.
  json::object build_object(const json::object& schema, const json::object* given, int depth) {
    json::object object;
    const auto* properties = schema.if_contains("properties");
    if (!properties) return object;
    std::set<std::string_view> required;
    if (const auto* names = schema.if_contains("required"))
      for (const auto& name : names->get_array()) required.insert(name.get_string());
    for (const auto& [name, property] : properties->get_object()) {
      const json::value* fact = nullptr;
      if (given) {
        auto key = loose_key(name);
        auto member = std::find_if(given->begin(), given->end(), [&](auto& m) { return loose_key(m.key()) == key; });
        if (member != given->end()) fact = &member->value();
      }
      if (auto value = build(property, fact ? fact : facts_.find(name), required.contains(name), depth + 1))
        object[name] = std::move(*value);
    }
    return object;
  }

  // The string option whose words occur most often, in order, in the conversation.
  std::optional<json::value> most_mentioned(const json::array& options) const {
    const json::value* best = nullptr;
    std::size_t best_count = 0;
    for (const auto& option : options) {
      if (!option.is_string()) continue;
      std::vector<std::string> phrase;
      for (auto& word : words_of(option.get_string())) phrase.push_back(stem(std::move(word)));
      if (phrase.empty() || phrase.size() > text_words_.size()) continue;
      std::size_t count = 0;
      for (std::size_t i = 0; i + phrase.size() <= text_words_.size(); ++i)
        count += std::equal(phrase.begin(), phrase.end(), text_words_.begin() + std::ptrdiff_t(i));
      if (count > best_count) best = &option, best_count = count;
    }
    return best ? std::optional(*best) : std::nullopt;
  }

  static json::value placeholder_number(const json::object& schema, bool integer) {
    double n = 0;
    if (const auto* min = schema.if_contains("minimum")) n = min->to_number<double>();
    else if (const auto* above = schema.if_contains("exclusiveMinimum")) n = above->to_number<double>() + 1;
    if (const auto* max = schema.if_contains("maximum")) n = std::min(n, max->to_number<double>());
    return number_value(integer ? std::ceil(n) : n);
  }

  const json::value& root_;
  const Facts& facts_;
  std::string summary_;
  std::vector<std::string> text_words_;
};

// The arguments of `tool` from the user's message, when every required one can be filled and
// they validate against the tool's schema.
std::optional<json::object> fill_arguments(const Tool& tool, const Facts& facts, std::string_view user_text) {
  json::object arguments;
  if (!tool.parameters.is_object()) return arguments;
  const auto& schema = tool.parameters.get_object();
  const auto* properties = schema.if_contains("properties");
  if (properties)
    for (const auto& [name, property] : properties->get_object())
      if (const auto* fact = facts.find(name))
        if (auto value = convert(*fact, property, tool.parameters)) arguments[name] = std::move(*value);
  // A free-form object (no properties named): the JSON object the message holds, if any.
  if (!properties)
    if (auto given = extract_json(user_text); given && given->is_object()) arguments = std::move(given->get_object());
  if (const auto* required = schema.if_contains("required")) {
    const auto& names = required->get_array();
    std::vector<std::string_view> missing;
    for (const auto& name : names)
      if (!arguments.contains(name.get_string())) missing.push_back(name.get_string());
    // One required string: the message itself is the argument (a search's query, a note's text).
    if (names.size() == 1 && missing.size() == 1 && properties)
      if (const auto* property = properties->get_object().if_contains(missing[0]))
        if (auto value = convert(json::string(collapse_spaces(user_text)), *property, tool.parameters)) {
          arguments[missing[0]] = std::move(*value);
          missing.clear();
        }
    if (!missing.empty()) return std::nullopt;
  }
  if (!validate(arguments, tool.parameters).empty()) return std::nullopt;
  return arguments;
}

// The tool whose name (counted twice) and description share the most words with the user's
// message, among those whose arguments can be filled; ties go to the tool offered first.
std::optional<ToolCall> choose_tool(const ChatRequest& request, std::string_view user_text) {
  auto asked_words = content_words(user_text);
  std::set<std::string> asked(asked_words.begin(), asked_words.end());
  std::vector<std::pair<int, std::size_t>> candidates;  // (score, position)
  for (std::size_t i = 0; i < request.tools.size(); ++i) {
    const auto& tool = request.tools[i];
    auto name_words = content_words(tool.name);
    std::set<std::string> in_name(name_words.begin(), name_words.end());
    auto description_words = content_words(tool.description);
    std::set<std::string> in_description(description_words.begin(), description_words.end());
    int score = 0;
    for (const auto& word : asked) score += in_name.contains(word) ? 2 : in_description.contains(word) ? 1 : 0;
    if (score > 0) candidates.emplace_back(score, i);
  }
  std::stable_sort(candidates.begin(), candidates.end(), [](auto& a, auto& b) { return a.first > b.first; });
  Facts facts;
  facts.add(user_text);
  for (auto [score, i] : candidates) {
    if (auto arguments = fill_arguments(request.tools[i], facts, user_text)) {
      auto calls_so_far = std::count_if(request.messages.begin(), request.messages.end(),
                                        [](const Message& m) { return m.role == Role::tool; });
      return ToolCall{fmt::format("call_offline_{}", calls_so_far + 1), request.tools[i].name, std::move(*arguments)};
    }
  }
  return std::nullopt;
}

std::string scalar_text(const json::value& v) {
  return v.is_string() ? std::string(v.get_string()) : core::to_text(v);
}

// `key: value` lines: nested keys joined with '.', list items numbered, lists of plain values
// on one line.
void flatten(const json::value& v, const std::string& key, std::vector<std::string>& lines) {
  auto line = [&](std::string_view text) { lines.push_back(key.empty() ? std::string(text) : fmt::format("{}: {}", key, text)); };
  if (v.is_object()) {
    if (v.get_object().empty()) line("(empty)");
    for (const auto& [name, member] : v.get_object())
      flatten(member, key.empty() ? std::string(name) : fmt::format("{}.{}", key, std::string_view(name)), lines);
  } else if (v.is_array()) {
    const auto& items = v.get_array();
    if (std::none_of(items.begin(), items.end(), [](auto& i) { return i.is_object() || i.is_array(); })) {
      std::string joined;
      for (const auto& item : items) joined += (joined.empty() ? "" : ", ") + scalar_text(item);
      line(items.empty() ? "(none)" : joined);
    } else {
      for (std::size_t i = 0; i < items.size(); ++i) flatten(items[i], fmt::format("{}[{}]", key, i), lines);
    }
  } else {
    line(scalar_text(v));
  }
}

std::string tool_name_of(const std::vector<Message>& messages, const Message& result) {
  if (!result.name.empty()) return result.name;
  for (const auto& m : messages)
    for (const auto& call : m.tool_calls)
      if (call.id == result.tool_call_id) return call.name;
  return "the tool";
}

// The trailing tool results, rendered: "Result of <tool>:" and its fields as `- key: value`.
std::string render_tool_results(const std::vector<Message>& messages) {
  auto first = messages.end();
  while (first != messages.begin() && std::prev(first)->role == Role::tool) --first;
  std::string text;
  for (auto it = first; it != messages.end(); ++it) {
    if (!text.empty()) text += "\n\n";
    auto name = tool_name_of(messages, *it);
    boost::system::error_code ec;
    auto result = json::parse(it->content, ec);
    if (ec || !(result.is_object() || result.is_array())) {
      auto plain = collapse_spaces(it->content);
      text += fmt::format("Result of {}: {}", name, plain.empty() ? "(nothing)" : cut_at_word(plain, kMaxLineLength * 2));
      continue;
    }
    std::vector<std::string> lines;
    flatten(result, "", lines);
    text += fmt::format("Result of {}:", name);
    for (std::size_t i = 0; i < std::min(lines.size(), kMaxResultLines); ++i)
      text += "\n- " + cut_at_word(lines[i], kMaxLineLength);
    if (lines.size() > kMaxResultLines) text += fmt::format("\n- ... and {} more", lines.size() - kMaxResultLines);
  }
  return text;
}

// The text up to the last whole line within max_tokens.
Extract bounded_lines(std::string text, std::int64_t max_tokens) {
  auto budget = std::size_t(std::max<std::int64_t>(1, max_tokens)) * kCharsPerToken;
  if (text.size() <= budget) return {std::move(text), false};
  auto cut = text.rfind('\n', budget);
  return {cut == std::string::npos ? cut_at_word(text, budget) : text.substr(0, cut), true};
}

Extract summary_of_last_user_message(const ChatRequest& request) {
  const auto* user = last_of(request.messages, Role::user);
  if (!user || trim(user->content).empty()) return {"There is no user message to answer.", false};
  return summarize(user->content, request.max_tokens);
}

struct OfflineWriters {
  std::shared_mutex mutex;
  std::map<std::string, OfflineWriter, std::less<>> by_title;
};

OfflineWriters& offline_writers() {
  static OfflineWriters writers;
  return writers;
}

// The writer registered for the request's schema title, if any.
OfflineWriter writer_for(const ChatRequest& request) {
  const auto* schema = request.json_schema && request.json_schema->is_object() ? &request.json_schema->get_object() : nullptr;
  const auto* title = schema ? schema->if_contains("title") : nullptr;
  if (!title || !title->is_string()) return nullptr;
  auto& writers = offline_writers();
  std::shared_lock lock(writers.mutex);
  auto it = writers.by_title.find(std::string_view(title->get_string()));
  return it == writers.by_title.end() ? nullptr : it->second;
}

ChatResponse answer(const ChatRequest& request) {
  ChatResponse response;
  response.provider = "offline";
  response.model = "offline-1";
  response.finish_reason = "stop";
  Extract text;
  if (auto writer = writer_for(request)) {
    text.text = core::to_text(writer(request));
  } else if (request.json_schema) {
    Facts facts;
    for (const auto& m : request.messages)
      if (m.role == Role::user || m.role == Role::tool) facts.add(m.content);
    StructuredAnswer structured(*request.json_schema, facts, conversation_text(request.messages),
                                summary_of_last_user_message(request).text);
    text.text = core::to_text(structured.build());
  } else if (!request.messages.empty() && request.messages.back().role == Role::tool) {
    text = bounded_lines(render_tool_results(request.messages), request.max_tokens);
  } else {
    bool user_spoke_last = !request.messages.empty() && request.messages.back().role == Role::user;
    auto call = user_spoke_last && !request.tools.empty() ? choose_tool(request, request.messages.back().content) : std::nullopt;
    if (call) {
      response.tool_calls.push_back(std::move(*call));
      response.finish_reason = "tool_calls";
    } else {
      text = summary_of_last_user_message(request);
    }
  }
  response.content = std::move(text.text);
  if (text.cut) response.finish_reason = "length";

  std::int64_t input = 0;
  for (const auto& m : request.messages) {
    input += estimate_tokens(m.content);
    for (const auto& call : m.tool_calls) input += estimate_tokens(json::serialize(call.arguments));
  }
  for (const auto& tool : request.tools) input += estimate_tokens(tool.name + tool.description + json::serialize(tool.parameters));
  if (request.json_schema) input += estimate_tokens(json::serialize(*request.json_schema));
  response.usage.input_tokens = input;
  response.usage.output_tokens = estimate_tokens(response.content);
  for (const auto& call : response.tool_calls)
    response.usage.output_tokens += estimate_tokens(call.name + json::serialize(call.arguments));
  return response;
}

// Word by word, each piece with the spaces after it, so that the pieces add up to the text.
void stream(std::string_view text, const std::function<void(std::string_view)>& on_token) {
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = start;
    while (end < text.size() && !is_space(text[end])) ++end;
    while (end < text.size() && is_space(text[end])) ++end;
    on_token(text.substr(start, end - start));
    start = end;
  }
}

}  // namespace

void add_offline_writer(const std::string& title, OfflineWriter write) {
  auto& writers = offline_writers();
  std::unique_lock lock(writers.mutex);
  writers.by_title[title] = std::move(write);
}

boost::asio::awaitable<ChatResponse> OfflineProvider::chat(const ChatRequest& request) {
  auto started = std::chrono::steady_clock::now();
  auto response = answer(request);
  if (request.on_token) stream(response.content, request.on_token);
  response.latency_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  co_return response;
}

}  // namespace de::ai
