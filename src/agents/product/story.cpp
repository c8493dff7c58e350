#include "agents/product/story.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include "agents/product/text.hpp"

namespace de::product {

namespace {

constexpr std::array<std::string_view, 9> condition_words = {"if", "when", "whenever", "after", "before", "once",
                                                             "while", "during", "upon"};

// Modal phrases in the order they are looked for: a longer one before its prefix.
constexpr std::array<std::string_view, 12> modal_phrases = {
    "is required to", "are required to", "needs to", "need to", "has to", "have to",
    "shall", "must", "should", "will", "may", "can"};

// A subject that is a machine, not a person: the sentence then names no actor.
bool machine(std::string_view w) {
  static constexpr std::array<std::string_view, 10> parts = {"server", "service", "module", "component", "interface",
                                                             "database", "program", "portal", "api", "site"};
  return names_the_system(w) || std::find(parts.begin(), parts.end(), w) != parts.end();
}

// Position of `word` as a whole word in lower-cased `text` at or after `from`, npos when absent.
std::size_t find_word(std::string_view text, std::string_view word, std::size_t from = 0) {
  for (auto at = text.find(word, from); at != std::string_view::npos; at = text.find(word, at + 1)) {
    bool left = at == 0 || !std::isalnum(static_cast<unsigned char>(text[at - 1]));
    bool right = at + word.size() == text.size() || !std::isalnum(static_cast<unsigned char>(text[at + word.size()]));
    if (left && right) return at;
  }
  return std::string_view::npos;
}

std::string without_article(std::string_view phrase) {
  phrase = trim(phrase);
  for (std::string_view article : {"the ", "a ", "an ", "all ", "each ", "every ", "any ", "only "})
    if (to_lower(phrase.substr(0, article.size())) == article) return std::string(trim(phrase.substr(article.size())));
  return std::string(phrase);
}

std::string strip_end_punctuation(std::string_view s) {
  s = trim(s);
  while (!s.empty() && (s.back() == '.' || s.back() == ';' || s.back() == ',' || s.back() == ':')) s.remove_suffix(1);
  return std::string(trim(s));
}

// "display the menu" -> "displays the menu": the verb in the third person singular.
std::string third_person(std::string_view action) {
  auto space = action.find(' ');
  std::string verb(action.substr(0, space)), rest(space == std::string_view::npos ? "" : action.substr(space));
  auto lower = to_lower(verb);
  if (lower == "be") return "is" + rest;
  if (lower == "have") return "has" + rest;
  if (lower.empty() || !std::isalpha(static_cast<unsigned char>(lower.back()))) return std::string(action);
  if (lower.ends_with("s") || lower.ends_with("sh") || lower.ends_with("ch") || lower.ends_with("x") ||
      lower.ends_with("z") || lower.ends_with("o"))
    return verb + "es" + rest;
  if (lower.size() > 1 && lower.ends_with("y") && std::string_view("aeiou").find(lower[lower.size() - 2]) == std::string_view::npos)
    return verb.substr(0, verb.size() - 1) + "ies" + rest;
  return verb + "s" + rest;
}

// "registered customers" -> "registered customer": a story is told by one person.
std::string singular(std::string phrase) {
  if (phrase.ends_with("ies") && phrase.size() > 4) return phrase.substr(0, phrase.size() - 3) + "y";
  if (phrase.size() > 3 && phrase.ends_with("s") && !phrase.ends_with("ss") && !phrase.ends_with("us")) phrase.pop_back();
  return phrase;
}

// "a user", "an administrator", "an unknown role": by the sound, so a "u" read "you" takes "a".
std::string with_article(const std::string& noun) {
  bool vowel = !noun.empty() && std::string_view("aeiou").find(noun[0]) != std::string_view::npos;
  for (std::string_view you : {"us", "uni", "uti", "ure", "eu"})
    if (noun.starts_with(you)) vowel = false;
  return (vowel ? "an " : "a ") + noun;
}

// The phrase's head noun decides, the last word before a relative clause or a preposition:
// "users who could not log in" are plural, "the list of users" is singular.
bool plural(std::string_view noun_phrase) {
  static constexpr std::array<std::string_view, 11> head_ends = {"who", "that", "which", "whose", "of", "in",
                                                                 "on",  "for",  "with",  "from",  "at"};
  auto words = words_of(noun_phrase);
  std::size_t head = words.size();
  for (std::size_t i = 1; i < words.size(); ++i)
    if (std::find(head_ends.begin(), head_ends.end(), words[i].lower) != head_ends.end()) {
      head = i;
      break;
    }
  if (head == 0) return false;
  const auto& noun = words[head - 1];
  return number_of_noun(noun_phrase.substr(noun.begin, noun.end - noun.begin)) == GrammaticalNumber::plural;
}

std::string lower_first(std::string_view s) {
  std::string out(s);
  // Keep acronyms ("ETCS") and names as written; lower only a capitalised ordinary word.
  if (out.size() > 1 && std::isupper(static_cast<unsigned char>(out[0])) && std::islower(static_cast<unsigned char>(out[1])))
    out[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(out[0])));
  return out;
}

}  // namespace

