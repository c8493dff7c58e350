// digital-enterprise: serve, migrate, init, user create, backup, restore, rebuild, version.
#include <CLI/CLI.hpp>

#include <iostream>
#include <map>

#include "app/commands.hpp"
#include "core/error.hpp"
#include "core/log.hpp"

// jemalloc's settings (src/app/CMakeLists.txt links it; the sanitizers' allocators ignore this):
// a background thread gives freed pages back to the system as they decay (10 s). Without it
// jemalloc purges only when the process allocates, so after a burst a server at rest kept what
// the burst had used: with 1,000,000 tasks stored, 61.0 MiB at rest after the fill against 40.3
// with it (docs/performance.md, History). MALLOC_CONF in the environment still overrides this.
extern "C" {
// NOLINTNEXTLINE: the name and type jemalloc looks for
const char* malloc_conf = "background_thread:true";
}

namespace {

// Options every database-touching subcommand takes; flags override env and --config.
struct CommonOptions {
  std::string config_file;
  std::map<std::string, std::string> overrides;

  void add_to(CLI::App* command, bool serving) {
    command->add_option("--config", config_file, "KEY=VALUE file of DE_* settings")->check(CLI::ExistingFile);
    add(command, "--database-url", "DE_DATABASE_URL", "sqlite:PATH or postgres://... (default sqlite:var/digital-enterprise.db)");
    add(command, "--data-dir", "DE_DATA_DIR", "folder for the database and secrets (default var)");
    if (!serving) return;
    add(command, "--listen", "DE_LISTEN", "HOST:PORT to listen on (default 127.0.0.1:8080)");
    add(command, "--threads", "DE_THREADS", "I/O threads (default: one per core)");
    add(command, "--web-root", "DE_WEB_ROOT", "folder of the built dashboard (default web/dist)");
  }

  de::core::Config load() const {
    return de::core::load_config(config_file.empty() ? std::nullopt : std::optional(config_file), overrides);
  }

 private:
  void add(CLI::App* command, const std::string& flag, const std::string& variable, const std::string& help) {
    command->add_option_function<std::string>(
        flag, [this, variable](const std::string& value) { overrides[variable] = value; },
        help + " [env " + variable + "]");
  }
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Digital Enterprise: a self-hosted multi-agent platform for product, sales and marketing work."};
  app.require_subcommand(1);
  CommonOptions common;

  auto* serve = app.add_subcommand("serve", "Serve the API, WebSockets and dashboard (applies pending migrations)");
  common.add_to(serve, true);
  auto* migrate = app.add_subcommand("migrate", "Apply pending database migrations");
  common.add_to(migrate, false);
  auto* init = app.add_subcommand("init", "Migrate, create the admin (DE_ADMIN_EMAIL) and load demo data (DE_DEMO_DATA)");
  common.add_to(init, false);

  auto* user = app.add_subcommand("user", "Manage users");
  user->require_subcommand(1);
  auto* user_create = user->add_subcommand("create", "Create a user (prints a generated password unless --password-stdin)");
  common.add_to(user_create, false);
  std::string email, username;
  std::vector<std::string> roles;
  bool password_stdin = false;
  user_create->add_option("--email", email, "email address (the login)")->required();
  user_create->add_option("--username", username, "user name (default: from the email)");
  user_create->add_option("--role", roles, "admin, manager, operator, viewer or agent (repeatable; default viewer)");
  user_create->add_flag("--password-stdin", password_stdin, "read the password from the first line of standard input");

  std::string backup_file;
  auto* backup = app.add_subcommand("backup", "Write a consistent copy of the SQLite database (the server may be running)");
  common.add_to(backup, false);
  backup->add_option("file", backup_file, "where the copy goes (its retention archives go to FILE.archive/)")->required();
  bool force = false;
  auto* restore = app.add_subcommand("restore", "Put a backup in place of the SQLite database (the server stopped)");
  common.add_to(restore, false);
  restore->add_option("file", backup_file, "a file `backup` wrote")->required()->check(CLI::ExistingFile);
  restore->add_flag("--force", force, "replace a database that holds data");

  std::vector<std::string> projections;
  bool check_only = false;
  auto* rebuild = app.add_subcommand("rebuild", "Rebuild the leads, companies and deals tables from the event log (the server stopped)");
  common.add_to(rebuild, false);
  rebuild->add_option("projection", projections, "leads, companies, deals (default: all)");
  rebuild->add_flag("--check", check_only, "compare the rebuilt tables with the stored ones and change nothing (exit 1 if they differ)");

  auto* version = app.add_subcommand("version", "Print the version");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  try {
    if (version->parsed()) {
      std::cout << "digital-enterprise " << DE_VERSION << '\n';
      return 0;
    }
    auto config = common.load();
    de::core::init_logging(config.log_level);
    if (serve->parsed()) return de::app::serve(config);
    if (migrate->parsed()) return de::app::migrate(config);
    if (init->parsed()) return de::app::init(config);
    if (user_create->parsed()) return de::app::create_user(config, email, username, roles, password_stdin);
    if (backup->parsed()) return de::app::backup(config, backup_file);
    if (restore->parsed()) return de::app::restore(config, backup_file, force);
    if (rebuild->parsed()) return de::app::rebuild(config, projections, check_only);
  } catch (const de::core::Error& e) {
    std::cerr << "error: " << e.what() << '\n';
    for (const auto& f : e.fields()) std::cerr << "  " << f.field << ": " << f.message << '\n';
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
