#include "store/sql.hpp"

#include <charconv>

#include "core/error.hpp"

namespace de::store {

namespace {
core::Error bad_column(const char* what) {
  return core::Error(core::ErrorKind::internal, std::string("stored value is not ") + what);
}
}  // namespace

const std::string& Row::text(std::size_t i) const {
  static const std::string empty;
  const auto& c = columns_.at(i);
  return c ? *c : empty;
}

std::string placeholders(std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += i ? ", ?" : "?";
  return out;
}

std::vector<Param> text_params(std::span<const std::string> texts) {
  std::vector<Param> out;
  out.reserve(texts.size());
  for (const auto& text : texts) out.emplace_back(std::string_view(text));
  return out;
}

std::optional<std::string> param_text(const Param& value) {
  return std::visit(
      [](const auto& v) -> std::optional<std::string> {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::nullptr_t>) return std::nullopt;
        else if constexpr (std::is_same_v<T, std::string_view>) return std::string(v);
        else return std::to_string(v);
      },
      value);
}

void append_array_element(std::string& array, const Param& value) {
  if (array.size() > 1) array += ',';
  auto text = param_text(value);
  if (!text) {
    array += "NULL";
    return;
  }
  array += '"';
  for (char c : *text) {
    if (c == '"' || c == '\\') array += '\\';
    array += c;
  }
  array += '"';
}

std::string insert_sql(std::string_view head, std::size_t width, std::size_t rows, std::string_view tail) {
  auto row = "(" + placeholders(width) + ")";
  std::string sql(head);
  for (std::size_t i = 0; i < rows; ++i) sql += (i ? ", " : " VALUES ") + row;
  if (!tail.empty()) sql.append(" ").append(tail);
  return sql;
}

std::int64_t Row::integer(std::size_t i) const {
  const auto& s = text(i);
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) {
    // SQLite may hand back a REAL for computed integers ("12.0").
    double d = 0;
    auto [end2, ec2] = std::from_chars(s.data(), s.data() + s.size(), d);
    if (ec2 != std::errc() || end2 != s.data() + s.size()) throw bad_column("an integer");
    return static_cast<std::int64_t>(d);
  }
  return v;
}

std::optional<std::int64_t> Row::optional_integer(std::size_t i) const {
  if (is_null(i)) return std::nullopt;
  return integer(i);
}

double Row::real(std::size_t i) const {
  const auto& s = text(i);
  if (s.empty()) return 0;
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc()) throw bad_column("a number");
  return v;
}

bool Row::boolean(std::size_t i) const {
  const auto& s = text(i);
  return s == "1" || s == "t" || s == "true";
}

void lock_until_commit(Connection& connection, std::int64_t key) {
  if (connection.dialect() == Dialect::postgres) connection.query("SELECT pg_advisory_xact_lock(?)", {key});
}

}  // namespace de::store
