// Companies (docs/sales.md, "Companies"): the organisations leads and deals belong to, kept here
// and synced with a CRM. Readers read; managers and admins change them (as leads).
#include "api/audit.hpp"
#include "api/context.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"
#include "store/company_repository.hpp"

namespace de::api {

namespace {
using auth::Permission;
using store::companies::Company;

// Reads a company's fields from a POST (`creating`: name required) or PATCH body.
void read_company(const json::object& body, Company& company, bool creating) {
  core::ObjectReader r(body);
  auto text = [&](const char* key, std::string& into, bool required, std::size_t longest) {
    if (auto v = r.string(key, required, longest)) into = *v;
  };
  text("name", company.name, creating, 200);
  text("domain", company.domain, false, 253);
  text("industry", company.industry, false, 100);
  text("owner", company.owner, false, 200);
  const auto* attributes = r.object("attributes", false);
  auto errors = r.take_errors();
  if (company.name.empty() && std::none_of(errors.begin(), errors.end(), [](const auto& e) { return e.field == "name"; }))
    errors.push_back({"name", "must not be empty"});
  if (company.domain.find_first_of(" /@") != std::string::npos)
    errors.push_back({"domain", "must be a domain name, such as example.com"});
  if (attributes) {
    check_attributes(*attributes, "attributes", errors);
    company.attributes = *attributes;
  }
  core::throw_if_errors(std::move(errors));
}

Company find_company(store::Connection& c, const std::string& id) {
  auto company = store::companies::find(c, id);
  if (!company) throw core::not_found("company", id);
  return *company;
}
}  // namespace

void add_company_routes(Context& ctx, http::Router& router) {
  secured(ctx, router, "GET", "/api/v1/companies", Permission::read,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            auto page = page_request(request);
            store::companies::Filter filter{request.query("name"), request.query("domain")};
            auto list = ctx.db.read([&](store::Connection& c) { return store::companies::list(c, filter, page); });
            co_return Response::json(200, page_json(list, [](const Company& c) { return store::companies::to_json(c); }));
          });

  secured(ctx, router, "POST", "/api/v1/companies", Permission::manage_leads,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            Company company;
            read_company(json_body(request), company, true);
            company.id = core::new_id();
            company.created_at = company.updated_at = core::now_ms();
            co_await write(ctx.db, [&](store::Tx& tx) {
              store::companies::insert(tx.connection, {company});
              tx.emit("companies.created", store::companies::to_json(company));
            });
            co_return created(store::companies::to_json(company), "/api/v1/companies/" + company.id);
          });

  secured(ctx, router, "GET", "/api/v1/companies/{id}", Permission::read,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "company");
            auto company = ctx.db.read([&](store::Connection& c) { return find_company(c, id); });
            co_return Response::json(200, store::companies::to_json(company));
          });

  secured(ctx, router, "PATCH", "/api/v1/companies/{id}", Permission::manage_leads,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "company");
            auto body = json_body(request);
            auto company = co_await write(ctx.db, [&](store::Tx& tx) {
              auto company = find_company(tx.connection, id);
              read_company(body, company, false);
              company.updated_at = std::max(core::now_ms(), company.updated_at + 1);
              store::companies::update(tx.connection, company);
              tx.emit("companies.updated", store::companies::to_json(company));
              return company;
            });
            co_return Response::json(200, store::companies::to_json(company));
          });

  secured(ctx, router, "DELETE", "/api/v1/companies/{id}", Permission::manage_leads,
          [&ctx](Request& request, const auth::Principal& who) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "company");
            co_await write(ctx.db, [&](store::Tx& tx) {
              if (!store::companies::remove(tx.connection, id)) throw core::not_found("company", id);
              tx.emit("companies.deleted", json::object{{"id", id}});
              audit(tx, request, who, "companies.deleted", "company", id);
            });
            co_return Response::no_content();
          });
}

}  // namespace de::api
