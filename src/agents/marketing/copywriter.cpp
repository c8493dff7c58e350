#include "agents/marketing/copywriter.hpp"

#include <algorithm>
#include <cctype>
#include <random>

#include "agents/marketing/checks.hpp"

namespace de::agents::marketing {

namespace json = boost::json;

namespace {
using Options = std::vector<std::string>;

// The text without its closing punctuation, to be built into a sentence.
std::string clause(std::string_view s) {
  auto t = trimmed(s);
  while (!t.empty() && std::string_view(".!?;:,").find(t.back()) != std::string_view::npos) t.pop_back();
  return t;
}

std::string capitalised(std::string s) {
  if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  return s;
}

// Lower-cases the first letter of an ordinary word ("Book a demo"), not of a name or an
// acronym ("ACME", "iPhone" stay).
std::string lower_first(std::string s) {
  auto first_word_end = s.find(' ');
  auto word = s.substr(0, first_word_end);
  bool ordinary = word.size() > 1 && std::all_of(word.begin() + 1, word.end(), [](char c) {
    return !std::isupper(static_cast<unsigned char>(c));
  });
  if (ordinary) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  return s;
}

// A sentence: capitalised, ending with its own "?" or "!", else a full stop.
std::string sentence(std::string_view s) {
  auto t = trimmed(s);
  if (t.empty()) return t;
  if (t.back() == '?' || t.back() == '!' || t.back() == '.') return capitalised(t);
  return capitalised(clause(t)) + ".";
}

std::string first_name(std::string_view name) {
  auto t = trimmed(name);
  return t.substr(0, t.find(' '));
}

// "spring-launch-2026" from "Spring launch 2026!": letters and digits in lower case, a hyphen between words.
std::string slug(std::string_view words) {
  std::string out;
  for (char c : words) {
    if (std::isalnum(static_cast<unsigned char>(c))) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    else if (!out.empty() && out.back() != '-') out += '-';
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

// "#FinanceTeams" from "finance teams": letters and digits of each word, capitalised.
std::string hashtag(std::string_view words) {
  std::string tag = "#";
  bool start = true;
  for (char c : words) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      tag += start ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
      start = false;
    } else {
      start = true;
    }
  }
  return tag.size() > 1 ? tag : std::string();
}

std::string joined(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : std::string(separator)) + item;
  return out;
}

class Writer {
 public:
  explicit Writer(const WriterInput& input)
      : in_(input), b_(input.spec.brief), compact_(std::find(input.fix.begin(), input.fix.end(), "length") != input.fix.end()) {
    // The same seed and variant give the same piece; a rewrite (fix) takes other choices.
    engine_.seed(input.spec.seed * 1000003ULL + std::uint64_t(input.variant) * 7919ULL + (input.fix.empty() ? 0 : 104729ULL));
    for (const auto& fact : b_.facts)
      if (!clause(fact).empty() && !avoided(fact)) facts_.push_back(sentence(fact));
    for (std::size_t i = facts_.size(); i > 1; --i) std::swap(facts_[i - 1], facts_[engine_() % i]);
    if (input.spec.recipient && input.spec.recipient->source == "campaign") {
      campaign_ = trimmed(input.spec.recipient->name);
    } else if (input.spec.recipient) {
      name_ = first_name(input.spec.recipient->name);
      company_ = trimmed(input.spec.recipient->company);
    }
    for (auto& fact : facts_) fact = tracked(fact);
    product_ = trimmed(b_.product);
    audience_ = clause(b_.audience);
    goal_ = lower_first(clause(b_.goal));
    cta_ = tracked(clause(b_.call_to_action));
  }

  json::object write() {
    const auto& kind = in_.spec.kind;
    if (kind == "email") return email();
    if (kind == "social_post") return social_post();
    if (kind == "ad_copy") return ad_copy();
    if (kind == "blog_outline") return blog_outline();
    return landing_page();
  }

 private:
  bool avoided(std::string_view text) const {
    return std::any_of(in_.voice.words_to_avoid.begin(), in_.voice.words_to_avoid.end(),
                       [&](const std::string& w) { return mentions(text, w); });
  }

