#pragma once
// Readability of English text (docs/marketing.md, "Readability"): Flesch reading ease and the
// Flesch–Kincaid grade, from counts of sentences, words and syllables.
#include <string>
#include <string_view>
#include <vector>

namespace de::agents::marketing {

// Syllables of one word by a vowel-group rule (docs/marketing.md): each run of vowels (y
// counts as a vowel after the first letter) is one syllable; a final silent "e" (but not
// "-le" after a consonant) and a final "-ed" that is not "-ted"/"-ded" are not; at least one.
int count_syllables(std::string_view word);

// The words of `text`: runs of letters, digits and apostrophes that hold at least one letter.
std::vector<std::string> words_of(std::string_view text);

struct Readability {
  int sentences = 0, words = 0, syllables = 0;
  double reading_ease = 0;  // 206.835 − 1.015·words/sentences − 84.6·syllables/words
  double grade = 0;         // 0.39·words/sentences + 11.8·syllables/words − 15.59
};

// Sentences end at ".", "!" or "?" before a space or the end, or at a line break (a headline
// or a bullet is one). Text with no word reads as 0 everywhere.
Readability readability(std::string_view text);

}  // namespace de::agents::marketing
