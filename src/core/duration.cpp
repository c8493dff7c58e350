#include "core/duration.hpp"

#include <charconv>

namespace de::core {

std::optional<std::int64_t> parse_duration_ms(std::string_view text) {
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  std::string_view unit(end, std::size_t(text.data() + text.size() - end));
  std::int64_t scale = unit == "ms" ? 1 : unit == "s" ? 1000 : unit == "m" ? 60'000 : unit == "h" ? 3'600'000 : 0;
  if (ec != std::errc() || scale == 0 || n < 1 || n > std::int64_t(366) * 24 * 3'600'000 / scale) return std::nullopt;
  return n * scale;
}

}  // namespace de::core