  // One of the options that fit in `most` characters and hold no word to avoid, drawn at
  // random; the shortest option when none does (the checks will say what is wrong).
  std::string choose(const Options& options, std::size_t most = SIZE_MAX) {
    Options fitting;
    for (const auto& o : options)
      if (!o.empty() && characters(o) <= most && !avoided(o)) fitting.push_back(o);
    if (!fitting.empty()) return fitting[engine_() % fitting.size()];
    std::string shortest;
    for (const auto& o : options)
      if (!o.empty() && (shortest.empty() || o.size() < shortest.size())) shortest = o;
    return shortest;
  }

  // As choose(), but the variants of one piece take the fitting options in turn (from a place
  // the seed picks): an A/B test's variants differ in their subject or headline, not by chance.
  std::string choose_per_variant(const Options& options, std::size_t most) {
    Options fitting;
    for (const auto& o : options)
      if (!o.empty() && characters(o) <= most && !avoided(o)) fitting.push_back(o);
    if (fitting.empty()) return choose(options, most);
    auto turn = std::uint64_t(in_.spec.seed) + std::uint64_t(in_.variant) + (in_.fix.empty() ? 0 : 1);
    return fitting[turn % fitting.size()];
  }

  // For a campaign, its links carry UTM parameters, so that its visits are counted as its own:
  // utm_source the network or the kind of piece, utm_medium the kind, utm_campaign the name.
  std::string tracked(std::string text) const {
    if (campaign_.empty()) return text;
    auto source = in_.spec.network.empty() ? in_.spec.kind : in_.spec.network;
    auto parameters = "utm_source=" + source + "&utm_medium=" + in_.spec.kind + "&utm_campaign=" + slug(campaign_);
    for (const auto& link : links_in(text)) {
      if (link.find("utm_campaign=") != std::string::npos) continue;
      auto fragment = std::min(link.find('#'), link.size());
      auto tagged = link.substr(0, fragment) + (link.find('?') < fragment ? "&" : "?") + parameters + link.substr(fragment);
      if (auto at = text.find(link); at != std::string::npos) text.replace(at, link.size(), tagged);
    }
    return text;
  }

  std::string cta_sentence() {
    return choose({sentence(cta_), "Ready when you are: " + lower_first(cta_) + ".", "The next step: " + lower_first(cta_) + "."});
  }

  std::string opener() {
    Options options = {product_ + " helps " + audience_ + " " + goal_ + ".",
                       "If your team wants to " + goal_ + ", " + product_ + " was made for you.",
                       "Want to " + goal_ + "? " + product_ + " gives " + audience_ + " a simpler way to get there."};
    if (!company_.empty()) options.push_back("Here is how " + product_ + " can help " + company_ + " " + goal_ + ".");
    return choose(options);
  }

  // The facts as prose or as a list, the form drawn per variant.
  std::string facts_block(std::size_t most_facts) {
    std::vector<std::string> facts(facts_.begin(), facts_.begin() + std::min(most_facts, facts_.size()));
    if (facts.empty()) return {};
    if (engine_() % 2 == 0) return joined(facts, " ");
    auto lead = choose({"What you get:", "Here is what it brings:", "In short:"});
    return lead + "\n- " + joined(facts, "\n- ");
  }

  std::string voice_line() {
    std::vector<std::string> words;
    for (const auto& w : in_.voice.words_to_use)
      if (words.size() < 3 && !trimmed(w).empty()) words.push_back(lower_first(trimmed(w)));
    if (words.empty()) return {};
    auto list = words.size() == 1 ? words[0] : joined({words.begin(), words.end() - 1}, ", ") + " and " + words.back();
    return capitalised(list) + ": that is what " + product_ + " is about.";
  }

  std::string greeting() {
    const auto& tone = in_.voice.tone;
    std::string who = !name_.empty() ? name_ : !company_.empty() ? company_ + " team" : "";
    if (tone == "formal" || tone == "professional") return who.empty() ? "Hello," : "Dear " + who + ",";
    if (tone == "playful" || tone == "bold") return who.empty() ? "Hey there!" : "Hey " + who + "!";
    return who.empty() ? "Hi there," : "Hi " + who + ",";
  }

  std::string sign_off() {
    const auto& tone = in_.voice.tone;
    std::string words = tone == "formal" || tone == "professional" ? "Kind regards," : tone == "playful" || tone == "bold" ? "Talk soon," : "Thanks,";
    return words + "\nThe " + product_ + " team";
  }

