#include "agents/sales/features.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>
#include <unordered_map>

#include "core/error.hpp"
#include "core/json.hpp"
#include "model/model.hpp"

namespace de::agents::sales {

namespace json = boost::json;

namespace {
constexpr float missing_value = std::numeric_limits<float>::quiet_NaN();
// A column is read as numbers (or dates) when this share of its present values are.
constexpr double typed_share = 0.95;
// Categories: a level needs this many rows (and this share of the rows) to get a feature of
// its own; the rest are grouped as "other". At most this many levels are kept.
constexpr std::size_t rare_count = 5;
constexpr double rare_share = 0.002;
constexpr std::size_t most_levels = 40;

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

using model::lower;

std::optional<double> number_of(std::string_view text) {
  text = trim(text);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty()) return std::nullopt;
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) return std::nullopt;
  return value;
}

std::optional<bool> boolean_of(std::string_view text) {
  auto t = lower(trim(text));
  if (t == "true" || t == "yes" || t == "y" || t == "t") return true;
  if (t == "false" || t == "no" || t == "n" || t == "f") return false;
  return std::nullopt;
}

// Days since 1970-01-01 of a civil date (H. Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = unsigned(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + std::int64_t(doe) - 719468;
}

struct Date {
  std::int64_t days;
  unsigned month;
};

bool digits(std::string_view s, std::size_t from, std::size_t count, unsigned& out) {
  if (from + count > s.size()) return false;
  out = 0;
  for (std::size_t i = from; i < from + count; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + unsigned(s[i] - '0');
  }
  return true;
}

// YYYY-MM-DD or YYYY/MM/DD (a time after it is read past), DD.MM.YYYY.
std::optional<Date> date_of(std::string_view text) {
  text = trim(text);
  unsigned y = 0, m = 0, d = 0;
  bool iso = text.size() >= 10 && (text[4] == '-' || text[4] == '/') && text[7] == text[4] && digits(text, 0, 4, y) &&
             digits(text, 5, 2, m) && digits(text, 8, 2, d) && (text.size() == 10 || text[10] == 'T' || text[10] == ' ');
  bool dotted = !iso && text.size() == 10 && text[2] == '.' && text[5] == '.' && digits(text, 0, 2, d) &&
                digits(text, 3, 2, m) && digits(text, 6, 4, y);
  if ((!iso && !dotted) || m < 1 || m > 12 || d < 1 || d > 31 || y < 1900 || y > 2200) return std::nullopt;
  return Date{days_from_civil(y, m, d), m};
}

const char* kind_name(ColumnKind kind) {
  switch (kind) {
    case ColumnKind::number: return "number";
    case ColumnKind::boolean: return "boolean";
    case ColumnKind::date: return "date";
    case ColumnKind::category: return "category";
  }
  return "number";
}

ColumnKind kind_named(std::string_view name) {
  for (auto kind : {ColumnKind::number, ColumnKind::boolean, ColumnKind::date, ColumnKind::category})
    if (name == kind_name(kind)) return kind;
  throw core::Error(core::ErrorKind::internal, "stored feature specification names an unknown kind: " + std::string(name));
}

// What training saw of one column.
struct Profile {
  std::size_t present = 0, numbers = 0, booleans = 0, dates = 0;
  std::unordered_map<std::string, std::size_t> levels;
};

Column category_column(const std::string& name, const Profile& p, std::size_t rows) {
  std::vector<std::pair<std::string, std::size_t>> levels(p.levels.begin(), p.levels.end());
  std::sort(levels.begin(), levels.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  std::size_t needed = std::max(rare_count, std::size_t(std::ceil(rare_share * double(rows))));
  Column c{name, ColumnKind::category};
  for (const auto& [level, count] : levels) {
    if (count >= needed && c.levels.size() < most_levels) c.levels.push_back(level);
    else c.other = true;
  }
  c.missing = p.present < rows;
  c.width = c.levels.size() + c.other + c.missing;
  return c;
}
}  // namespace

