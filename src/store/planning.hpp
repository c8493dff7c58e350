#pragma once
// PostgreSQL plans a prepared statement for any values once it has run a few times (a generic
// plan), with the statistics of that moment. A query whose best plan depends on its values, on
// a table that grows fast while it runs (a sync's links: none at its first page, 100,000 at its
// last), starts with this comment and is planned for its values every time it runs (an unnamed
// statement). SQLite reads it as a comment.
#include <string_view>

#include "store/sql.hpp"

namespace de::store {

inline constexpr std::string_view plan_each_time = "/* plan each time */ ";

// Runs `query` (statements on `c`, inside a transaction) with sequential scans off on
// PostgreSQL, for a lookup whose index is right whatever the statistics say. A table filled
// since its last ANALYZE (a first sync) has no statistics for an expression index, and each
// value of an IN list is then estimated at 0.5 % of the table: 200 values read all of it, for
// every page of a sync.
template <class Query>
auto with_index_scans(Connection& c, Query&& query) {
  bool postgres = c.dialect() == Dialect::postgres;
  if (postgres) c.query("SET LOCAL enable_seqscan = off");
  auto result = query();
  if (postgres) c.query("SET LOCAL enable_seqscan TO DEFAULT");
  return result;
}

}  // namespace de::store
