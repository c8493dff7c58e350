#include "app/commands.hpp"

#include <iostream>

#include "app/setup.hpp"
#include "auth/crypto.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"
#include "store/audit_repository.hpp"
#include "store/migrations.hpp"
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

}  // namespace de::app
