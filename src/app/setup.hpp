#pragma once
// Start-up chores shared by the subcommands.
#include <memory>
#include <string>

#include "core/config.hpp"
#include "store/database.hpp"

namespace de::app {

// Opens the configured database and applies pending migrations.
std::unique_ptr<store::Database> open_database(const core::Config& config, std::size_t read_connections = 4);
// DE_JWT_SECRET, or a secret generated once and kept (mode 0600) in the data folder.
std::string jwt_secret(const core::Config& config);
// Creates the admin unless it exists; returns the generated password when it made one up.
std::string ensure_admin(store::Database& db, const core::Config& config);
// The demo agents and workflows, by name, when missing. Returns how many it added.
int load_demo_data(store::Database& db);

}  // namespace de::app
