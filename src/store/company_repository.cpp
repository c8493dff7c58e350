#include "store/company_repository.hpp"

#include <deque>

#include "core/clock.hpp"
#include "core/json.hpp"
#include "model/model.hpp"

namespace de::store::companies {

namespace json = boost::json;

namespace {
constexpr const char* columns = "SELECT id, name, domain, industry, owner, attributes, created_at, updated_at FROM companies";

Company from_row(const Row& r) {
  Company company;
  company.id = r.text(0);
  company.name = r.text(1);
  company.domain = r.text(2);
  company.industry = r.text(3);
  company.owner = r.text(4);
  auto attributes = core::parse_stored(r.text(5));
  if (attributes.is_object()) company.attributes = std::move(attributes.get_object());
  company.created_at = r.integer(6);
  company.updated_at = r.integer(7);
  return company;
}
}  // namespace

void insert(Connection& c, const std::vector<Company>& companies) {
  constexpr std::size_t rows_per_statement = 500;  // 8 values a row
  for (std::size_t start = 0; start < companies.size(); start += rows_per_statement) {
    auto end = std::min(companies.size(), start + rows_per_statement);
    std::deque<std::string> attributes;  // alive while the statement runs
    std::vector<Param> params;
    for (auto i = start; i < end; ++i) {
      const auto& company = companies[i];
      attributes.push_back(core::to_text(company.attributes));
      params.insert(params.end(), {std::string_view(company.id), std::string_view(company.name),
                                   std::string_view(company.domain), std::string_view(company.industry),
                                   std::string_view(company.owner), std::string_view(attributes.back()),
                                   company.created_at, company.updated_at});
    }
    c.query(insert_sql("INSERT INTO companies (id, name, domain, industry, owner, attributes, created_at, updated_at)", 8,
                       end - start),
            std::span<const Param>(params));
  }
}

void update(Connection& c, const Company& company) {
  auto attributes = core::to_text(company.attributes);
  c.query("UPDATE companies SET name = ?, domain = ?, industry = ?, owner = ?, attributes = ?, updated_at = ? WHERE id = ?",
          {std::string_view(company.name), std::string_view(company.domain), std::string_view(company.industry),
           std::string_view(company.owner), std::string_view(attributes), company.updated_at, std::string_view(company.id)});
}

bool remove(Connection& c, const std::string& id) {
  return c.query("DELETE FROM companies WHERE id = ?", {std::string_view(id)}).affected > 0;
}

std::optional<Company> find(Connection& c, const std::string& id) {
  auto r = c.query(std::string(columns) + " WHERE id = ?", {std::string_view(id)});
  if (r.rows.empty()) return std::nullopt;
  return from_row(r.rows[0]);
}

Page<Company> list(Connection& c, const Filter& filter, const PageRequest& page) {
  std::string sql = columns;
  std::vector<Param> params;
  std::deque<std::string> owned;
  auto where = [&](const char* condition, std::string value) {
    sql += params.empty() ? " WHERE " : " AND ";
    sql += condition;
    params.emplace_back(std::string_view(owned.emplace_back(std::move(value))));
  };
  if (filter.name) where("lower(name) LIKE ?", "%" + model::lower(*filter.name) + "%");
  if (filter.domain) where("lower(domain) = ?", model::lower(*filter.domain));
  if (page.cursor) {
    // After the cursor's company in (lower-case name, id) order.
    std::string_view cursor(owned.emplace_back(*page.cursor));
    sql += params.empty() ? " WHERE " : " AND ";
    sql += "(lower(name) > (SELECT lower(name) FROM companies WHERE id = ?) OR "
           "(lower(name) = (SELECT lower(name) FROM companies WHERE id = ?) AND id > ?))";
    for (int i = 0; i < 3; ++i) params.emplace_back(cursor);
  }
  sql += " ORDER BY lower(name), id LIMIT ?";
  params.emplace_back(page.limit + 1);
  return to_page<Company>(c.query(sql, std::span<const Param>(params)), page, from_row);
}

json::object to_json(const Company& company) {
  return {{"id", company.id},
          {"name", company.name},
          {"domain", company.domain},
          {"industry", company.industry},
          {"owner", company.owner},
          {"attributes", company.attributes},
          {"created_at", core::format_timestamp(company.created_at)},
          {"updated_at", core::format_timestamp(company.updated_at)}};
}

}  // namespace de::store::companies
