#include "api/audit.hpp"
#include "api/context.hpp"
#include "auth/crypto.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"
#include "model/password.hpp"

namespace de::api {

namespace {
using auth::Permission;

void ensure_unique(store::Connection& c, const model::User& user) {
  for (const auto* login : {&user.email, &user.username}) {
    auto other = store::users::find_by_login(c, *login);
    if (other && other->id != user.id) {
      // errors[] names the field, so that a form can show it there.
      std::string field = login == &user.email ? "email" : "username";
      throw core::Error(core::ErrorKind::conflict, field + " " + *login + " is already in use",
                        {{field, "is already in use"}});
    }
  }
}

model::User find_user(Context& ctx, const std::string& id) {
  auto user = ctx.db.read([&](store::Connection& c) { return store::users::find(c, id); });
  if (!user) throw core::not_found("user", id);
  return *user;
}

struct UserChange {
  std::optional<std::string> email, username, password, current_password;
  std::optional<model::RoleSet> roles;
  std::optional<bool> is_active;
};

// One audit entry per kind of change a PATCH made: roles, activation, password, identity.
void audit_user_change(store::Tx& tx, const Request& request, const auth::Principal& who, const model::User& before,
                       const model::User& after, bool password_changed) {
  if (before.roles != after.roles)
    audit(tx, request, who, "users.role_changed", "user", after.id,
          {{"email", after.email}, {"from", roles_json(before.roles)}, {"to", roles_json(after.roles)}});
  if (before.is_active != after.is_active)
    audit(tx, request, who, after.is_active ? "users.activated" : "users.deactivated", "user", after.id,
          {{"email", after.email}});
  if (password_changed) audit(tx, request, who, "users.password_changed", "user", after.id, {{"email", after.email}});
  json::object identity;
  if (before.email != after.email) identity["email"] = json::object{{"from", before.email}, {"to", after.email}};
  if (before.username != after.username)
    identity["username"] = json::object{{"from", before.username}, {"to", after.username}};
  if (!identity.empty()) audit(tx, request, who, "users.updated", "user", after.id, std::move(identity));
}

UserChange read_user_change(const json::object& body) {
  core::ObjectReader r(body);
  UserChange change;
  change.email = r.string("email", false, 254);
  if (change.email) {
    if (auto p = model::email_problem(*change.email); !p.empty()) r.error("email", p);
    change.email = model::lower(*change.email);
  }
  change.username = r.string("username", false, 64);
  if (change.username) {
    if (auto p = model::username_problem(*change.username); !p.empty()) r.error("username", p);
    change.username = model::lower(*change.username);
  }
  change.password = r.string("password", false, 4 * model::password_max_length);  // the policy: once the email is known
  change.current_password = r.string("current_password", false, 1024);
  change.roles = model::read_roles(r, "roles", false);
  change.is_active = r.boolean("is_active", false);
  r.finish();
  return change;
}
}  // namespace

void add_user_routes(Context& ctx, http::Router& router) {
  secured(ctx, router, "GET", "/api/v1/users", Permission::admin,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            auto page = page_request(request);
            auto users = ctx.db.read([&](store::Connection& c) { return store::users::list(c, page); });
            co_return Response::json(200, page_json(users));
          });

  secured(ctx, router, "POST", "/api/v1/users", Permission::admin,
          [&ctx](Request& request, const auth::Principal& who) -> asio::awaitable<Response> {
            auto input = model::read_new_user(json_body(request));
            model::User user;
            user.id = core::new_id();
            user.email = input.email;
            user.username = input.username;
            user.roles = input.roles;
            user.created_at = user.updated_at = core::now_ms();
            user.password_hash = co_await on_cpu(ctx, [&] { return auth::hash_password(input.password); });
            co_await write(ctx.db, [&](store::Tx& tx) {
              ensure_unique(tx.connection, user);
              store::users::insert(tx.connection, user);
              audit(tx, request, who, "users.created", "user", user.id,
                    {{"email", user.email}, {"username", user.username}, {"roles", roles_json(user.roles)}});
            });
            co_return created(model::to_json(user), "/api/v1/users/" + user.id);
          });

  // Admins see anyone; everyone sees themselves.
  secured(ctx, router, "GET", "/api/v1/users/{id}", Permission::authenticated,
          [&ctx](Request& request, const auth::Principal& who) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "user");
            if (id != who.user_id && !who.has(model::Role::admin))
              throw core::Error(core::ErrorKind::forbidden, "only an admin may see other users");
            co_return Response::json(200, model::to_json(find_user(ctx, id)));
          });

  // Admins change anything of anyone; a user may change their own password.
  secured(ctx, router, "PATCH", "/api/v1/users/{id}", Permission::authenticated,
          [&ctx](Request& request, const auth::Principal& who) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "user");
            bool admin = who.has(model::Role::admin), self = id == who.user_id;
            if (!admin && !self) throw core::Error(core::ErrorKind::forbidden, "only an admin may change other users");
            auto change = read_user_change(json_body(request));
            if (!admin && (change.email || change.username || change.roles || change.is_active))
              throw core::Error(core::ErrorKind::forbidden, "you may change only your own password");
            if (self && ((change.is_active && !*change.is_active) ||
                         (change.roles && !(*change.roles & model::role_bit(model::Role::admin)) && admin)))
              throw core::Error(core::ErrorKind::conflict, "you cannot deactivate yourself or drop your own admin role");
            auto user = find_user(ctx, id);
            const auto before = user;
            if (change.password)
              if (auto p = model::password_problem(*change.password, change.email.value_or(user.email)); !p.empty())
                throw core::validation_error("password", p);
            if (change.password) {
              if (!admin || self) {
                if (!change.current_password)
                  throw core::validation_error("current_password", "is required to change your password");
                bool ok = co_await on_cpu(ctx, [&] { return auth::verify_password(user.password_hash, *change.current_password); });
                if (!ok) throw core::validation_error("current_password", "is not your current password");
              }
              user.password_hash = co_await on_cpu(ctx, [&] { return auth::hash_password(*change.password); });
            }
            if (change.email) user.email = *change.email;
            if (change.username) user.username = *change.username;
            if (change.roles) user.roles = *change.roles;
            if (change.is_active) user.is_active = *change.is_active;
            user.updated_at = core::now_ms();
            co_await write(ctx.db, [&](store::Tx& tx) {
              if (!store::users::find(tx.connection, id)) throw core::not_found("user", id);
              ensure_unique(tx.connection, user);
              store::users::update(tx.connection, user);
              audit_user_change(tx, request, who, before, user, change.password.has_value());
            });
            co_return Response::json(200, model::to_json(user));
          });

  secured(ctx, router, "DELETE", "/api/v1/users/{id}", Permission::admin,
          [&ctx](Request& request, const auth::Principal& who) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "user");
            if (id == who.user_id) throw core::Error(core::ErrorKind::conflict, "you cannot delete yourself");
            co_await write(ctx.db, [&](store::Tx& tx) {
              auto user = store::users::find(tx.connection, id);
              if (!user || !store::users::remove(tx.connection, id)) throw core::not_found("user", id);
              audit(tx, request, who, "users.deleted", "user", id, {{"email", user->email}});
            });
            co_return Response::no_content();
          });
}

}  // namespace de::api
