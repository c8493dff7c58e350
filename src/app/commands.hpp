#pragma once
// The subcommands of digital-enterprise. Each returns the process exit code.
#include <string>
#include <vector>

#include "core/config.hpp"

namespace de::app {

int serve(const core::Config& config);
int migrate(const core::Config& config);
// Migrate, make sure the admin exists, load the demo data unless DE_DEMO_DATA=0.
int init(const core::Config& config);
int create_user(const core::Config& config, const std::string& email, const std::string& username,
                const std::vector<std::string>& roles, bool password_from_stdin);
// A consistent copy of the SQLite database in `file` (the server may be running), and the
// retention archives in `file`.archive/; for PostgreSQL, how to use pg_dump (exit code 2).
int backup(const core::Config& config, const std::string& file);
// The database from a backup `file`, and its archives; refuses a database in use, and one with
// tables unless `force`.
int restore(const core::Config& config, const std::string& file, bool force);
// Replays the event log into the named projections' tables (all when none is named) and says
// what differed from what was stored; `check_only` changes nothing and exits 1 on a difference.
int rebuild(const core::Config& config, const std::vector<std::string>& projections, bool check_only);

}  // namespace de::app
