#include "agents/product/text.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace de::product {

namespace {

bool word_byte(unsigned char c) { return std::isalnum(c) || c >= 0x80 || c == '_'; }

// Characters that stay inside a word when a word byte follows them.
bool joiner(char c) { return c == '\'' || c == '-' || c == '/' || c == '.'; }

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

std::vector<Word> words_of(std::string_view text) {
  std::vector<Word> words;
  std::size_t i = 0;
  while (i < text.size()) {
    if (!word_byte(static_cast<unsigned char>(text[i]))) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < text.size()) {
      auto c = static_cast<unsigned char>(text[j]);
      if (word_byte(c)) {
        ++j;
      } else if (joiner(text[j]) && j + 1 < text.size() && word_byte(static_cast<unsigned char>(text[j + 1]))) {
        ++j;
      } else {
        break;
      }
    }
    Word w;
    w.begin = i;
    w.end = j;
    w.lower = to_lower(text.substr(i, j - i));
    w.number = std::isdigit(static_cast<unsigned char>(text[i])) != 0;
    words.push_back(std::move(w));
    i = j;
  }
  return words;
}

std::string to_lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string_view trim(std::string_view text) {
  const char* space = " \t\r\n\f\v";
  auto first = text.find_first_not_of(space);
  if (first == std::string_view::npos) return {};
  auto last = text.find_last_not_of(space);
  return text.substr(first, last - first + 1);
}

bool starts_with_word(std::string_view text, std::string_view word) {
  if (text.size() < word.size() || to_lower(text.substr(0, word.size())) != word) return false;
  return text.size() == word.size() || !word_byte(static_cast<unsigned char>(text[word.size()]));
}

std::string stem(std::string_view w) {
  std::string s(w);
  if (s.size() > 5 && ends_with(s, "ies")) return s.substr(0, s.size() - 3) + "y";
  if (s.size() > 5 && ends_with(s, "ing")) return s.substr(0, s.size() - 3);
  if (s.size() > 4 && ends_with(s, "ed")) return s.substr(0, s.size() - 2);
  if (s.size() > 5 && ends_with(s, "ly")) return s.substr(0, s.size() - 2);
  if (s.size() > 3 && ends_with(s, "s") && !ends_with(s, "ss") && !ends_with(s, "us")) return s.substr(0, s.size() - 1);
  return s;
}

bool is_stop_word(std::string_view w) {
  static constexpr std::array<std::string_view, 58> stop = {
      "a",    "an",   "the",  "and",   "or",    "of",   "to",    "in",   "on",   "at",   "by",   "for",
      "with", "from", "as",   "into",  "that",  "this", "these", "those", "it",  "its",  "they", "them",
      "their", "be",  "is",   "are",   "was",   "were", "been",  "being", "shall", "must", "should", "will",
      "may",  "can",  "could", "would", "might", "able", "which", "who",  "when", "if",   "all",  "any",
      "each", "every", "such", "other", "than", "also", "so",    "not"};
  return std::find(stop.begin(), stop.end(), w) != stop.end();
}

bool names_the_system(std::string_view w) {
  static constexpr std::array<std::string_view, 10> names = {"system", "product",  "application", "software", "website",
                                                             "subsystem", "platform", "app", "solution", "tool"};
  return std::find(names.begin(), names.end(), w) != names.end();
}

GrammaticalNumber number_of_noun(std::string_view w) {
  auto lower = to_lower(w);
  static constexpr std::array<std::string_view, 6> either = {"data", "media", "criteria", "metadata", "staff", "personnel"};
  if (std::find(either.begin(), either.end(), lower) != either.end()) return GrammaticalNumber::either;
  // An acronym (two capitals or more): plural only with a lower-case "s" after it ("APIs").
  if (std::count_if(w.begin(), w.end(), [](char c) { return std::isupper(static_cast<unsigned char>(c)); }) >= 2)
    return w.size() > 2 && w.back() == 's' && std::isupper(static_cast<unsigned char>(w[w.size() - 2]))
               ? GrammaticalNumber::plural
               : GrammaticalNumber::singular;
  bool plural = lower.size() > 3 && lower.ends_with('s') && !lower.ends_with("ss") && !lower.ends_with("us") &&
                !lower.ends_with("is");
  return plural || lower == "people" || lower == "children" ? GrammaticalNumber::plural : GrammaticalNumber::singular;
}