bool means_missing(std::string_view text) {
  // Letters and digits only, lower case: "N/A" -> "na", "-- Select --" -> "select".
  std::string key;
  for (char c : text)
    if (std::isalnum(static_cast<unsigned char>(c))) key += char(std::tolower(static_cast<unsigned char>(c)));
  static const std::set<std::string, std::less<>> placeholders = {
      "", "na", "nan", "null", "none", "nil", "unknown", "undefined", "notavailable", "notapplicable",
      "select", "pleaseselect", "selectone", "choose", "pleasechoose", "blank", "empty", "missing"};
  return placeholders.contains(key);
}

std::optional<std::string> present_text(const json::value& value) {
  if (value.is_string()) {
    auto text = trim(value.get_string());
    if (means_missing(text)) return std::nullopt;
    return std::string(text);
  }
  if (value.is_null()) return std::nullopt;
  if (value.is_bool()) return value.get_bool() ? "true" : "false";
  if (value.is_number()) return core::to_text(value);
  return core::to_text(value);  // an array or object: its text, read as a category
}

void FeatureSpec::add(Column column) {
  column.first = width_;
  width_ += column.width;
  for (std::size_t i = 0; i < column.width; ++i) feature_column_.push_back(columns_.size());
  columns_.push_back(std::move(column));
}

FeatureSpec FeatureSpec::learn(std::span<const json::object* const> rows, const std::set<std::string>& exclude) {
  std::map<std::string, Profile> profiles;  // by name, so the spec's order does not depend on the rows'
  for (const auto* row : rows)
    for (const auto& [key, value] : *row) {
      std::string name(key);
      if (exclude.contains(name)) continue;
      auto& p = profiles[name];
      auto text = present_text(value);
      if (!text) continue;
      ++p.present;
      auto number = value.is_number() ? std::optional<double>(value.to_number<double>()) : number_of(*text);
      if (number) ++p.numbers;
      if (value.is_bool() || boolean_of(*text)) ++p.booleans;
      if (!number && date_of(*text)) ++p.dates;
      if (p.levels.size() <= 10000 || p.levels.contains(*text)) ++p.levels[*text];
    }
  FeatureSpec spec;
  for (const auto& name : exclude) spec.ignored_.push_back({name, "excluded"});
  for (const auto& [name, p] : profiles) {
    if (p.present == 0) {
      spec.ignored_.push_back({name, "no value in any row"});
      continue;
    }
    auto share = [&](std::size_t n) { return double(n) / double(p.present); };
    bool constant = p.levels.size() == 1 && p.present == rows.size();
    if (constant) {
      spec.ignored_.push_back({name, "the same value in every row"});
      continue;
    }
    if (p.booleans == p.present && p.numbers < p.present) {
      spec.add(Column{name, ColumnKind::boolean});
    } else if (share(p.numbers) >= typed_share) {
      spec.add(Column{name, ColumnKind::number});
    } else if (share(p.dates) >= typed_share) {
      Column c{name, ColumnKind::date};
      c.width = 3;  // days since 1970, month, day of the week
      spec.add(std::move(c));
    } else if (p.levels.size() > 50 && double(p.levels.size()) > 0.5 * double(p.present)) {
      spec.ignored_.push_back({name, "identifier-like: " + std::to_string(p.levels.size()) + " different values in " +
                                         std::to_string(p.present) + " rows"});
    } else {
      auto c = category_column(name, p, rows.size());
      if (c.levels.empty() && !c.missing)
        spec.ignored_.push_back({name, "every value is rare"});
      else
        spec.add(std::move(c));
    }
  }
  return spec;
}

