#pragma once
#include <string>
#include <string_view>

namespace de::core {

// A UUIDv7: time-ordered, so ids sort by creation and serve as list cursors. Strictly
// increasing within one process.
std::string new_id();

bool is_uuid(std::string_view text);

}  // namespace de::core
