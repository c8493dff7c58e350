#pragma once
// Words of a requirement with their byte positions, and the small text helpers the analysers share.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace de::product {

struct Word {
  std::size_t begin = 0, end = 0;  // bytes in the text
  std::string lower;               // lower-cased (ASCII letters)
  bool number = false;             // starts with a digit
};

// Words are runs of letters, digits and inner ' - / . (so "24/7", "user-friendly", "1.5" stay whole);
// bytes over 0x7F count as letters, so UTF-8 words are not split.
std::vector<Word> words_of(std::string_view text);

std::string to_lower(std::string_view text);
std::string_view trim(std::string_view text);

// The sentences of a paragraph, as views into it: a sentence ends at . ! or ? followed by a
// space and an upper-case letter or a digit, except after common abbreviations ("e.g.", "i.e.",
// "etc.").
std::vector<std::string_view> sentences_of(std::string_view text);
bool starts_with_word(std::string_view text, std::string_view word);

// A light suffix stripper (plurals, -ing, -ed, -ly): "users"/"user", "encrypted"/"encrypt".
std::string stem(std::string_view lower_word);

// Function words that carry no topic (articles, prepositions, pronouns, auxiliaries).
bool is_stop_word(std::string_view lower_word);

// A noun that names the system under specification ("system", "product", "application", ...).
bool names_the_system(std::string_view lower_word);

// A noun's grammatical number, from the word as written: "users" plural, "status" and "ETCS"
// (an acronym) singular, "APIs" plural, "data" and "media" either (read both ways).
enum class GrammaticalNumber { singular, plural, either };
GrammaticalNumber number_of_noun(std::string_view written);

// A noun for a person or a person's role ("user", "driver", "administrator"): what "he", "she"
// and "his" can stand for.
bool names_a_person(std::string_view lower_word);

struct Quantity {
  std::string text;  // "60 seconds", "99.9%"
  std::string unit;  // the unit's stem, "second"; "%"; "/" for a rate
};
// Measurable quantities: a number followed by % or by a unit of time, size or count, or a rate
// such as 24/7.
std::vector<Quantity> quantities_in(std::string_view text);

// A past participle ("stored", "written", "sent"): after "be" it makes a passive.
bool is_participle(std::string_view lower_word);

// Modal verbs that make a sentence a requirement statement.
bool is_modal(std::string_view lower_word);

// The number of code points in text[0, byte_offset): spans are answered in code points, which
// is what a client indexing the string by character (Python, Array.from in JS) expects.
std::size_t code_point_offset(std::string_view text, std::size_t byte_offset);

// The records of an RFC 4180 CSV text (quoted fields may hold commas, quotes and line breaks).
std::vector<std::vector<std::string>> csv_records(std::string_view csv);

}  // namespace de::product
