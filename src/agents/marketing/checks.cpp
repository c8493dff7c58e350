#include "agents/marketing/checks.hpp"

#include <boost/url/parse.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "agents/marketing/readability.hpp"
#include "model/model.hpp"

namespace de::agents::marketing {

namespace json = boost::json;

namespace {
// Words and phrases that mail filters and readers take for spam (a short list of the usual
// ones; docs/marketing.md).
constexpr std::string_view spam_triggers[] = {
    "act now",   "buy now",     "click here",  "limited time", "risk-free", "risk free", "100% free",
    "no cost",   "cash",        "winner",      "urgent",       "guarantee", "guaranteed", "once in a lifetime",
    "order now", "double your", "earn money",  "no obligation", "free gift", "call now",  "miracle"};
// Claims of being the most or the best: allowed only when the brief's facts make them.
constexpr std::string_view superlatives[] = {
    "best",     "fastest",    "cheapest",  "easiest",   "largest",  "biggest", "greatest", "leading",
    "#1",       "number one", "unbeatable", "unmatched", "ultimate", "world-class", "most", "top-rated",
    "smartest", "strongest",  "safest",    "lowest",    "highest"};

using model::lower;

bool word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '#'; }

// Whether `phrase` occurs in `text` (both lower case) as whole words.
bool has_phrase(std::string_view text, std::string_view phrase) {
  if (phrase.empty()) return false;
  for (auto pos = text.find(phrase); pos != std::string_view::npos; pos = text.find(phrase, pos + 1)) {
    bool starts = pos == 0 || !word_char(text[pos - 1]) || !word_char(phrase.front());
    auto end = pos + phrase.size();
    bool ends = end == text.size() || !word_char(text[end]) || !word_char(phrase.back());
    if (starts && ends) return true;
  }
  return false;
}


// Numbers as written ("50%", "1,200", "2.5"), with thousands separators dropped, outside links.
std::set<std::string> numbers_in(std::string_view text) {
  std::string without_links(text);
  for (const auto& link : links_in(text))
    for (auto pos = without_links.find(link); pos != std::string::npos; pos = without_links.find(link))
      without_links.replace(pos, link.size(), " ");
  std::set<std::string> numbers;
  std::string current;
  auto flush = [&] {
    while (!current.empty() && (current.back() == '.' || current.back() == ',')) current.pop_back();
    if (!current.empty()) numbers.insert(current);
    current.clear();
  };
  for (std::size_t i = 0; i < without_links.size(); ++i) {
    char c = without_links[i];
    bool digit = std::isdigit(static_cast<unsigned char>(c)) != 0;
    bool inner = (c == '.' || c == ',') && !current.empty() && i + 1 < without_links.size() &&
                 std::isdigit(static_cast<unsigned char>(without_links[i + 1]));
    if (digit || inner) {
      if (c != ',') current += c;
    } else {
      flush();
    }
  }
  flush();
  return numbers;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

// Everything the copy may draw claims from: the brief and the recipient's data.
std::string supported_text(const ContentSpec& spec) {
  const auto& b = spec.brief;
  std::string text = b.product + "\n" + b.audience + "\n" + b.goal + "\n" + b.call_to_action;
  for (const auto& fact : b.facts) text += "\n" + fact;
  if (spec.recipient) {
    text += "\n" + spec.recipient->name + "\n" + spec.recipient->company;
    for (const auto& fact : spec.recipient->facts) text += "\n" + fact;
  }
  return lower(text);
}

Check length_check(const json::object& piece, const ContentSpec& spec) {
  Check c{"length", true, true, ""};
  std::vector<std::string> parts;
  for (const auto& limit : channel_limits(spec.kind, spec.network)) {
    auto n = characters(text_in(piece, limit.field));
    parts.push_back(fmt::format("{} {}/{}", limit.field, n, limit.max));
    if (n > limit.max) c.passed = false;
    if (n == 0) {
      c.passed = false;
      parts.back() += " (empty)";
    }
  }
  c.detail = join(parts) + " characters";
  return c;
}

Check readability_check(const std::string& body, const BrandVoice& voice) {
  auto r = readability(body);
  Check c{"readability", r.grade <= voice.reading_grade + 1, false, ""};
  c.detail = fmt::format("Flesch reading ease {:.1f}, Flesch-Kincaid grade {:.1f} (the brand voice asks for grade {:.0f} "
                         "or below; up to one grade over passes); {} words in {} sentences",
                         r.reading_ease, r.grade, voice.reading_grade, r.words, r.sentences);
  return c;
}

Check words_check(std::string name, bool hard, const std::string& lowered, const std::vector<std::string>& words,
                  std::string_view what) {
  std::vector<std::string> found;
  for (const auto& w : words)
    if (has_phrase(lowered, lower(w))) found.push_back(w);
  Check c{std::move(name), found.empty(), hard, ""};
  c.detail = found.empty() ? fmt::format("no {}", what) : fmt::format("{}: {}", what, join(found));
  return c;
}

Check claims_check(const std::string& lowered, const ContentSpec& spec) {
  auto supported = supported_text(spec);
  auto allowed_numbers = numbers_in(supported);
  std::vector<std::string> unsupported;
  for (const auto& n : numbers_in(lowered))
    if (!allowed_numbers.contains(n)) unsupported.push_back(n);
  for (auto word : superlatives)
    if (has_phrase(lowered, word) && !has_phrase(supported, word)) unsupported.emplace_back(word);
  Check c{"claims", unsupported.empty(), true, ""};
  c.detail = unsupported.empty() ? "every number and superlative is in the brief or the recipient's data"
                                 : "not in the brief's facts: " + join(unsupported);
  return c;
}

// The call to action's words, in order, ignoring case and punctuation.
Check call_to_action_check(const std::string& body, const Brief& brief) {
  auto squeeze = [](std::string_view text) {
    std::string out;
    for (char c : lower(text)) {
      bool keep = std::isalnum(static_cast<unsigned char>(c)) != 0;
      if (keep) out += c;
      else if (!out.empty() && out.back() != ' ') out += ' ';
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
  };
  auto cta = squeeze(brief.call_to_action);
  bool found = !cta.empty() && squeeze(body).find(cta) != std::string::npos;
  return {"call_to_action", found, true,
          found ? "contains \"" + brief.call_to_action + "\"" : "missing the call to action \"" + brief.call_to_action + "\""};
}

Check links_check(const std::string& body) {
  auto links = links_in(body);
  std::vector<std::string> bad;
  for (const auto& link : links)
    if (!well_formed_link(link)) bad.push_back(link);
  Check c{"links", bad.empty(), true, ""};
  c.detail = links.empty() ? "no links" : bad.empty() ? fmt::format("{} well-formed link(s)", links.size())
                                                      : "malformed: " + join(bad);
  return c;
}

Check hashtags_check(const std::string& body) {
  std::vector<std::string> tags, bad;
  for (std::size_t i = 0; i < body.size(); ++i) {
    if (body[i] != '#' || (i > 0 && word_char(body[i - 1]))) continue;
    auto end = i + 1;
    while (end < body.size() && !std::isspace(static_cast<unsigned char>(body[end]))) ++end;
    std::string tag = body.substr(i, end - i);
    bool ok = tag.size() > 1 && std::all_of(tag.begin() + 1, tag.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
    });
    (ok ? tags : bad).push_back(tag);
  }
  Check c{"hashtags", !tags.empty() && bad.empty() && tags.size() <= 30, true, ""};
  c.detail = tags.empty() ? "Instagram posts need hashtags: none found"
                          : fmt::format("{} hashtag(s){}{}", tags.size(), bad.empty() ? "" : "; malformed: " + join(bad),
                                        tags.size() > 30 ? "; Instagram allows 30" : "");
  return c;
}

Check voice_words_check(const std::string& lowered, const BrandVoice& voice) {
  std::vector<std::string> used;
  for (const auto& w : voice.words_to_use)
    if (has_phrase(lowered, lower(w))) used.push_back(w);
  Check c{"voice_words", voice.words_to_use.empty() || !used.empty(), false, ""};
  c.detail = voice.words_to_use.empty() ? "the brand voice names no words to use"
                                        : fmt::format("uses {} of {} words to use{}", used.size(),
                                                      voice.words_to_use.size(), used.empty() ? "" : ": " + join(used));
  return c;
}
}  // namespace

std::vector<std::string> links_in(std::string_view text) {
  std::vector<std::string> links;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    auto start = i;
    while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    std::string token(text.substr(start, i - start));
    auto lowered = lower(token);
    auto at = std::min({lowered.find("http://"), lowered.find("https://"), lowered.find("www.")});
    if (at == std::string::npos) continue;
    token = token.substr(at);
    while (!token.empty() && std::string_view(".,;:!?)]\"'").find(token.back()) != std::string_view::npos) token.pop_back();
    links.push_back(token);
  }
  return links;
}