RequirementParts parts_of(std::string_view requirement) {
  RequirementParts parts;
  std::string text = strip_end_punctuation(requirement);
  for (auto& q : quantities_in(text)) parts.quantities.push_back(std::move(q.text));

  // A leading condition runs to the first comma: "When a user logs in, the system shall ...".
  auto lower = to_lower(text);
  for (auto word : condition_words)
    if (starts_with_word(lower, word)) {
      auto comma = text.find(',');
      if (comma != std::string::npos) {
        parts.condition = std::string(trim(std::string_view(text).substr(0, comma)));
        text = std::string(trim(std::string_view(text).substr(comma + 1)));
        lower = to_lower(text);
      }
      break;
    }
  for (std::string_view marker : {"so that", "in order to"}) {
    if (auto at = find_word(lower, marker); at != std::string::npos) {
      parts.benefit = strip_end_punctuation(std::string_view(text).substr(at + marker.size()));
      if (marker == "in order to") parts.benefit = "I can " + parts.benefit;
      text = strip_end_punctuation(std::string_view(text).substr(0, at));
      lower = to_lower(text);
      break;
    }
  }

  std::size_t modal_at = std::string::npos;
  std::string_view modal;
  for (auto phrase : modal_phrases) {
    auto at = find_word(lower, phrase);
    if (at < modal_at) {
      modal_at = at;
      modal = phrase;
    }
  }
  // "could" (MoSCoW's optional) is the modal only when no other is there: "Users who could not
  // log in shall be notified" is about the users.
  if (modal_at == std::string::npos && (modal_at = find_word(lower, "could")) != std::string::npos) modal = "could";
  if (modal_at == std::string::npos) {
    parts.action = text;
    return parts;
  }
  parts.modal = std::string(modal);
  parts.subject = std::string(trim(std::string_view(text).substr(0, modal_at)));
  std::string_view rest = trim(std::string_view(text).substr(modal_at + modal.size()));
  if (starts_with_word(rest, "not")) {
    parts.negated = true;
    rest = trim(rest.substr(3));
  }
  for (std::string_view filler : {"be able to", "be capable of", "provide the ability to", "provide the capability to"})
    if (to_lower(rest.substr(0, filler.size())) == filler) rest = trim(rest.substr(filler.size()));

  // A trailing condition: "... shall lock the account after three failed attempts".
  auto rest_lower = to_lower(rest);
  for (auto word : condition_words) {
    auto at = find_word(rest_lower, word);
    if (at != std::string::npos && at > 0 && parts.condition.empty()) {
      parts.condition = std::string(trim(rest.substr(at)));
      rest = trim(rest.substr(0, at));
      rest_lower = to_lower(rest);
    }
  }

  // "allow/enable/let/permit <role> to <action>": the role is the actor.
  for (std::string_view verb : {"allow", "enable", "let", "permit"}) {
    if (!starts_with_word(rest_lower, verb)) continue;
    auto to = find_word(rest_lower, "to", verb.size());
    if (to == std::string::npos) break;
    parts.actor = singular(without_article(rest.substr(verb.size(), to - verb.size())));
    rest = trim(rest.substr(to + 2));
    break;
  }
  parts.action = std::string(rest);

  // "Reports shall be generated by ...": the subject is what is acted on, not who acts.
  auto action_words = words_of(parts.action);
  bool passive = action_words.size() > 1 && action_words[0].lower == "be" && is_participle(action_words[1].lower);
  if (parts.actor.empty() && !passive) {
    auto subject_words = words_of(parts.subject);
    bool system = subject_words.empty() || machine(subject_words.back().lower) ||
                  std::all_of(parts.subject.begin(), parts.subject.end(),
                              [](char c) { return !std::islower(static_cast<unsigned char>(c)); });
    if (!system) {
      parts.actor = singular(to_lower(without_article(parts.subject)));
      parts.actor_is_subject = true;
    }
  }
  return parts;
}

