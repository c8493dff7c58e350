#include "agents/product/priority.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <unordered_set>

#include "agents/product/text.hpp"
#include "core/json.hpp"

namespace de::product {

namespace json = boost::json;

namespace {

// Reach when the requirement states no number: the user base counts as 1,000 people a quarter,
// so that stated numbers and these defaults share one unit.
constexpr double whole_base = 1000, general_users = 500, one_role = 250;

bool contains_phrase(std::string_view lower, std::string_view phrase) {
  for (auto at = lower.find(phrase); at != std::string_view::npos; at = lower.find(phrase, at + 1)) {
    bool starts = at == 0 || !std::isalnum(static_cast<unsigned char>(lower[at - 1]));
    auto end = at + phrase.size();
    bool ends = end == lower.size() || !std::isalnum(static_cast<unsigned char>(lower[end]));
    if (starts && ends) return true;
  }
  return false;
}

std::optional<std::string_view> first_phrase(std::string_view lower, std::span<const std::string_view> phrases) {
  for (auto phrase : phrases)
    if (contains_phrase(lower, phrase)) return phrase;
  return std::nullopt;
}

bool people_noun(std::string_view stemmed) {
  static constexpr std::string_view nouns[] = {"user",    "customer", "visitor", "people",  "person", "member",
                                               "employee", "client",  "student", "patient", "account", "subscriber",
                                               "shopper", "player",   "driver",  "citizen", "staff",  "operator"};
  return std::find(std::begin(nouns), std::end(nouns), stemmed) != std::end(nouns);
}

// "10,000 users", "2 million customers", "500 concurrent users": the largest stated number of people.
std::optional<std::pair<double, std::string>> stated_people(std::string_view text) {
  auto words = words_of(text);
  std::optional<std::pair<double, std::string>> best;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (!words[i].number) continue;
    // Digits grouped with commas are one number: "10,000" is the words "10" and "000".
    std::string digits = words[i].lower;
    auto last = i;
    while (last + 1 < words.size() && words[last + 1].number && words[last + 1].begin == words[last].end + 1 &&
           text[words[last].end] == ',' && words[last + 1].lower.size() == 3)
      digits += words[++last].lower;
    double value = 0;
    try {
      value = std::stod(digits);
    } catch (const std::exception&) {
      continue;
    }
    auto next = last + 1;
    if (next < words.size() && (words[next].lower == "thousand" || words[next].lower == "k")) value *= 1e3, ++next;
    else if (next < words.size() && words[next].lower == "million") value *= 1e6, ++next;
    // Up to two describing words between the number and the people: "500 concurrent active users".
    for (auto k = next; k < words.size() && k <= next + 2; ++k) {
      if (!people_noun(stem(words[k].lower))) continue;
      if (!best || value > best->first)
        best.emplace(value, std::string(text.substr(words[i].begin, words[k].end - words[i].begin)));
      break;
    }
  }
  return best;
}

bool category_is(const Classification& c, std::initializer_list<std::string_view> names) {
  if (c.functional) return false;
  return std::find(names.begin(), names.end(), nfr_categories[c.category]) != names.end();
}

std::string_view category_of(const Classification& c) { return c.functional ? "functional" : nfr_categories[c.category]; }

std::string figure(double v) {
  auto s = fmt::format("{:.2f}", v);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

double round_to(double v, double step) { return std::round(v / step) * step; }

struct Rules {
  const AnalyzedRequirement& item;
  std::string lower;
  RequirementParts parts;
  Priority out;

  explicit Rules(const AnalyzedRequirement& analysed)
      : item(analysed), lower(to_lower(analysed.requirement.text)), parts(parts_of(analysed.requirement.text)) {}

  void because(std::string_view factor, std::string why) { out.reasons.push_back({std::string(factor), std::move(why)}); }

  void reach() {
    const auto& c = item.classification;
    static constexpr std::string_view everyone[] = {"all users", "every user", "any user", "each user", "all customers",
                                                    "every customer", "all visitors", "everyone"};
    if (auto stated = stated_people(item.requirement.text)) {
      out.reach = stated->first;
      because("reach", "states the number of people: '" + stated->second + "'");
    } else if (auto phrase = first_phrase(lower, everyone)) {
      out.reach = whole_base;
      because("reach", fmt::format("applies to '{}': the whole user base ({} when no number is stated)", *phrase, whole_base));
    } else if (category_is(c, {"availability", "performance", "usability", "look and feel", "security", "fault tolerance",
                               "scalability"})) {
      out.reach = whole_base;
      because("reach", fmt::format("a {} requirement is met by every user: the whole user base ({})", category_of(c), whole_base));
    } else if (!parts.actor.empty() && parts.actor != "user") {
      out.reach = one_role;
      because("reach", fmt::format("only the '{}' role is named: a part of the user base ({})", parts.actor, one_role));
    } else {
      out.reach = general_users;
      because("reach", fmt::format("{}: users in general, half the user base ({})",
                                   parts.actor.empty() ? "names no role" : "names users without a role", general_users));
    }
  }

  // The modality, read once for impact and MoSCoW.
  std::string_view explicit_moscow;  // "" when the text says none
  std::string moscow_word;

  void modality() {
    static constexpr std::string_view wont[] = {"won't",          "will not be included", "will not be implemented",
                                                "will not be delivered", "out of scope",  "not in this release",
                                                "not in the first release", "future release", "later release",
                                                "deferred"};
    static constexpr std::string_view could[] = {"could", "optional", "optionally", "nice to have", "if time permits",
                                                 "may"};
    static constexpr std::string_view should[] = {"should", "recommended", "preferably", "ideally"};
    static constexpr std::string_view must[] = {"must", "shall", "is required to", "are required to", "required",
                                                "mandatory", "has to", "have to", "needs to", "need to"};
    const std::pair<std::string_view, std::span<const std::string_view>> classes[] = {
        {"wont", wont}, {"must", must}, {"should", should}, {"could", could}};
    for (const auto& [name, phrases] : classes)
      if (auto phrase = first_phrase(lower, phrases)) {
        explicit_moscow = name;
        moscow_word = std::string(*phrase);
        return;
      }
  }

  void impact() {
    const auto& c = item.classification;
    std::size_t level = 2;  // medium
    std::string why = "states no obligation: medium";
    if (explicit_moscow == "must") level = 3, why = "'" + moscow_word + "' makes it an obligation: high";
    else if (explicit_moscow == "should") level = 2, why = "'" + moscow_word + "' makes it expected but not binding: medium";
    else if (explicit_moscow == "could") level = 1, why = "'" + moscow_word + "' makes it optional: low";
    else if (explicit_moscow == "wont") level = 0, why = "'" + moscow_word + "' puts it out of this release: minimal";
    if (explicit_moscow == "must" && category_is(c, {"legal", "security", "availability", "fault tolerance"})) {
      level = 4;
      why += fmt::format("; a {} obligation missed means legal exposure, a breach or an outage: massive", category_of(c));
    }
    if (!parts.benefit.empty() && level < 4 && explicit_moscow != "wont") {
      ++level;
      why += "; it states the benefit ('" + parts.benefit + "'): one step more";
    }
    out.impact = impact_scale[level];
    because("impact", why);
  }

  void confidence() {
    double confidence = 1;
    std::vector<std::string> whys;
    std::map<std::string_view, std::size_t> by_type;
    for (const auto& a : item.ambiguities) ++by_type[a.type];
    for (const auto& [type, n] : by_type) {
      // An open placeholder or an unverifiable term leaves the requirement itself undecided.
      double each = type == "tbd" || type == "non_verifiable" ? 0.2 : 0.1;
      confidence -= each * double(n);
      whys.push_back(fmt::format("{} {} finding{} (-{} each)", n, type, n == 1 ? "" : "s", figure(each)));
    }
    if (!item.conflicts.empty()) {
      confidence -= 0.2 * double(item.conflicts.size());
      whys.push_back(fmt::format("conflicts with {} (-0.2 each)", fmt::join(item.conflicts, ", ")));
    }
    const auto& c = item.classification;
    double class_probability = c.confidence();
    if (class_probability < 0.6) {
      confidence -= 0.1;
      whys.push_back(fmt::format("its class is uncertain ({:.2f}), and so are the estimates that rest on it (-0.1)", class_probability));
    }
    out.confidence = std::max(0.1, round_to(confidence, 0.01));
    because("confidence", whys.empty() ? std::string("no ambiguity, conflict or doubt about its class: full confidence")
                                       : fmt::format("{}", fmt::join(whys, "; ")));
  }

  // `lower_ids`: every requirement's id, lower-cased (once for the document).
  void effort(const std::vector<AnalyzedRequirement>& all, const std::vector<std::string>& lower_ids, std::size_t index) {
    double effort = 1;
    std::vector<std::string> whys{"one behaviour: 1 person-month"};
    auto words = words_of(item.requirement.text).size();
    if (words > 40) effort += 1, whys.push_back(fmt::format("a long statement ({} words): +1", words));
    else if (words > 25) effort += 0.5, whys.push_back(fmt::format("a longer statement ({} words): +0.5", words));
    auto compound = std::count_if(item.ambiguities.begin(), item.ambiguities.end(),
                                  [](const Ambiguity& a) { return a.type == "compound"; });
    if (compound) {
      effort += 0.5 * double(compound);
      whys.push_back(fmt::format("bundles several requirements ({} compound finding{}): +0.5 each", compound, compound == 1 ? "" : "s"));
    }
    static constexpr std::string_view integration[] = {"integrate", "integrated", "integration", "interface with", "import",
                                                       "export", "migrate", "migration", "synchronize", "synchronise",
                                                       "third-party", "third party", "external system", "api"};
    if (auto phrase = first_phrase(lower, integration))
      effort += 1, whys.push_back("touches another system ('" + std::string(*phrase) + "'): +1");
    const auto& c = item.classification;
    if (category_is(c, {"scalability", "performance", "availability", "fault tolerance"}))
      effort += 1, whys.push_back(fmt::format("a {} quality is built and measured across the whole system: +1", category_of(c)));
    else if (category_is(c, {"security", "legal", "portability"}))
      effort += 0.5, whys.push_back(fmt::format("a {} requirement needs review or certification: +0.5", category_of(c)));
    for (const auto& q : parts.quantities)
      if (q.ends_with('%') && std::stod(q) >= 99.9) {
        effort += 1;
        whys.push_back("'" + q + "' needs redundancy to reach: +1");
        break;
      }
    // Dependencies: another requirement of the document named in this one.
    // Ids are single words ("FR-12", "3.1.2a"): looked up among this requirement's words.
    std::unordered_set<std::string> own_words;
    for (auto& w : words_of(lower)) own_words.insert(std::move(w.lower));
    for (std::size_t j = 0; j < all.size(); ++j) {
      if (j != index && lower_ids[j].size() > 1 && own_words.contains(lower_ids[j])) {
        effort += 0.5;
        whys.push_back("depends on " + all[j].requirement.id + ", named in it: +0.5");
      }
    }
    // A near-duplicate of an earlier requirement is mostly done with it.
    for (const auto& d : item.duplicates) {
      auto earlier = std::find_if(all.begin(), all.begin() + std::ptrdiff_t(index),
                                  [&](const AnalyzedRequirement& a) { return a.requirement.id == d; });
      if (earlier != all.begin() + std::ptrdiff_t(index)) {
        effort /= 2;
        whys.push_back("a near-duplicate of " + d + ", done with it: halved");
        break;
      }
    }
    out.effort = std::max(0.25, round_to(effort, 0.25));
    because("effort", fmt::format("{} = {} person-months", fmt::join(whys, "; "), figure(out.effort)));
  }
};

double score_of(const Priority& p) { return std::round(p.reach * p.impact * p.confidence / p.effort * 100) / 100; }

}  // namespace

std::vector<Priority> prioritize(const std::vector<AnalyzedRequirement>& items) {
  std::vector<Priority> out;
  std::vector<std::string> lower_ids;
  for (const auto& item : items) lower_ids.push_back(to_lower(item.requirement.id));
  std::vector<std::string_view> explicit_moscow;
  std::vector<std::string> moscow_words;
  for (std::size_t i = 0; i < items.size(); ++i) {
    Rules rules(items[i]);
    rules.reach();
    rules.modality();
    rules.impact();
    rules.confidence();
    rules.effort(items, lower_ids, i);
    rules.out.score = score_of(rules.out);
    explicit_moscow.push_back(rules.explicit_moscow);
    moscow_words.push_back(rules.moscow_word);
    out.push_back(std::move(rules.out));
  }
  // Without an explicit word the requirement is ranked against the document: at or above the
  // median score of those likewise unmarked it is a should, below a could.
  std::vector<double> unmarked;
  for (std::size_t i = 0; i < out.size(); ++i)
    if (explicit_moscow[i].empty()) unmarked.push_back(out[i].score);
  std::sort(unmarked.begin(), unmarked.end());
  double median = unmarked.empty() ? 0 : unmarked[unmarked.size() / 2];
  for (std::size_t i = 0; i < out.size(); ++i) {
    auto& p = out[i];
    if (!explicit_moscow[i].empty()) {
      p.moscow = std::string(explicit_moscow[i]);
      p.reasons.push_back({"moscow", "the text says '" + moscow_words[i] + "'"});
    } else {
      p.moscow = p.score >= median ? "should" : "could";
      p.reasons.push_back({"moscow", fmt::format("no must/should/could/won't word: its score {} is {} the median {} of "
                                                 "the {} unmarked requirements",
                                                 figure(p.score), p.score >= median ? "at or above" : "below",
                                                 figure(median), unmarked.size())});
    }
  }
  return out;
}

void apply_values(Priority& p, const PriorityValues& values, std::string_view source, bool person) {
  auto set = [&](std::string_view factor, auto& into, const auto& value) {
    if (!value) return;
    into = *value;
    std::erase_if(p.reasons, [&](const PriorityReason& r) { return r.factor == factor; });
    p.reasons.push_back({std::string(factor), person ? "set by a person" : "estimated by " + std::string(source)});
    if (person && std::find(p.overridden.begin(), p.overridden.end(), factor) == p.overridden.end())
      p.overridden.emplace_back(factor);
  };
  set("reach", p.reach, values.reach);
  set("impact", p.impact, values.impact);
  set("confidence", p.confidence, values.confidence);
  set("effort", p.effort, values.effort);
  set("moscow", p.moscow, values.moscow);
  p.score = score_of(p);
  if (!person) p.method = std::string(source);
  if (p.overridden.size() == 5) p.method = "person";
}

PriorityValues read_priority_values(const json::object& object, const std::string& prefix,
                                    std::vector<core::FieldError>& errors) {
  core::ObjectReader r(object, prefix);
  PriorityValues v;
  auto number = [&](const char* key, double min, double max, std::optional<double>& into) {
    auto n = r.number(key, false);
    if (!n) return;
    if (!(*n >= min && *n <= max)) r.error(key, fmt::format("must be from {} to {}", figure(min), figure(max)));
    else into = *n;
  };
  number("reach", 0, 1e9, v.reach);
  number("impact", 0, 3, v.impact);
  if (v.impact && std::find(impact_scale.begin(), impact_scale.end(), *v.impact) == impact_scale.end()) {
    r.error("impact", "must be one of RICE's steps: 0.25, 0.5, 1, 2, 3");
    v.impact.reset();
  }
  number("confidence", 0.01, 1, v.confidence);
  number("effort", 0.01, 1000, v.effort);
  v.moscow = r.choice("moscow", false, moscow_classes);
  for (auto& e : r.take_errors()) errors.push_back(std::move(e));
  return v;
}

json::object to_json(const PriorityValues& v) {
  json::object o;
  if (v.reach) o["reach"] = *v.reach;
  if (v.impact) o["impact"] = *v.impact;
  if (v.confidence) o["confidence"] = *v.confidence;
  if (v.effort) o["effort"] = *v.effort;
  if (v.moscow) o["moscow"] = *v.moscow;
  return o;
}

json::object to_json(const Priority& p) {
  json::array reasons, overridden;
  for (const auto& r : p.reasons) reasons.push_back(json::object{{"factor", r.factor}, {"why", r.why}});
  for (const auto& f : p.overridden) overridden.emplace_back(f);
  return {{"reach", p.reach},         {"impact", p.impact}, {"confidence", p.confidence},
          {"effort", p.effort},       {"score", p.score},   {"moscow", p.moscow},
          {"method", p.method},       {"overridden", std::move(overridden)},
          {"reasoning", std::move(reasons)}};
}

std::optional<Priority> priority_from_json(const json::value& value) {
  const auto* o = value.if_object();
  if (!o) return std::nullopt;
  Priority p;
  auto number = [&](const char* key, double& into) {
    const auto* v = o->if_contains(key);
    if (!v || !v->is_number()) return false;
    into = v->to_number<double>();
    return true;
  };
  auto text = [&](const char* key, std::string& into) {
    const auto* v = o->if_contains(key);
    if (!v || !v->is_string()) return false;
    into = std::string(v->get_string());
    return true;
  };
  if (!number("reach", p.reach) || !number("impact", p.impact) || !number("confidence", p.confidence) ||
      !number("effort", p.effort) || !number("score", p.score) || !text("moscow", p.moscow) || !text("method", p.method))
    return std::nullopt;
  if (const auto* list = o->if_contains("overridden"); list && list->is_array())
    for (const auto& f : list->get_array())
      if (f.is_string()) p.overridden.emplace_back(f.get_string());
  if (const auto* list = o->if_contains("reasoning"); list && list->is_array())
    for (const auto& r : list->get_array())
      if (const auto* reason = r.if_object(); reason && reason->contains("factor") && reason->contains("why"))
        p.reasons.push_back({std::string(reason->at("factor").as_string()), std::string(reason->at("why").as_string())});
  return p;
}

PriorityValues person_values(const Priority& p) {
  PriorityValues v;
  for (const auto& factor : p.overridden) {
    if (factor == "reach") v.reach = p.reach;
    else if (factor == "impact") v.impact = p.impact;
    else if (factor == "confidence") v.confidence = p.confidence;
    else if (factor == "effort") v.effort = p.effort;
    else if (factor == "moscow") v.moscow = p.moscow;
  }
  return v;
}

PrioritizeRequest read_prioritize_request(const json::object& body) {
  PrioritizeRequest out;
  const auto* list = body.if_contains("requirements");
  if (!list || !list->is_array() || body.contains("text")) {
    out.requirements = read_analysis_request(body);  // its errors name the fields
    out.given.resize(out.requirements.size());
    return out;
  }
  core::ObjectReader r(body);
  r.any("requirements", true);
  auto errors = r.take_errors();
  const auto& array = list->get_array();
  if (array.empty() || array.size() > max_requirements)
    errors.push_back({"requirements", fmt::format("must be an array of 1 to {} requirements", max_requirements)});
  std::set<std::string> ids;
  std::size_t total = 0;
  for (std::size_t i = 0; i < array.size() && errors.size() < 100; ++i) {
    auto field = fmt::format("requirements[{}]", i);
    if (!array[i].is_object()) {
      errors.push_back({field, "must be an object {id, text, priority?}"});
      continue;
    }
    core::ObjectReader item(array[i].get_object(), field);
    auto id = item.string("id", true, 200);
    auto text = item.string("text", true, max_document_bytes);
    const auto* given = item.object("priority", false);
    for (const char* derived : {"kind", "category", "confidence", "classified_by", "ambiguities", "rewrite",
                                "user_story", "acceptance_criteria", "duplicates", "conflicts"})
      item.any(derived, false);
    if (text && trim(*text).empty()) item.error("text", "must not be empty");
    if (id && !ids.insert(*id).second) item.error("id", "is not unique: '" + *id + "' is used before");
    if (text) total += text->size();
    PriorityValues values;
    if (given) values = read_priority_values(*given, field + ".priority", item.errors());
    for (auto& e : item.take_errors()) errors.push_back(std::move(e));
    if (id && text) {
      out.requirements.push_back({*id, *text});
      out.given.push_back(std::move(values));
    }
  }
  if (total > max_document_bytes) errors.push_back({"requirements", "must hold at most 1 MiB of text in all"});
  core::throw_if_errors(std::move(errors));
  return out;
}

json::object prioritized_json(const std::vector<AnalyzedRequirement>& items, const std::vector<Priority>& priorities) {
  auto out = analysis_json(items);
  auto& list = out["items"].as_array();
  std::map<std::string, std::size_t> by_moscow;
  for (std::size_t i = 0; i < list.size() && i < priorities.size(); ++i) {
    list[i].as_object()["priority"] = to_json(priorities[i]);
    ++by_moscow[priorities[i].moscow];
  }
  json::object counts;
  for (auto name : moscow_classes) counts[name] = by_moscow[std::string(name)];
  out["summary"].as_object()["by_moscow"] = std::move(counts);
  return out;
}

}  // namespace de::product
