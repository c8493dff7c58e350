#include "agents/product/ambiguity.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <unordered_map>

#include "agents/product/text.hpp"

namespace de::product {

namespace {

struct Rule {
  std::string_view type, reason, advice;  // advice: what to write instead; "%" stands for the word
};

const Rule subjective{"subjective", "subjective: readers judge it differently, so no test can pass or fail it",
                      "Replace '%' with a measurable criterion (number, unit, condition), e.g. 'within 2 seconds' or "
                      "'90% of first-time users complete the task without help'."};
const Rule vague{"vague_qualifier", "vague adverb or adjective: how much, how often or how big is not stated",
                 "Replace '%' with an exact figure or range, e.g. 'at least 3', 'every 10 minutes', 'up to 500 MB'."};
const Rule loophole{"loophole", "loophole: it lets the requirement be skipped, so it cannot be verified",
                    "Delete '%' and state exactly when the requirement applies, or make it unconditional."};
const Rule unverifiable{"non_verifiable", "not verifiable: an absolute or open-ended term that no finite test confirms",
                        "Replace '%' with a bounded, testable statement, e.g. '99.9% of requests in a month' instead of "
                        "'always', or list the cases instead of 'etc.'."};
const Rule superlative{"superlative", "superlative without a measure: best compared with what, measured how?",
                       "Replace '%' with a target value and how it is measured."};
const Rule comparative{"comparative", "comparative without a reference and a measure",
                       "State the reference and the margin, e.g. '20% faster than release 1.2', or an absolute value."};
const Rule negative{"negative", "negative statement: it says what must not happen, leaving what must happen open",
                    "Rephrase positively: state what the system shall do instead (e.g. 'shall reject' rather than "
                    "'shall not accept')."};
const Rule pronoun{"vague_pronoun", "pronoun with an unclear antecedent: it could refer to more than one noun, or to none in the requirement",
                   "Repeat the noun that '%' stands for."};
const Rule uncertain{"uncertain_verb", "uncertain verb: it leaves open whether the behaviour is required",
                     "Use 'shall' for a binding requirement, or mark it explicitly as optional with a priority."};
const Rule open_item{"tbd", "open placeholder: the requirement is incomplete",
                     "Resolve '%': fill in the value or decision, or track it as an open issue with an owner and a date."};
const Rule passive{"passive_voice", "passive voice without an actor: who or what does it is not stated",
                   "Name the actor: 'The <system or role> shall <verb> ...' instead of '%'."};
const Rule compound{"compound", "compound requirement: several requirements in one cannot be traced or verified separately",
                    "Split it into one requirement per statement, each with its own 'shall'."};

struct Entry {
  std::string_view phrase;
  const Rule* rule;
};

// ISO/IEC/IEEE 29148 5.2.7 lists the kinds; the words are the usual ones in requirements
// guidance (29148's examples, INCOSE's rules for writing requirements, Berry's ambiguity handbook).
const std::vector<Entry>& lexicon() {
  static const std::vector<Entry> entries = {
      // subjective
      {"user-friendly", &subjective}, {"user friendly", &subjective}, {"easy", &subjective}, {"easily", &subjective},
      {"easy to use", &subjective}, {"simple", &subjective}, {"simply", &subjective}, {"intuitive", &subjective},
      {"intuitively", &subjective}, {"friendly", &subjective}, {"nice", &subjective}, {"good", &subjective},
      {"beautiful", &subjective}, {"attractive", &subjective}, {"appealing", &subjective}, {"clear", &subjective},
      {"clearly", &subjective}, {"suitable", &subjective}, {"suitably", &subjective}, {"adequate", &subjective},
      {"adequately", &subjective}, {"appropriate", &subjective}, {"appropriately", &subjective},
      {"reasonable", &subjective}, {"reasonably", &subjective}, {"efficient", &subjective},
      {"efficiently", &subjective}, {"effective", &subjective}, {"effectively", &subjective},
      {"flexible", &subjective}, {"robust", &subjective}, {"seamless", &subjective}, {"seamlessly", &subjective},
      {"convenient", &subjective}, {"modern", &subjective}, {"professional", &subjective},
      {"acceptable", &subjective}, {"sufficient", &subjective}, {"sufficiently", &subjective},
      {"safely", &subjective}, {"fast", &subjective}, {"quick", &subjective}, {"quickly", &subjective},
      {"rapid", &subjective}, {"rapidly", &subjective}, {"smooth", &subjective}, {"smoothly", &subjective},
      {"timely", &subjective}, {"promptly", &subjective}, {"high quality", &subjective},
      {"state of the art", &subjective}, {"state-of-the-art", &subjective}, {"powerful", &subjective},
      {"automatic", &subjective}, {"automatically", &subjective}, {"normal", &subjective}, {"normally", &subjective},
      {"proper", &subjective}, {"properly", &subjective}, {"correctly", &subjective}, {"consistent", &subjective},
      {"understandable", &subjective}, {"readable", &subjective}, {"secure", &subjective}, {"reliable", &subjective},
      // vague adverbs and adjectives
      {"almost", &vague}, {"approximately", &vague}, {"roughly", &vague}, {"some", &vague}, {"several", &vague},
      {"many", &vague}, {"few", &vague}, {"various", &vague}, {"numerous", &vague}, {"usually", &vague},
      {"often", &vague}, {"generally", &vague}, {"typically", &vague}, {"mostly", &vague}, {"frequently", &vague},
      {"sometimes", &vague}, {"occasionally", &vague}, {"periodically", &vague}, {"regularly", &vague},
      {"significant", &vague}, {"significantly", &vague}, {"large", &vague}, {"small", &vague}, {"high", &vague},
      {"low", &vague}, {"long", &vague}, {"short", &vague}, {"minimal", &vague}, {"relevant", &vague},
      {"recent", &vague}, {"certain", &vague}, {"similar", &vague}, {"and/or", &vague}, {"etc", &unverifiable},
      {"and so on", &unverifiable}, {"as well as possible", &loophole}, {"enough", &vague}, {"a lot", &vague},
      {"substantial", &vague}, {"major", &vague}, {"minor", &vague}, {"immediately", &vague}, {"instantly", &vague},
      {"real-time", &vague}, {"real time", &vague}, {"sufficient time", &vague},
      // loopholes
      {"if possible", &loophole}, {"as possible", &loophole}, {"where possible", &loophole},
      {"when possible", &loophole}, {"as appropriate", &loophole}, {"if appropriate", &loophole},
      {"where appropriate", &loophole}, {"as applicable", &loophole}, {"if applicable", &loophole},
      {"where applicable", &loophole}, {"if necessary", &loophole}, {"where necessary", &loophole},
      {"as necessary", &loophole}, {"when necessary", &loophole}, {"if needed", &loophole}, {"as needed", &loophole},
      {"as required", &loophole}, {"if required", &loophole}, {"to the extent possible", &loophole},
      {"as far as possible", &loophole}, {"if feasible", &loophole}, {"where feasible", &loophole},
      {"as far as practicable", &loophole}, {"if practicable", &loophole}, {"where practicable", &loophole},
      {"unless otherwise", &loophole},
      // not verifiable
      {"always", &unverifiable}, {"never", &unverifiable}, {"all the time", &unverifiable},
      {"completely", &unverifiable}, {"fully", &unverifiable}, {"totally", &unverifiable},
      {"100%", &unverifiable}, {"optimal", &unverifiable}, {"optimally", &unverifiable}, {"optimize", &unverifiable},
      {"optimise", &unverifiable}, {"maximize", &unverifiable}, {"maximise", &unverifiable},
      {"minimize", &unverifiable}, {"minimise", &unverifiable}, {"provide support", &unverifiable},
      {"but not limited to", &unverifiable}, {"as a minimum", &unverifiable}, {"at a minimum", &unverifiable},
      {"indication", &unverifiable}, {"unlimited", &unverifiable},
      {"infinite", &unverifiable}, {"instantaneous", &unverifiable}, {"no matter", &unverifiable},
      // superlatives and comparatives (dropped when a number follows: "at most 5" is measured)
      {"best", &superlative}, {"worst", &superlative}, {"most", &superlative}, {"least", &superlative},
      {"fastest", &superlative}, {"highest", &superlative}, {"lowest", &superlative}, {"greatest", &superlative},
      {"largest", &superlative}, {"smallest", &superlative}, {"easiest", &superlative}, {"maximum", &superlative},
      {"minimum", &superlative}, {"better", &comparative}, {"worse", &comparative}, {"faster", &comparative},
      {"slower", &comparative}, {"more", &comparative}, {"less", &comparative}, {"fewer", &comparative},
      {"higher", &comparative}, {"lower", &comparative}, {"greater", &comparative}, {"larger", &comparative},
      {"smaller", &comparative}, {"easier", &comparative}, {"longer", &comparative}, {"shorter", &comparative},
      {"earlier", &comparative}, {"later", &comparative}, {"rather than", &comparative},
      // negatives
      {"not", &negative}, {"no", &negative}, {"cannot", &negative}, {"can't", &negative}, {"don't", &negative},
      {"doesn't", &negative}, {"won't", &negative}, {"nor", &negative}, {"neither", &negative}, {"none", &negative},
      {"nothing", &negative},
      // uncertain verbs
      {"should", &uncertain}, {"may", &uncertain}, {"might", &uncertain}, {"could", &uncertain},
      {"would", &uncertain}, {"possibly", &uncertain}, {"perhaps", &uncertain}, {"maybe", &uncertain},
      {"ought to", &uncertain},
      // open items
      {"tbd", &open_item}, {"tbc", &open_item}, {"tba", &open_item}, {"tbs", &open_item},
      {"to be determined", &open_item}, {"to be defined", &open_item}, {"to be confirmed", &open_item},
      {"to be decided", &open_item}, {"to be specified", &open_item}, {"xxx", &open_item},
  };
  return entries;
}

struct Phrase {
  std::vector<std::string> words;
  const Rule* rule;
};

// Lexicon phrases by first word, longest first, so "easy to use" wins over "easy".
const std::unordered_map<std::string, std::vector<Phrase>>& phrases_by_first_word() {
  static const auto table = [] {
    std::unordered_map<std::string, std::vector<Phrase>> out;
    for (const auto& e : lexicon()) {
      Phrase p{{}, e.rule};
      for (const auto& w : words_of(e.phrase)) p.words.push_back(w.lower);
      if (e.phrase == "100%") p.words = {"100"};
      out[p.words.front()].push_back(std::move(p));
    }
    for (auto& [_, list] : out)
      std::stable_sort(list.begin(), list.end(), [](const Phrase& a, const Phrase& b) { return a.words.size() > b.words.size(); });
    return out;
  }();
  return table;
}

bool number_within(const std::vector<Word>& words, std::size_t from, std::size_t count) {
  for (std::size_t k = from; k < words.size() && k < from + count; ++k)
    if (words[k].number) return true;
  return false;
}

bool one_of(std::string_view w, std::initializer_list<std::string_view> list) {
  return std::find(list.begin(), list.end(), w) != list.end();
}

// Words that, after "be", make an expletive "it" ("it shall be possible to ...").
bool expletive_complement(std::string_view w) {
  return one_of(w, {"possible", "necessary", "required", "mandatory", "desirable", "recommended", "permitted",
                    "allowed", "forbidden", "prohibited", "impossible", "important", "essential", "noted", "assumed",
                    "expected", "likely", "acceptable"});
}

bool is_determiner(std::string_view w) {
  return one_of(w, {"the", "a", "an", "each", "every", "any", "this", "that", "these", "those", "all", "some", "no",
                    "its", "their", "his", "her", "another", "other", "both", "either", "such"});
}

// Prepositions that put a noun phrase after them ("to" is left to the conjunctions: it comes
// before verbs as often).
bool is_preposition(std::string_view w) {
  return one_of(w, {"of", "in", "on", "at", "by", "for", "with", "from", "into", "after", "before", "until", "via",
                    "within", "between", "through", "under", "over", "about"});
}

// Conjunctions that open a clause whose subject may come without a determiner ("where fax
// functionality is provided").
bool is_subordinator(std::string_view w) {
  return one_of(w, {"if", "when", "where", "while", "because", "unless"});
}

bool is_preposition_or_conjunction(std::string_view w) {
  return is_preposition(w) || is_subordinator(w) ||
         one_of(w, {"to", "and", "or", "but", "which", "that", "who", "as", "than", "whether", "so"});
}

// A regular past participle ("listed", "received"). Not is_participle: after a noun, its "-en"
// words and short irregulars are as often nouns ("the login screen", "the data set").
bool ends_in_ed(std::string_view w) {
  return w.size() > 4 && w.ends_with("ed") && !w.ends_with("eed");
}

// Words that head no noun phrase though they may stand where one would: "how it will
// provide", "only if", "more than one", "once the driver has".
bool is_adverb_or_question(std::string_view w) {
  return one_of(w, {"how", "why", "what", "whenever", "once", "only", "more", "most", "less", "least", "very", "then",
                    "there", "here", "however", "thus", "therefore", "also", "too", "even", "just"});
}

bool is_verb_like(std::string_view w) {
  return is_modal(w) || one_of(w, {"is", "are", "was", "were", "be", "been", "has", "have", "had", "do", "does", "did"});
}

// A noun phrase before a pronoun, by its head word.
struct Head {
  std::size_t index;  // of the head word
  GrammaticalNumber number;
  bool person;
};

// The noun phrases between words `from` and `until`, as their head words: a determiner starts
// one, the word before a preposition, conjunction, verb or punctuation ends it; an acronym or a
// capitalised word inside the sentence is one by itself.
std::vector<Head> antecedent_heads(std::string_view text, const std::vector<Word>& words, std::size_t from,
                                   std::size_t until) {
  std::vector<Head> heads;
  std::size_t i = from;
  while (i < until) {
    const auto& w = words[i];
    bool starts_phrase = is_determiner(w.lower) && w.lower != "that";
    bool proper = !w.number && std::isupper(static_cast<unsigned char>(text[w.begin])) && i > from;
    // A noun phrase without a determiner: the sentence's first words, the subject after a
    // subordinating conjunction ("where fax functionality is provided"), the object right after
    // a requirement's verb ("shall process data"), or after a preposition ("changes in service
    // requirements").
    bool content = !w.number && !is_stop_word(w.lower) && !is_determiner(w.lower) && !is_verb_like(w.lower) &&
                   !is_preposition_or_conjunction(w.lower) && !is_adverb_or_question(w.lower);
    bool bare_subject = content && (i == from || is_subordinator(words[i - 1].lower) ||
                                    one_of(words[i - 1].lower, {"once", "whenever"}));
    bool bare_object = content && i >= 2 && is_modal(words[i - 2].lower) && !is_verb_like(words[i - 1].lower);
    bool after_preposition = content && i >= 1 && is_preposition(words[i - 1].lower);
    if (!starts_phrase && !proper && !bare_subject && !bare_object && !after_preposition) {
      ++i;
      continue;
    }
    std::size_t first = starts_phrase ? i + 1 : i;
    std::size_t j = first;
    std::size_t head = j;
    while (j < until) {
      const auto& next = words[j];
      if (is_preposition_or_conjunction(next.lower) || is_verb_like(next.lower) || is_determiner(next.lower)) break;
      // A participle after the head, then a preposition, is a clause: "the systems listed in".
      if (j > first && j + 1 < until && ends_in_ed(next.lower) && is_preposition(words[j + 1].lower)) break;
      head = j;
      auto gap = text.substr(next.end, j + 1 < words.size() ? words[j + 1].begin - next.end : 0);
      ++j;
      if (gap.find_first_of(",.;:()") != std::string_view::npos) break;
    }
    if (head < until && !is_stop_word(words[head].lower) && !is_adverb_or_question(words[head].lower)) {
      const auto& h = words[head];
      heads.push_back({head, number_of_noun(text.substr(h.begin, h.end - h.begin)), names_a_person(h.lower)});
    }
    i = std::max(j, i + 1);
  }
  return heads;
}

// "it shall be possible", "it is necessary": an "it" that stands for no noun (expletive).
bool is_expletive_it(const std::vector<Word>& words, std::size_t i) {
  if (words[i].lower != "it" || i + 2 >= words.size()) return false;
  std::size_t k = i + 1;
  if (is_modal(words[k].lower)) ++k;
  return k + 1 < words.size() && (words[k].lower == "be" || words[k].lower == "is") &&
         expletive_complement(words[k + 1].lower);
}

// The first word of the sentence (as sentences_of splits them) that holds word `i`.
std::size_t sentence_start(std::string_view text, const std::vector<Word>& words, std::size_t i) {
  std::size_t begin = 0;
  for (auto sentence : sentences_of(text)) {
    auto at = static_cast<std::size_t>(sentence.data() - text.data());
    if (at > words[i].begin) break;
    begin = at;
  }
  while (i > 0 && words[i - 1].begin >= begin) --i;
  return i;
}

// The nouns before pronoun `i` that it could stand for, when that is not exactly one (none
// when nothing agrees with it); nothing when the pronoun is clear. A noun mentioned twice is
// one candidate. An expletive "it" is clear at the start of its sentence and unclear after any
// noun of its sentence that agrees with it: "Where fax is provided, it shall be possible to
// ..." reads as the fax until "possible".
std::optional<std::vector<std::string>> unclear_antecedents(std::string_view text, const std::vector<Word>& words,
                                                            std::size_t i, bool expletive) {
  const auto& w = words[i].lower;
  bool wants_plural = one_of(w, {"they", "them", "their", "theirs"});
  bool personal = one_of(w, {"he", "him", "his", "she", "her"});
  // A possessive never stands for the noun whose phrase holds it: in "the end of its route",
  // "its" is not the end's.
  bool possessive = one_of(w, {"its", "their", "his", "her"});
  std::size_t holder = possessive && i >= 2 && words[i - 1].lower == "of" ? i - 2 : words.size();
  std::vector<std::string> agreeing;
  for (const auto& h : antecedent_heads(text, words, expletive ? sentence_start(text, words, i) : 0, i)) {
    if (h.index == holder) continue;
    bool same_number = h.number == GrammaticalNumber::either || (h.number == GrammaticalNumber::plural) == wants_plural;
    // "it" and "its" never stand for a person ("the operator"); "they" may.
    bool agrees = personal ? h.person : same_number && (wants_plural || !h.person);
    const auto& head = words[h.index];
    if (agrees && std::none_of(agreeing.begin(), agreeing.end(), [&](const std::string& a) { return to_lower(a) == head.lower; }))
      agreeing.emplace_back(text.substr(head.begin, head.end - head.begin));
  }
  if (expletive ? agreeing.empty() : agreeing.size() == 1) return std::nullopt;
  return agreeing;
}

// What to write instead of an unclear pronoun, naming the nouns it could stand for.
std::string pronoun_advice(std::string_view pronoun, const std::vector<std::string>& nouns, bool expletive) {
  if (nouns.empty()) return fmt::format("No noun before '{}' agrees with it: write the noun meant instead.", pronoun);
  std::string list;
  std::size_t shown = std::min<std::size_t>(nouns.size(), 3);
  for (std::size_t k = 0; k < shown; ++k) list += std::string(k == 0 ? "" : k + 1 == shown ? " or " : ", ") + "'" + nouns[k] + "'";
  if (expletive)
    return fmt::format("'{}' reads as {} until the sentence shows it stands for no noun: name who acts instead "
                       "(\"the operator shall be able to ...\").", pronoun, list);
  return fmt::format("'{}' could stand for {}: write the one meant instead.", pronoun, list);
}

std::string with_word(std::string_view advice, std::string_view word) {
  std::string out;
  for (char c : advice) {
    if (c == '%')
      out += word;
    else
      out += c;
  }
  return out;
}


}  // namespace

std::vector<Ambiguity> find_ambiguities(std::string_view requirement) {
  auto words = words_of(requirement);
  std::vector<Ambiguity> found;
  // `suggestion`: written for this finding; else the rule's advice with the finding's words.
  auto add = [&](std::size_t first, std::size_t last, const Rule& rule, std::optional<std::string> suggestion = {}) {
    Ambiguity a;
    a.begin = words[first].begin;
    a.end = words[last].end;
    a.text = std::string(requirement.substr(a.begin, a.end - a.begin));
    a.type = rule.type;
    a.reason = rule.reason;
    a.suggestion = suggestion ? std::move(*suggestion) : with_word(rule.advice, a.text);
    found.push_back(std::move(a));
  };

  const auto& table = phrases_by_first_word();
  std::size_t modals = 0;
  for (std::size_t i = 0; i < words.size(); ++i) {
    const auto& w = words[i].lower;
    if (one_of(w, {"shall", "must", "should", "will"}) && ++modals == 2) add(i, i, compound);

    // "This shall ...", "these are ...": a demonstrative with no noun after it stands for
    // something said elsewhere.
    bool lone_demonstrative = one_of(w, {"this", "these", "those"}) &&
                              (i + 1 == words.size() || is_verb_like(words[i + 1].lower) || words[i + 1].lower == "means");
    if (lone_demonstrative) {
      add(i, i, pronoun);
      continue;
    }
    if (one_of(w, {"it", "its", "they", "them", "their", "theirs", "he", "him", "his", "she", "her"})) {
      bool expletive = is_expletive_it(words, i);
      if (auto nouns = unclear_antecedents(requirement, words, i, expletive)) {
        add(i, i, pronoun, pronoun_advice(requirement.substr(words[i].begin, words[i].end - words[i].begin), *nouns,
                                          expletive));
        continue;
      }
    }
    // Passive without an actor: "shall be stored" with no "by ..." after it.
    if (w == "be" && i > 0 && is_modal(words[i - 1].lower) && i + 1 < words.size() && is_participle(words[i + 1].lower) &&
        std::none_of(words.begin() + static_cast<std::ptrdiff_t>(i), words.end(), [](const Word& x) { return x.lower == "by"; })) {
      add(i - 1, i + 1, passive);
      ++i;
      continue;
    }
    auto it = table.find(w);
    if (it == table.end()) continue;
    for (const auto& phrase : it->second) {
      std::size_t n = phrase.words.size();
      if (i + n > words.size()) continue;
      bool match = true;
      for (std::size_t k = 1; k < n && match; ++k) match = words[i + k].lower == phrase.words[k];
      if (w == "100" && (i + 1 >= words.size() || requirement.substr(words[i].end, 1) != "%")) match = false;
      if (!match) continue;
      const Rule& rule = *phrase.rule;
      // A measure right after makes it testable: "at most 5 s", "no more than 3 users", "maximum 500 km/h".
      if ((&rule == &superlative || &rule == &comparative || &rule == &negative || &rule == &vague) &&
          number_within(words, i + n, 3))
        break;
      if (&rule == &uncertain && w == "may" && i > 0 && words[i - 1].lower == "as") break;  // "as may be"
      add(i, i + n - 1, rule);
      i += n - 1;
      break;
    }
  }
  return found;
}

}  // namespace de::product