  static std::string paragraphs(const std::vector<std::string>& parts) {
    std::vector<std::string> kept;
    for (const auto& p : parts)
      if (!p.empty()) kept.push_back(p);
    return joined(kept, "\n\n");
  }

  json::object email() {
    Options subjects = {"How " + audience_ + " can " + goal_, product_ + ": " + goal_, "A simpler way to " + goal_,
                        product_ + " for " + audience_};
    if (!name_.empty()) subjects.push_back(name_ + ", ready to " + goal_ + "?");
    auto subject = capitalised(choose_per_variant(subjects, 60));
    Options preheaders = {sentence(cta_), "Made for " + audience_ + "."};
    if (!facts_.empty()) preheaders.push_back(facts_[0]);
    auto preheader = choose(preheaders, 100);
    auto body = paragraphs({greeting(), opener(), facts_block(compact_ ? 2 : 4), voice_line(), cta_sentence(), sign_off()});
    return {{"subject", subject}, {"preheader", preheader}, {"body", body}};
  }

  Options hashtags(std::size_t most) {
    Options tags = {hashtag(product_)};
    if (!campaign_.empty()) tags.push_back(hashtag(campaign_));
    auto audience_words = audience_.substr(0, audience_.find(" at ")).substr(0, audience_.find(" in "));
    tags.push_back(hashtag(audience_words));
    for (const auto& w : in_.voice.words_to_use) tags.push_back(hashtag(w));
    tags.push_back(hashtag(goal_));
    Options out;
    for (const auto& t : tags)
      if (t.size() > 1 && t.size() <= 30 && !avoided(t.substr(1)) && std::find(out.begin(), out.end(), t) == out.end() &&
          out.size() < most)
        out.push_back(t);
    return out;
  }

  json::object social_post() {
    const auto& network = in_.spec.network;
    auto tags = hashtags(network == "x" ? 2 : network == "linkedin" ? 3 : 5);
    auto tag_line = joined(tags, " ");
    auto open = choose({product_ + " helps " + audience_ + " " + goal_ + ".", "Want to " + goal_ + "?",
                        capitalised(audience_) + ": this one is for you."});
    auto cta = cta_sentence();
    std::string body;
    if (network == "x") {
      // As many facts as fit in a post beside the opening, the call to action and the tags.
      std::string text = open;
      for (const auto& fact : facts_) {
        auto longer = text + " " + fact;
        if (characters(longer + " " + cta + "\n\n" + tag_line) > 280 || (compact_ && text != open)) break;
        text = longer;
      }
      body = text + " " + cta + (tags.empty() ? "" : "\n\n" + tag_line);
    } else {
      body = paragraphs({open, facts_block(compact_ ? 2 : 5), voice_line(), cta, tag_line});
    }
    json::array hashtag_list;
    for (const auto& t : tags) hashtag_list.emplace_back(t);
    return {{"network", network}, {"body", body}, {"hashtags", std::move(hashtag_list)}};
  }

  json::object ad_copy() {
    auto headline = choose_per_variant({product_, "Try " + product_, capitalised(goal_), product_ + " for " + audience_}, 30);
    auto cta = sentence(cta_);
    Options descriptions = {product_ + " helps " + audience_ + " " + goal_ + ". " + cta};
    for (const auto& fact : facts_) descriptions.push_back(fact + " " + cta);
    Options fitting;
    for (const auto& d : descriptions)
      if (characters(d) <= 90) fitting.push_back(d);
    auto description = choose(fitting.empty() ? Options{cta} : fitting, 90);
    return {{"headline", headline}, {"description", description}, {"body", headline + "\n" + description}};
  }

  // Two different writing notes for a section, drawn from the pool.
  json::array notes(const Options& pool) {
    auto first = engine_() % pool.size(), second = (first + 1 + engine_() % (pool.size() - 1)) % pool.size();
    return {json::value(pool[first]), json::value(pool[second])};
  }