std::vector<std::string> FeatureSpec::feature_names() const {
  std::vector<std::string> names;
  for (const auto& c : columns_) {
    switch (c.kind) {
      case ColumnKind::number:
      case ColumnKind::boolean: names.push_back(c.name); break;
      case ColumnKind::date:
        names.push_back(c.name + ":days");
        names.push_back(c.name + ":month");
        names.push_back(c.name + ":weekday");
        break;
      case ColumnKind::category:
        for (const auto& level : c.levels) names.push_back(c.name + "=" + level);
        if (c.other) names.push_back(c.name + ":other");
        if (c.missing) names.push_back(c.name + ":missing");
        break;
    }
  }
  return names;
}

void FeatureSpec::encode(const json::object& attributes, float* out) const {
  for (const auto& c : columns_) {
    float* f = out + c.first;
    const auto* value = attributes.if_contains(c.name);
    auto text = value ? present_text(*value) : std::nullopt;
    switch (c.kind) {
      case ColumnKind::number: {
        std::optional<double> number;
        if (text) number = value->is_number() ? std::optional<double>(value->to_number<double>()) : number_of(*text);
        f[0] = number ? float(*number) : missing_value;
        break;
      }
      case ColumnKind::boolean: {
        std::optional<bool> b;
        if (text) b = value->is_bool() ? std::optional<bool>(value->get_bool()) : boolean_of(*text);
        if (!b && text)
          if (auto number = number_of(*text)) b = *number != 0;
        f[0] = b ? float(*b) : missing_value;
        break;
      }
      case ColumnKind::date: {
        auto date = text ? date_of(*text) : std::nullopt;
        if (!date) {
          f[0] = f[1] = f[2] = missing_value;
          break;
        }
        f[0] = float(date->days);
        f[1] = float(date->month);
        f[2] = float(((date->days % 7) + 7 + 3) % 7);  // 0 = Monday (1970-01-01 was a Thursday)
        break;
      }
      case ColumnKind::category: {
        std::fill(f, f + c.width, 0.0f);
        if (!text) {
          if (c.missing) f[c.width - 1] = 1;
          break;
        }
        auto it = std::find(c.levels.begin(), c.levels.end(), *text);
        if (it != c.levels.end()) f[it - c.levels.begin()] = 1;
        else if (c.other) f[c.levels.size()] = 1;
        break;
      }
    }
  }
}

json::object FeatureSpec::to_json() const {
  json::array columns, ignored;
  for (const auto& c : columns_) {
    json::object o;
    o["name"] = c.name;
    o["kind"] = kind_name(c.kind);
    if (c.kind == ColumnKind::category) {
      json::array levels;
      for (const auto& l : c.levels) levels.emplace_back(l);
      o["levels"] = std::move(levels);
      o["other"] = c.other;
      o["missing"] = c.missing;
    }
    columns.push_back(std::move(o));
  }
  for (const auto& i : ignored_) {
    json::object o;
    o["name"] = i.name;
    o["reason"] = i.reason;
    ignored.push_back(std::move(o));
  }
  json::object out;
  out["columns"] = std::move(columns);
  out["ignored"] = std::move(ignored);
  return out;
}

FeatureSpec FeatureSpec::from_json(const json::value& spec) {
  FeatureSpec out;
  for (const auto& v : spec.at("columns").as_array()) {
    const auto& o = v.as_object();
    Column c{std::string(o.at("name").as_string()), kind_named(o.at("kind").as_string())};
    if (c.kind == ColumnKind::date) c.width = 3;
    if (c.kind == ColumnKind::category) {
      for (const auto& l : o.at("levels").as_array()) c.levels.emplace_back(l.as_string());
      c.other = o.at("other").as_bool();
      c.missing = o.at("missing").as_bool();
      c.width = c.levels.size() + c.other + c.missing;
    }
    out.add(std::move(c));
  }
  for (const auto& v : spec.at("ignored").as_array())
    out.ignored_.push_back({std::string(v.at("name").as_string()), std::string(v.at("reason").as_string())});
  return out;
}

}  // namespace de::agents::sales
