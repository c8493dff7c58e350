#pragma once
// Companies (docs/sales.md, "Companies"): the organisations leads and deals belong to, kept
// here and, through CRM sync, as HubSpot companies and Salesforce Accounts.
#include <boost/json/object.hpp>

#include "store/repositories.hpp"

namespace de::store::companies {

struct Company {
  std::string id, name, domain, industry, owner;
  boost::json::object attributes;  // any other fields, kept with their types
  std::int64_t created_at = 0, updated_at = 0;
};

void insert(Connection& c, const std::vector<Company>& companies);  // many rows per statement
void update(Connection& c, const Company& company);                  // every field but id and created_at
bool remove(Connection& c, const std::string& id);
std::optional<Company> find(Connection& c, const std::string& id);

struct Filter {
  std::optional<std::string> name;    // contained in the name, without case
  std::optional<std::string> domain;  // the domain, without case
};
// By name without case, then id; the cursor is the last company of the previous page.
Page<Company> list(Connection& c, const Filter& filter, const PageRequest& page);
boost::json::object to_json(const Company& company);

}  // namespace de::store::companies
