#pragma once
// Start-up chores shared by the subcommands.
#include <memory>
#include <string>

#include "ai/registry.hpp"
#include "ai/service.hpp"
#include "core/config.hpp"
#include "store/database.hpp"

namespace de::app {

// Opens the configured database and applies pending migrations.
std::unique_ptr<store::Database> open_database(const core::Config& config, std::size_t read_connections = 4);
// DE_JWT_SECRET, or a secret generated once and kept (mode 0600) in the data folder.
std::string jwt_secret(const core::Config& config);
// DE_MASTER_KEY, or one generated once and kept the same way: seals secrets stored in the
// database (provider keys). Losing it loses them: they must then be set again.
std::string master_key(const core::Config& config);
// The AI services: the providers (a key from the environment, else one stored through the API,
// unsealed with the master key), the price table, and the service, each of whose calls is
// recorded in ai_calls.
struct AiRuntime {
  std::unique_ptr<ai::ProviderRegistry> providers;
  std::unique_ptr<ai::AiService> service;
  std::string master_key;
};
AiRuntime start_ai(const core::Config& config, store::Database& db);
// init: creates the admin (DE_ADMIN_EMAIL) unless a user has that email; returns the generated
// password when it made one up (DE_ADMIN_PASSWORD unset).
std::string ensure_admin(store::Database& db, const core::Config& config);
// serve: on a database without users, creates the first admin from DE_ADMIN_EMAIL and
// DE_ADMIN_PASSWORD when the password is set (as Grafana does), so that a container needs no
// `init`. Nodes starting at once on one database create it once. True when this call made it.
bool first_admin(store::Database& db, const core::Config& config);
// The demo agents and workflows, by name, when missing. Returns how many it added.
int load_demo_data(store::Database& db);
// The demo sales pipeline (src/app/demo/README.md) into a database without deals. Returns how
// many deals it added.
int load_demo_pipeline(store::Database& db);
// The demo pipeline's accounts as companies, into a database without companies; returns how
// many it added.
int load_demo_companies(store::Database& db);
// The demo campaigns with their daily results (src/app/demo/README.md), into a database without
// campaigns; returns how many were added.
int load_demo_campaigns(store::Database& db);

}  // namespace de::app
