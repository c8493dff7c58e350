#pragma once
// Marketing content (docs/marketing.md): what a piece is asked for (kind, brief, recipient,
// brand voice) and the channel limits it must keep. Plain data: no I/O here.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace de::agents::marketing {

inline constexpr std::string_view kinds[] = {"email", "social_post", "ad_copy", "blog_outline", "landing_page"};
inline constexpr std::string_view networks[] = {"x", "linkedin", "instagram"};

struct Brief {
  std::string product, audience, goal, call_to_action;
  std::vector<std::string> facts;
};

// Whom a piece is personalised for, from a lead or a deal: only what our data says.
struct Recipient {
  std::string source;  // "lead", "deal" or "campaign"
  std::string id;
  std::string name, company;  // a campaign's name; no company
  std::vector<std::string> facts;  // "stage: proposal", "industry: retail", "channel: facebook"...
};

struct BrandVoice {
  std::string tone = "friendly";
  std::vector<std::string> words_to_use, words_to_avoid, examples;
  double reading_grade = 8;  // the Flesch–Kincaid grade the copy should not exceed
};

struct ContentSpec {
  std::string kind, network;  // network: social posts only
  Brief brief;
  std::optional<Recipient> recipient;
  int variants = 1;
  std::uint64_t seed = 1;
};

// A field of a piece and the most characters (Unicode code points) it may have.
struct FieldLimit {
  std::string field;
  std::size_t max;
};
std::vector<FieldLimit> channel_limits(std::string_view kind, std::string_view network);

// The characters of UTF-8 text, as the channels count them (code points).
std::size_t characters(std::string_view text);

// Small JSON and text helpers the marketing code shares.
boost::json::array string_array(const std::vector<std::string>& items);
std::vector<std::string> strings_in(const boost::json::object& object, std::string_view key);  // the string items
std::string text_in(const boost::json::object& object, std::string_view key);  // "" unless a string
std::string trimmed(std::string_view text);

boost::json::object to_json(const Brief& brief);
boost::json::object to_json(const Recipient& recipient);
boost::json::object to_json(const BrandVoice& voice);
// Reads a stored or sent brand voice; fields it lacks keep their defaults.
BrandVoice brand_voice_from(const boost::json::object& object);

}  // namespace de::agents::marketing
