#include "agents/marketing/content.hpp"

namespace de::agents::marketing {

namespace json = boost::json;

json::array string_array(const std::vector<std::string>& items) {
  json::array out;
  for (const auto& item : items) out.emplace_back(item);
  return out;
}

std::vector<std::string> strings_in(const json::object& object, std::string_view key) {
  std::vector<std::string> out;
  if (const auto* v = object.if_contains(key); v && v->is_array())
    for (const auto& item : v->get_array())
      if (item.is_string()) out.emplace_back(item.get_string());
  return out;
}

std::string text_in(const json::object& object, std::string_view key) {
  const auto* v = object.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::string trimmed(std::string_view text) {
  auto begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return {};
  return std::string(text.substr(begin, text.find_last_not_of(" \t\r\n") - begin + 1));
}

// Google Ads' responsive search ads: headlines 30, descriptions 90. Email subjects are cut by
// most inboxes after about 60 characters, preheaders after about 100.
std::vector<FieldLimit> channel_limits(std::string_view kind, std::string_view network) {
  if (kind == "email") return {{"subject", 60}, {"preheader", 100}, {"body", 3000}};
  if (kind == "ad_copy") return {{"headline", 30}, {"description", 90}};
  if (kind == "blog_outline") return {{"title", 70}, {"body", 5000}};
  if (kind == "landing_page") return {{"headline", 60}, {"subheadline", 160}, {"body", 5000}};
  if (network == "x") return {{"body", 280}};
  if (network == "instagram") return {{"body", 2200}};
  return {{"body", 3000}};  // LinkedIn
}

std::size_t characters(std::string_view text) {
  std::size_t n = 0;
  for (char c : text)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;  // not a continuation byte
  return n;
}

json::object to_json(const Brief& b) {
  return {{"product", b.product},   {"audience", b.audience},          {"goal", b.goal},
          {"call_to_action", b.call_to_action}, {"facts", string_array(b.facts)}};
}

json::object to_json(const Recipient& r) {
  return {{"source", r.source}, {"id", r.id}, {"name", r.name}, {"company", r.company}, {"facts", string_array(r.facts)}};
}

json::object to_json(const BrandVoice& v) {
  return {{"tone", v.tone},
          {"words_to_use", string_array(v.words_to_use)},
          {"words_to_avoid", string_array(v.words_to_avoid)},
          {"reading_level", v.reading_grade},
          {"examples", string_array(v.examples)}};
}

BrandVoice brand_voice_from(const json::object& o) {
  BrandVoice v;
  if (const auto* tone = o.if_contains("tone"); tone && tone->is_string()) v.tone = tone->get_string();
  v.words_to_use = strings_in(o, "words_to_use");
  v.words_to_avoid = strings_in(o, "words_to_avoid");
  v.examples = strings_in(o, "examples");
  if (const auto* level = o.if_contains("reading_level"); level && level->is_number()) v.reading_grade = level->to_number<double>();
  return v;
}

}  // namespace de::agents::marketing