  json::object blog_outline() {
    auto title = choose({"How " + audience_ + " can " + goal_ + " with " + product_,
                         capitalised(goal_) + ": a guide for " + audience_,
                         "A practical guide for " + audience_ + ": how to " + goal_},
                        70);
    json::array sections;
    auto section = [&](std::string heading, json::array points) {
      sections.push_back(json::object{{"heading", std::move(heading)}, {"points", std::move(points)}});
    };
    section(choose({"The challenge: how to " + goal_, "Why it is hard to " + goal_, "What it takes to " + goal_}),
            {json::value("Describe the situation " + audience_ + " are in today"),
             json::value("Say what it would mean for them to " + goal_)});
    Options pool = {"Explain how this works in practice", "Give an example from the reader's week",
                    "Tie it back to the goal: " + goal_, "Answer the question a sceptical reader would ask first",
                    "Show it with a screenshot or a real customer's words"};
    for (std::size_t i = 0; i < std::min<std::size_t>(facts_.size(), compact_ ? 3 : 6); ++i) section(clause(facts_[i]), notes(pool));
    section(choose({"Next step", "Where to start", "Try it yourself"}),
            {json::value("Sum up what " + product_ + " changes for " + audience_), json::value(sentence(cta_))});
    std::string body = "# " + title;
    for (const auto& s : sections) {
      const auto& o = s.get_object();
      body += "\n\n## " + std::string(o.at("heading").get_string());
      for (const auto& point : o.at("points").get_array()) body += "\n- " + std::string(point.get_string());
    }
    return {{"title", title}, {"sections", std::move(sections)}, {"body", body}};
  }

  json::object landing_page() {
    auto headline = choose_per_variant({capitalised(goal_) + " with " + product_, product_ + ": built for " + audience_, capitalised(goal_)}, 60);
    auto subheadline = choose({product_ + " helps " + audience_ + " " + goal_ + ".",
                               "For " + audience_ + " who want to " + goal_ + "."},
                              160);
    std::string benefits;
    for (std::size_t i = 0; i < std::min<std::size_t>(facts_.size(), compact_ ? 3 : 8); ++i) benefits += "\n- " + facts_[i];
    auto closing = choose({"Get started", "Ready when you are", "See it for yourself"});
    auto body = paragraphs({"# " + headline, subheadline, benefits.empty() ? "" : "## Why " + product_ + benefits,
                            voice_line(), "## " + closing + "\n" + sentence(cta_)});
    return {{"headline", headline}, {"subheadline", subheadline}, {"call_to_action", cta_}, {"body", body}};
  }

  const WriterInput& in_;
  const Brief& b_;
  bool compact_;
  std::mt19937_64 engine_;
  std::vector<std::string> facts_;
  std::string name_, company_, campaign_, product_, audience_, goal_, cta_;
};

}  // namespace

json::object to_json(const WriterInput& input) {
  const auto& spec = input.spec;
  json::object limits;
  for (const auto& limit : channel_limits(spec.kind, spec.network)) limits[limit.field] = limit.max;
  json::object o{{"kind", spec.kind},
                 {"brief", to_json(spec.brief)},
                 {"voice", to_json(input.voice)},
                 {"limits", std::move(limits)},
                 {"variant", input.variant},
                 {"seed", spec.seed},
                 {"fix", string_array(input.fix)}};
  if (!spec.network.empty()) o["network"] = spec.network;
  if (spec.recipient) o["recipient"] = to_json(*spec.recipient);
  return o;
}

WriterInput writer_input_from(const json::object& o) {
  WriterInput in;
  in.spec.kind = text_in(o, "kind");
  in.spec.network = text_in(o, "network");
  if (const auto* b = o.if_contains("brief"); b && b->is_object()) {
    const auto& brief = b->get_object();
    in.spec.brief = {text_in(brief, "product"), text_in(brief, "audience"), text_in(brief, "goal"),
                     text_in(brief, "call_to_action"), strings_in(brief, "facts")};
  }
  if (const auto* r = o.if_contains("recipient"); r && r->is_object()) {
    const auto& recipient = r->get_object();
    in.spec.recipient = Recipient{text_in(recipient, "source"), text_in(recipient, "id"), text_in(recipient, "name"),
                                  text_in(recipient, "company"), strings_in(recipient, "facts")};
  }
  if (const auto* v = o.if_contains("voice"); v && v->is_object()) in.voice = brand_voice_from(v->get_object());
  if (const auto* v = o.if_contains("variant"); v && v->is_int64()) in.variant = static_cast<int>(v->get_int64());
  if (const auto* s = o.if_contains("seed"); s && s->is_number()) in.spec.seed = s->to_number<std::uint64_t>();
  in.fix = strings_in(o, "fix");
  return in;
}

json::object write_offline(const WriterInput& input) { return Writer(input).write(); }

}  // namespace de::agents::marketing
