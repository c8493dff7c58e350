#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

namespace de::core {

// A duration such as 500ms, 30s, 15m or 2h (a positive whole number and one of those units)
// in milliseconds; none for anything else or for more than a year.
std::optional<std::int64_t> parse_duration_ms(std::string_view text);

}  // namespace de::core
