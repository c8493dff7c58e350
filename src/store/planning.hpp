#pragma once
// PostgreSQL plans a prepared statement for any values once it has run a few times (a generic
// plan), with the statistics of that moment. A query whose best plan depends on its values, on
// a table that grows fast while it runs (a sync's links: none at its first page, 100,000 at its
// last), starts with this comment and is planned for its values every time it runs (an unnamed
// statement). SQLite reads it as a comment.
#include <string_view>

namespace de::store {

inline constexpr std::string_view plan_each_time = "/* plan each time */ ";

}  // namespace de::store