bool mentions(std::string_view text, std::string_view phrase) { return has_phrase(lower(text), lower(phrase)); }

bool well_formed_link(std::string_view link) {
  std::string url(link);
  if (lower(url).starts_with("www.")) url = "https://" + url;
  auto parsed = boost::urls::parse_uri(url);  // absolute, and a #fragment allowed
  if (!parsed) return false;
  auto scheme = lower(parsed->scheme());
  auto host = std::string(parsed->encoded_host());
  auto dot = host.find('.');
  return (scheme == "http" || scheme == "https") && dot != std::string::npos && dot > 0 && host.back() != '.' &&
         host.find("..") == std::string::npos;
}

std::vector<Check> check_piece(const json::object& piece, const ContentSpec& spec, const BrandVoice& voice) {
  auto body = text_in(piece, "body");
  auto lowered = lower(body);
  std::vector<Check> checks;
  checks.push_back(length_check(piece, spec));
  checks.push_back(readability_check(body, voice));
  checks.push_back(words_check("avoid_words", true, lowered, voice.words_to_avoid, "words to avoid"));
  std::vector<std::string> spam(std::begin(spam_triggers), std::end(spam_triggers));
  checks.push_back(words_check("spam_words", false, lowered, spam, "spam-trigger words"));
  checks.push_back(claims_check(lowered, spec));
  checks.push_back(call_to_action_check(body, spec.brief));
  checks.push_back(links_check(body));
  if (spec.kind == "social_post" && spec.network == "instagram") checks.push_back(hashtags_check(body));
  checks.push_back(voice_words_check(lowered, voice));
  return checks;
}

std::vector<std::string> hard_failures(const std::vector<Check>& checks) {
  std::vector<std::string> names;
  for (const auto& c : checks)
    if (c.hard && !c.passed) names.push_back(c.name);
  return names;
}

json::array to_json(const std::vector<Check>& checks) {
  json::array out;
  for (const auto& c : checks)
    out.push_back(json::object{{"name", c.name}, {"passed", c.passed}, {"severity", c.hard ? "hard" : "soft"}, {"detail", c.detail}});
  return out;
}

}  // namespace de::agents::marketing
