#pragma once
// A requirement's own parts (who, does what, under which condition, why) and the user story and
// Given/When/Then acceptance criteria built from them. Nothing is invented: a part the sentence
// does not state is named as missing.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace de::product {

struct RequirementParts {
  std::string subject;    // before the modal verb: "The system", "Registered users"
  std::string modal;      // shall, must, should, ... ("" when there is none)
  bool negated = false;   // "shall not"
  std::string action;     // the predicate after the modal, "be able to" dropped: "export reports as PDF"
  std::string actor;      // the role that acts, singular: "registered user"; "" when no person is named
  bool actor_is_subject = false;  // "The clerk shall ..." rather than "... shall allow the clerk to ..."
  std::string condition;  // a leading or trailing "if/when/after/before/once/during ..." clause
  std::string benefit;    // a "so that / in order to" clause
  std::vector<std::string> quantities;  // measurable figures: "60 seconds", "99.9%"
};

RequirementParts parts_of(std::string_view requirement);

struct Story {
  std::string user_story;
  std::vector<std::string> acceptance_criteria;
};

Story story_of(const RequirementParts& parts, bool functional);

}  // namespace de::product
