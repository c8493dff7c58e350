#pragma once
// JSON read back to the last bit. Boost.JSON's parser (1.81) may read a decimal number one unit
// in the last place away from the double it was written from, so a stored value parsed and
// written again can change its text; this parser reads each number with std::from_chars.
// Slower: for replays that must rebuild what was written (store/projections.hpp), not hot paths.
#include <boost/json/value.hpp>

#include <optional>
#include <string_view>

namespace de::core {

// The value of `text`, or nullopt when it is not one whole JSON text.
std::optional<boost::json::value> parse_exact(std::string_view text);

}  // namespace de::core
