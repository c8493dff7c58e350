#pragma once
#include <vector>

#include "store/sql.hpp"

namespace de::store {

// Applies every migration newer than the recorded version, inside the caller's transaction.
void apply_migrations(Connection& connection);
int current_schema_version(Connection& connection);
int latest_schema_version();
// The versions this binary knows that the database has not recorded (none: the schema is whole).
std::vector<int> missing_migrations(Connection& connection);

}  // namespace de::store
