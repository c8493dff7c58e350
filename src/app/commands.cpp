#include "app/commands.hpp"

#include <filesystem>
#include <iostream>

#include "app/setup.hpp"
#include "auth/crypto.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/ids.hpp"
#include "store/audit_repository.hpp"
#include "store/backup.hpp"
#include "store/migrations.hpp"
#include "store/projections.hpp"
#include "store/repositories.hpp"

namespace de::app {

int migrate(const core::Config& config) {
  auto db = open_database(config, 1);
  std::cout << "database at schema version " << db->schema_version() << '\n';
  return 0;
}

int init(const core::Config& config) {
  auto db = open_database(config, 1);
  auto password = ensure_admin(*db, config);
  if (!password.empty()) {
    std::cout << "admin created: " << model::lower(config.admin_email) << '\n'
              << "admin password: " << password << "\n"
              << "(shown only this once; change it after logging in)\n";
  }
  if (config.demo_data) {
    int added = load_demo_data(*db);
    if (added) std::cout << "demo data: " << added << " agents and workflows added\n";
    if (int deals = load_demo_pipeline(*db)) std::cout << "demo data: " << deals << " deals added\n";
    if (int companies = load_demo_companies(*db)) std::cout << "demo data: " << companies << " companies added\n";
    if (int campaigns = load_demo_campaigns(*db)) std::cout << "demo data: " << campaigns << " campaigns added\n";
  }
  return 0;
}

int create_user(const core::Config& config, const std::string& email, const std::string& username,
                const std::vector<std::string>& roles, bool password_from_stdin) {
  std::string password;
  bool generated = false;
  if (password_from_stdin) {
    std::getline(std::cin, password);
    if (!password.empty() && password.back() == '\r') password.pop_back();
  } else {
    password = auth::random_token(15);
    generated = true;
  }
  boost::json::array role_array;
  for (const auto& r : roles) role_array.emplace_back(r);
  boost::json::object body{{"email", email}, {"password", password}};
  if (!username.empty()) body["username"] = username;
  if (!roles.empty()) body["roles"] = role_array;
  auto input = model::read_new_user(body);  // throws naming the bad field
  auto db = open_database(config, 1);
  model::User user;
  user.id = core::new_id();
  user.email = input.email;
  user.username = input.username;
  user.roles = input.roles;
  user.password_hash = auth::hash_password(input.password);
  user.created_at = user.updated_at = core::now_ms();
  db->write_sync([&](store::Tx& tx) {
    for (const auto* login : {&user.email, &user.username})
      if (store::users::find_by_login(tx.connection, *login))
        throw core::Error(core::ErrorKind::conflict, *login + " is already in use");
    store::users::insert(tx.connection, user);
    store::audit::append(tx.connection, store::audit::by_system("users.created", "user", user.id,
                                                                {{"email", user.email}, {"via", "command line"}}));
  });
  std::cout << "user created: " << user.email << " (" << user.id << ")\n";
  if (generated) std::cout << "password: " << password << "\n";
  return 0;
}

namespace {
namespace fs = std::filesystem;

constexpr const char* postgres_guidance =
    "error: DE_DATABASE_URL names a PostgreSQL database: back it up and restore it with PostgreSQL's tools:\n"
    "  pg_dump --format=custom --file=de.dump \"$DE_DATABASE_URL\"\n"
    "  pg_restore --no-owner --exit-on-error --dbname=\"$NEW_DATABASE_URL\" de.dump   (into an empty database)\n"
    "(docs/operations.md, \"Backup and restore\")\n";

// The retention archives' files of `from` copied into `to`: each through a temporary file and
// a rename. `replace` overwrites files `to` has already; without it they are left alone.
int copy_archives(const fs::path& from, const fs::path& to, bool replace) {
  if (from.empty() || !fs::is_directory(from)) return 0;
  fs::create_directories(to);
  int copied = 0;
  for (const auto& entry : fs::directory_iterator(from)) {
    if (!entry.is_regular_file()) continue;
    auto target = to / entry.path().filename();
    if (!replace && fs::exists(target)) continue;
    auto temporary = target;
    temporary += ".tmp";
    fs::copy_file(entry.path(), temporary, fs::copy_options::overwrite_existing);
    fs::rename(temporary, target);
    ++copied;
  }
  return copied;
}

constexpr const char* secrets_note =
    "not in it: the master key and the JWT secret. Integration credentials and AI keys are sealed with the master\n"
    "key: the restored server needs the same DE_MASTER_KEY (or the master-key file of the old data folder).\n";
}  // namespace

int backup(const core::Config& config, const std::string& file) {
  auto path = store::sqlite_path(config.database_url);
  if (path.empty()) {
    std::cerr << postgres_guidance;
    return 2;
  }
  auto snapshot = store::backup_sqlite(path, file);
  int archives = copy_archives(config.retention_archive_dir, file + ".archive", true);
  std::cout << "backup written: " << file << " (" << snapshot.bytes << " bytes, schema version "
            << snapshot.schema_version << ", PRAGMA integrity_check ok)\n";
  if (archives) std::cout << "retention archives: " << archives << " files in " << file << ".archive\n";
  std::cout << secrets_note;
  return 0;
}

int restore(const core::Config& config, const std::string& file, bool force) {
  auto path = store::sqlite_path(config.database_url);
  if (path.empty()) {
    std::cerr << postgres_guidance;
    return 2;
  }
  auto snapshot = store::restore_sqlite(file, path, force);
  int archives = 0;
  if (fs::is_directory(file + ".archive")) {
    if (config.retention_archive_dir.empty())
      std::cout << "retention archives in " << file << ".archive not restored: DE_RETENTION_ARCHIVE_DIR is not set\n";
    else
      archives = copy_archives(file + ".archive", config.retention_archive_dir, false);
  }
  std::cout << "database restored: " << path << " (schema version " << snapshot.schema_version
            << "; a newer server migrates it when it starts)\n";
  if (archives) std::cout << "retention archives: " << archives << " files into " << config.retention_archive_dir << "\n";
  std::cout << secrets_note;
  return 0;
}

int rebuild(const core::Config& config, const std::vector<std::string>& projections, bool check_only) {
  std::vector<std::string> names(projections);
  if (names.empty()) names.assign(store::projections::names().begin(), store::projections::names().end());
  for (const auto& name : names) store::projections::check_name(name);  // all, before any is rebuilt
  auto db = open_database(config, 1);
  int exit_code = 0;
  for (const auto& name : names) {
    auto report = store::projections::rebuild(*db, name, !check_only);
    std::cout << report.name << ": " << report.rows << " rows from " << report.events << " events; ";
    if (report.differing == 0) {
      std::cout << "identical to the stored rows\n";
      continue;
    }
    bool one = report.differing == 1;
    std::cout << report.differing << (one ? " row " : " rows ");
    if (check_only) std::cout << (one ? "differs" : "differ") << " from what is stored (nothing changed):\n";
    else std::cout << "differed from what was stored, now rebuilt:\n";
    for (const auto& example : report.examples) std::cout << "  " << example << '\n';
    if (check_only) exit_code = 1;
  }
  return exit_code;
}

}  // namespace de::app
