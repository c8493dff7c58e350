#pragma once
// Ambiguity and testability findings in one requirement, after ISO/IEC/IEEE 29148 (5.2.7,
// "requirements language criteria"): each with its span, why it hurts and how to rewrite it.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace de::product {

struct Ambiguity {
  std::size_t begin = 0, end = 0;  // bytes in the requirement text
  std::string text;
  std::string_view type;  // subjective, vague_qualifier, loophole, non_verifiable, superlative,
                          // comparative, negative, vague_pronoun, uncertain_verb, tbd,
                          // passive_voice, compound
  std::string_view reason;
  std::string suggestion;
};

std::vector<Ambiguity> find_ambiguities(std::string_view requirement);

}  // namespace de::product
