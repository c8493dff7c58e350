#include "store/table_columns.hpp"

#include <algorithm>
#include <cctype>

namespace de::store {

std::vector<Column> columns_of(Connection& c, const std::string& table) {
  std::vector<Column> out;
  auto add = [&](const std::string& name, std::string type) {
    std::transform(type.begin(), type.end(), type.begin(), [](unsigned char ch) { return char(std::toupper(ch)); });
    bool number = type.find("INT") != std::string::npos || type.find("REAL") != std::string::npos ||
                  type.find("DOUBLE") != std::string::npos || type.find("NUMERIC") != std::string::npos;
    out.push_back({name, number ? Column::number : Column::text});
  };
  if (c.dialect() == Dialect::sqlite) {
    for (const auto& row : c.query("SELECT name, type FROM pragma_table_info(?) ORDER BY cid", {std::string_view(table)}).rows)
      add(row.text(0), row.text(1));
  } else {
    for (const auto& row : c.query("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? "
                                   "AND table_schema = current_schema() ORDER BY ordinal_position",
                                   {std::string_view(table)})
                               .rows)
      add(row.text(0), row.text(1));
  }
  return out;
}

std::string select_list(const std::vector<Column>& columns) {
  std::string out;
  for (const auto& column : columns) out += (out.empty() ? "" : ", ") + column.name;
  return out;
}

}  // namespace de::store
