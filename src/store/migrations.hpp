#pragma once
#include "store/sql.hpp"

namespace de::store {

// Applies every migration newer than the recorded version, inside the caller's transaction.
void apply_migrations(Connection& connection);
int current_schema_version(Connection& connection);
int latest_schema_version();

}  // namespace de::store
