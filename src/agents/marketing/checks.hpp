#pragma once
// The checks every piece of content gets (docs/marketing.md, "Checks"), stored with it. Hard
// checks make a piece fail (it is written again once, then returned failing with the reasons);
// soft ones are reported only.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <string>
#include <vector>

#include "agents/marketing/content.hpp"

namespace de::agents::marketing {

struct Check {
  std::string name;
  bool passed = true;
  bool hard = true;
  std::string detail;
};

// `piece`: the piece's fields ("body" the whole text, and the kind's own fields).
std::vector<Check> check_piece(const boost::json::object& piece, const ContentSpec& spec, const BrandVoice& voice);

// The names of the hard checks that failed.
std::vector<std::string> hard_failures(const std::vector<Check>& checks);
boost::json::array to_json(const std::vector<Check>& checks);

// Whether `phrase` occurs in `text` as whole words, ignoring case.
bool mentions(std::string_view text, std::string_view phrase);

// The links in `text`: tokens starting with http://, https:// or www., trailing punctuation off.
std::vector<std::string> links_in(std::string_view text);

// Well-formed absolute http(s) URLs with a dotted host, or "www." addresses.
bool well_formed_link(std::string_view link);

}  // namespace de::agents::marketing