Story story_of(const RequirementParts& parts, bool functional) {
  // A subject of no words ("--", quotes alone) reads as no subject.
  const auto subject_words = words_of(parts.subject);
  // A quality requirement's subject is mostly a thing ("The checkout page shall load within 2
  // seconds"): an actor there only when it names a person.
  const bool actor_is_subject = parts.actor_is_subject && (functional || (!subject_words.empty() &&
                                                                          names_a_person(subject_words.back().lower)));
  const std::string role = parts.actor_is_subject && !actor_is_subject ? std::string() : parts.actor;
  Story story;
  const bool actor_known = !role.empty();
  const std::string actor = actor_known ? role : "user (the requirement names no actor: confirm the role)";
  const std::string subject = parts.subject.empty() ? "the system" : lower_first(parts.subject);

  std::string want;
  if (parts.modal.empty()) {
    want = lower_first(parts.action);
  } else if (actor_is_subject || (actor_known && !parts.action.empty() && parts.subject.empty())) {
    want = (parts.negated ? "not to " : "to ") + parts.action;
  } else if (actor_known) {
    want = subject + (parts.negated ? " not to let me " : " to let me ") + parts.action;
  } else {
    want = subject + (parts.negated ? " not to " : " to ") + parts.action;
  }
  story.user_story = "As " + with_article(actor) + ", I want " + want + ", so that " +
                     (parts.benefit.empty() ? "... (the requirement states no benefit: ask the stakeholder)" : parts.benefit) + ".";

  if (parts.modal.empty()) {
    story.acceptance_criteria.push_back(
        "Not testable as written: the statement has no modal verb (shall/must), so the required behaviour is unclear.");
    return story;
  }
  const bool machine_subject = subject_words.empty() || (!actor_is_subject && machine(subject_words.back().lower));
  std::string given = actor_is_subject  ? "Given " + with_article(role)
                      : machine_subject ? "Given " + subject + " is in operation"
                                        : "Given the system under specification is in operation";
  std::string when;
  std::string then;
  if (!parts.condition.empty()) {
    auto condition = lower_first(parts.condition);
    for (std::string_view word : {"when ", "whenever ", "if ", "once ", "upon "})
      if (condition.starts_with(word)) condition = condition.substr(word.size());
    when = "when " + condition;
  } else if (actor_known) {
    when = "when the " + role + (parts.negated ? " attempts to " : " chooses to ") + parts.action;
  } else {
    when = "when the behaviour is exercised";
  }
  if (actor_known && !actor_is_subject) {
    then = "then " + subject + (parts.negated ? " does not let the " : " lets the ") + role + " " + parts.action;
  } else {
    auto doer = actor_is_subject ? "the " + role : subject;
    // "then reports are generated", "then the system stores ...": the verb agrees with the doer.
    const bool many = plural(doer);
    auto predicate = many ? (parts.action.starts_with("be ") ? "are" + parts.action.substr(2) : parts.action)
                          : third_person(parts.action);
    then = "then " + doer + (parts.negated ? (many ? " do not " : " does not ") + parts.action : " " + predicate);
  }
  story.acceptance_criteria.push_back(given + ", " + when + ", " + then + ".");
  for (const auto& q : parts.quantities)
    story.acceptance_criteria.push_back("Given a measurement under the stated conditions, then the result meets '" + q + "'.");
  if (!functional && parts.quantities.empty())
    story.acceptance_criteria.push_back(
        "Not testable as written: the quality requirement states no measurable target (add a number, a unit and the "
        "conditions of measurement).");
  return story;
}

}  // namespace de::product
