#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace de::core {

// A UUIDv7: time-ordered, so ids sort by creation and serve as list cursors. Strictly
// increasing within one process.
std::string new_id();
// The millisecond an id of new_id() was made in (its first 48 bits). A record that is listed
// by id and shows its creation time takes it from here, not from a second reading of the
// clock: otherwise two records made at once on two threads can list in one order by id and
// in the other by time.
std::int64_t id_time_ms(std::string_view id);

bool is_uuid(std::string_view text);

}  // namespace de::core
