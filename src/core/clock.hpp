#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace de::core {

// Milliseconds since the Unix epoch (UTC). Timestamps are stored this way in every backend.
std::int64_t now_ms();

// RFC 3339 UTC with milliseconds: 2026-11-24T09:13:37.123Z
std::string format_timestamp(std::int64_t epoch_ms);
std::optional<std::int64_t> parse_timestamp(std::string_view text);

}  // namespace de::core
