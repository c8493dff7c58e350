#pragma once
// A table's columns as the database describes them, for code that handles every column of a
// table without naming them (the retention archive, the projections' comparison).
#include <string>
#include <vector>

#include "store/sql.hpp"

namespace de::store {

// Integers and reals are numbers; the rest (text, JSON text, UUIDs, booleans as the backend
// shows them) is text.
struct Column {
  std::string name;
  enum { text, number } kind = text;
};

// In the table's order.
std::vector<Column> columns_of(Connection& c, const std::string& table);
// "a, b, c"
std::string select_list(const std::vector<Column>& columns);

}  // namespace de::store