bool names_a_person(std::string_view w) {
  static constexpr std::array<std::string_view, 55> people = {
      "user", "driver", "operator", "administrator", "admin", "customer", "client", "manager", "leader", "member",
      "person", "people", "employee", "engineer", "technician", "clerk", "buyer", "seller", "patient", "doctor",
      "nurse", "student", "teacher", "librarian", "contributor", "requestor", "requester", "owner", "player",
      "passenger", "pilot", "dispatcher", "supervisor", "maintainer", "developer", "tester", "analyst", "auditor",
      "visitor", "subscriber", "author", "editor", "reviewer", "approver", "homeowner", "resident", "guest",
      "citizen", "applicant", "officer", "worker", "staff", "signaller", "caller", "recipient"};
  auto base = stem(w);
  return std::any_of(people.begin(), people.end(), [&](std::string_view p) { return w == p || base == p; });
}

std::vector<Quantity> quantities_in(std::string_view text) {
  static constexpr std::array<std::string_view, 26> units = {
      "second", "sec", "s", "ms", "millisecond", "minute", "min", "hour", "hr", "day", "week", "month", "year",
      "percent", "user", "person", "transaction", "request", "record", "mb", "gb", "kb", "tb", "byte", "time", "km/h"};
  std::vector<Quantity> out;
  auto words = words_of(text);
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (!words[i].number) continue;
    auto begin = words[i].begin, end = words[i].end;
    // "20,000": the thousands before the separator belong to the figure.
    auto digit_at = [&text](std::size_t i) { return std::isdigit(static_cast<unsigned char>(text[i])) != 0; };
    while (begin >= 2 && text[begin - 1] == ',' && digit_at(begin - 2)) {
      begin -= 2;
      while (begin > 0 && digit_at(begin - 1)) --begin;
    }
    if (words[i].lower.find('/') != std::string::npos) {  // a rate such as "24/7"
      out.push_back({words[i].lower, "/"});
    } else if (end < text.size() && text[end] == '%') {
      out.push_back({std::string(text.substr(begin, end + 1 - begin)), "%"});
    } else if (i + 1 < words.size()) {
      auto unit = stem(words[i + 1].lower);
      // A number of people ("20,000 customers"), whatever their role.
      if (unit != "user" && names_a_person(words[i + 1].lower)) unit = "person";
      if (std::find(units.begin(), units.end(), unit) != units.end())
        out.push_back({std::string(text.substr(begin, words[i + 1].end - begin)), unit});
    }
  }
  return out;
}

std::vector<std::string_view> sentences_of(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i + 2 < text.size(); ++i) {
    char c = text[i];
    if ((c != '.' && c != '!' && c != '?') || text[i + 1] != ' ') continue;
    auto next = static_cast<unsigned char>(text[i + 2]);
    if (!std::isupper(next) && !std::isdigit(next)) continue;
    auto before = to_lower(text.substr(start, i + 1 - start));
    if (before.ends_with("e.g.") || before.ends_with("i.e.") || before.ends_with("etc.") || before.ends_with("vs.") ||
        before.ends_with("approx.") || before.ends_with("no."))
      continue;
    out.push_back(trim(text.substr(start, i + 1 - start)));
    start = i + 2;
  }
  out.push_back(trim(text.substr(start)));
  return out;
}

bool is_participle(std::string_view w) {
  if (w.size() > 4 && (w.ends_with("ed") || w.ends_with("en"))) return true;
  static constexpr std::array<std::string_view, 32> irregular = {"sent", "kept", "built", "shown", "held", "made", "done", "given", "set", "put", "read", "run",
                    "found", "known", "seen", "told", "paid", "sold", "bought", "brought", "left", "lost", "met",
                    "shut", "split", "spent", "won", "taken", "drawn", "chosen", "written"};
  return std::find(irregular.begin(), irregular.end(), w) != irregular.end();
}

bool is_modal(std::string_view w) {
  return w == "shall" || w == "must" || w == "should" || w == "will" || w == "may" || w == "can" || w == "might" ||
         w == "could" || w == "would";
}

std::size_t code_point_offset(std::string_view text, std::size_t byte_offset) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < byte_offset && i < text.size(); ++i)
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++count;
  return count;
}

std::vector<std::vector<std::string>> csv_records(std::string_view csv) {
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (std::size_t i = 0; i < csv.size(); ++i) {
    char c = csv[i];
    if (quoted) {
      if (c == '"' && i + 1 < csv.size() && csv[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else if (c == '\n') {
      records.push_back(std::move(fields));
      fields.assign(1, "");
    } else if (c != '\r') {
      fields.back() += c;
    }
  }
  if (fields.size() > 1 || !fields.front().empty()) records.push_back(std::move(fields));
  return records;
}

}  // namespace de::product
