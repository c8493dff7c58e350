#include "agents/marketing/readability.hpp"

#include <cctype>

namespace de::agents::marketing {

namespace {
bool letter(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }
bool word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '\''; }
bool vowel_at(const std::string& w, std::size_t i) {
  char c = w[i];
  return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || (c == 'y' && i > 0);
}
bool ends_with(const std::string& w, std::string_view end) {
  return w.size() >= end.size() && w.compare(w.size() - end.size(), end.size(), end) == 0;
}
}  // namespace

int count_syllables(std::string_view word) {
  std::string w;
  for (char c : word)
    if (letter(c)) w += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (w.empty()) return 0;
  int groups = 0;
  for (std::size_t i = 0; i < w.size(); ++i)
    if (vowel_at(w, i) && (i == 0 || !vowel_at(w, i - 1))) ++groups;
  bool consonant_le = ends_with(w, "le") && w.size() > 2 && !vowel_at(w, w.size() - 3);
  if (ends_with(w, "e") && !consonant_le && groups > 1) --groups;
  else if (ends_with(w, "ed") && !ends_with(w, "ted") && !ends_with(w, "ded") && groups > 1) --groups;
  return groups < 1 ? 1 : groups;
}

std::vector<std::string> words_of(std::string_view text) {
  std::vector<std::string> words;
  std::string current;
  auto flush = [&] {
    bool has_letter = false;
    for (char c : current) has_letter = has_letter || letter(c);
    if (has_letter) words.push_back(current);
    current.clear();
  };
  for (char c : text) {
    if (word_char(c)) current += c;
    else flush();
  }
  flush();
  return words;
}

Readability readability(std::string_view text) {
  Readability r;
  std::string sentence;
  auto close_sentence = [&] {
    auto words = words_of(sentence);
    sentence.clear();
    if (words.empty()) return;
    ++r.sentences;
    r.words += static_cast<int>(words.size());
    for (const auto& w : words) r.syllables += count_syllables(w);
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    // "2.5" and "example.com" go on: a stop ends a sentence only before a space or the end.
    bool stop = (c == '.' || c == '!' || c == '?') &&
                (i + 1 == text.size() || std::isspace(static_cast<unsigned char>(text[i + 1])));
    if (stop || c == '\n') close_sentence();
    else sentence += c;
  }
  close_sentence();
  if (r.words == 0) return r;
  double per_sentence = double(r.words) / r.sentences, per_word = double(r.syllables) / r.words;
  r.reading_ease = 206.835 - 1.015 * per_sentence - 84.6 * per_word;
  r.grade = 0.39 * per_sentence + 11.8 * per_word - 15.59;
  return r;
}

}  // namespace de::agents::marketing
