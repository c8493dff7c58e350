#include "ai/schema.hpp"

#include <boost/json.hpp>
#include <boost/regex.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>

#include "core/error.hpp"

namespace de::ai {

namespace json = boost::json;

namespace {

constexpr std::array<std::string_view, 7> kTypes = {"null",   "boolean", "integer", "number",
                                                    "string", "array",   "object"};
// Keywords that describe a value without constraining it.
constexpr std::array<std::string_view, 11> kAnnotations = {
    "$schema", "$id",    "$comment",   "title",    "description", "default",
    "examples", "format", "deprecated", "readOnly", "writeOnly"};
// Each opening bracket tried may cost a scan of the rest of the text: a bound on the work.
constexpr int kMaxBracketStarts = 64;
// A $ref that leads back to itself would recurse for ever; no real schema nests this deep.
constexpr int kMaxDepth = 64;

bool contains(const auto& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

double as_double(const json::value& number) { return number.to_number<double>(); }

bool is_integer(const json::value& v) {
  if (v.is_int64() || v.is_uint64()) return true;
  return v.is_double() && std::isfinite(v.get_double()) && std::floor(v.get_double()) == v.get_double();
}

bool has_type(const json::value& v, std::string_view type) {
  if (type == "null") return v.is_null();
  if (type == "boolean") return v.is_bool();
  if (type == "integer") return is_integer(v);
  if (type == "number") return v.is_number();
  if (type == "string") return v.is_string();
  if (type == "array") return v.is_array();
  return v.is_object();
}

std::string_view type_of(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null: return "null";
    case json::kind::bool_: return "boolean";
    case json::kind::int64:
    case json::kind::uint64: return "integer";
    case json::kind::double_: return "number";
    case json::kind::string: return "string";
    case json::kind::array: return "array";
    case json::kind::object: break;
  }
  return "object";
}

// Numbers compare by value, whatever their representation (1 == 1.0), as JSON Schema says.
bool same_json(const json::value& a, const json::value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_double() || b.is_double()) return as_double(a) == as_double(b);
    if (a.kind() == b.kind()) return a == b;
    const auto& signed_one = a.is_int64() ? a : b;
    const auto& unsigned_one = a.is_uint64() ? a : b;
    return signed_one.get_int64() >= 0 && std::uint64_t(signed_one.get_int64()) == unsigned_one.get_uint64();
  }
  if (a.is_array() && b.is_array()) {
    const auto &x = a.get_array(), &y = b.get_array();
    return x.size() == y.size() && std::equal(x.begin(), x.end(), y.begin(), same_json);
  }
  if (a.is_object() && b.is_object()) {
    const auto &x = a.get_object(), &y = b.get_object();
    return x.size() == y.size() && std::all_of(x.begin(), x.end(), [&](const json::key_value_pair& m) {
             const auto* other = y.if_contains(m.key());
             return other && same_json(m.value(), *other);
           });
  }
  return a == b;
}

// 3, 1.5, 100 (Boost.JSON would write 1.5E0).
std::string number_text(const json::value& number) {
  if (number.is_double()) return fmt::format("{}", number.get_double());
  return json::serialize(number);
}

std::string type_list(const json::value& type) {
  if (type.is_string()) return std::string(type.get_string());
  std::string text;
  for (const auto& name : type.get_array()) text += (text.empty() ? "" : " or ") + std::string(name.get_string());
  return text;
}

bool type_matches(const json::value& value, const json::value& type) {
  if (type.is_string()) return has_type(value, type.get_string());
  const auto& names = type.get_array();
  return std::any_of(names.begin(), names.end(), [&](const json::value& n) { return has_type(value, n.get_string()); });
}

std::size_t code_points(std::string_view text) {
  return std::size_t(std::count_if(text.begin(), text.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

// Boost.Regex rather than std::regex: its matcher does not recurse once per character (so a
// long string cannot overflow the stack) and it gives up, with an error, on catastrophic
// backtracking instead of running for ever.
boost::regex ecmascript(std::string_view pattern) { return boost::regex(pattern.begin(), pattern.end(), boost::regex::ECMAScript); }

std::string member_path(const std::string& path, std::string_view key) {
  bool plain = !key.empty() && !std::isdigit(static_cast<unsigned char>(key[0])) &&
               std::all_of(key.begin(), key.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
  if (plain) return fmt::format("{}.{}", path, key);
  return fmt::format("{}[{}]", path, json::serialize(json::string(key)));
}

std::string pointer_to(const std::string& pointer, std::string_view key) {
  std::string out = pointer + "/";
  for (char c : key) out += c == '~' ? "~0" : c == '/' ? "~1" : std::string(1, c);
  return out;
}

struct Validation {
  const json::value& root;
  std::vector<SchemaError> errors;

  void add(const std::string& path, std::string message) { errors.push_back({path, std::move(message)}); }

  void check(const json::value& value, const json::value& schema, const std::string& path, int depth) {
    if (depth > kMaxDepth) return add(path, "the schema nests too deep here (a $ref loop?)");
    if (schema.is_bool()) {
      if (!schema.get_bool()) add(path, "no value is allowed here");
      return;
    }
    const auto& s = schema.get_object();
    if (const auto* ref = s.if_contains("$ref")) {
      const auto* target = resolve_ref(root, ref->get_string());
      if (!target) return add(path, fmt::format("the schema's $ref {} leads nowhere", json::serialize(*ref)));
      check(value, *target, path, depth + 1);
    }
    if (const auto* type = s.if_contains("type"); type && !type_matches(value, *type))
      return add(path, fmt::format("expected {}, got {}", type_list(*type), type_of(value)));
    if (const auto* allowed = s.if_contains("enum")) {
      const auto& options = allowed->get_array();
      if (std::none_of(options.begin(), options.end(), [&](const json::value& o) { return same_json(value, o); }))
        add(path, fmt::format("must be one of {}", json::serialize(options)));
    }
    if (const auto* constant = s.if_contains("const"); constant && !same_json(value, *constant))
      add(path, fmt::format("must be {}", json::serialize(*constant)));
    if (value.is_number()) check_number(as_double(value), s, path);
    if (value.is_string()) check_string(value.get_string(), s, path);
    if (value.is_array()) check_array(value.get_array(), s, path, depth);
    if (value.is_object()) check_object(value.get_object(), s, path, depth);
    if (const auto* all = s.if_contains("allOf"))
      for (const auto& option : all->get_array()) check(value, option, path, depth + 1);
    if (const auto* any = s.if_contains("anyOf")) check_alternatives(value, any->get_array(), "anyOf", path, depth);
    if (const auto* one = s.if_contains("oneOf")) check_alternatives(value, one->get_array(), "oneOf", path, depth);
  }

  void check_number(double n, const json::object& s, const std::string& path) {
    auto bound = [&](std::string_view keyword, auto breaks, std::string_view relation) {
      if (const auto* limit = s.if_contains(keyword); limit && breaks(n, as_double(*limit)))
        add(path, fmt::format("must be {} {}", relation, number_text(*limit)));
    };
    bound("minimum", std::less<>(), ">=");
    bound("maximum", std::greater<>(), "<=");
    bound("exclusiveMinimum", std::less_equal<>(), ">");
    bound("exclusiveMaximum", std::greater_equal<>(), "<");
  }

  void check_string(std::string_view text, const json::object& s, const std::string& path) {
    auto length = code_points(text);
    if (const auto* min = s.if_contains("minLength"); min && length < min->to_number<std::size_t>())
      add(path, fmt::format("must be at least {} characters long", number_text(*min)));
    if (const auto* max = s.if_contains("maxLength"); max && length > max->to_number<std::size_t>())
      add(path, fmt::format("must be at most {} characters long", number_text(*max)));
    if (const auto* pattern = s.if_contains("pattern")) {
      try {
        // Not anchored: a match anywhere in the text counts, as JSON Schema says.
        if (!boost::regex_search(text.begin(), text.end(), ecmascript(pattern->get_string())))
          add(path, fmt::format("must match the pattern {}", pattern->get_string()));
      } catch (const std::runtime_error& e) {  // Boost.Regex gives up on a match too costly to try
        add(path, fmt::format("could not be matched against the pattern {}: {}", pattern->get_string(), e.what()));
      }
    }
  }

  void check_array(const json::array& items, const json::object& s, const std::string& path, int depth) {
    if (const auto* min = s.if_contains("minItems"); min && items.size() < min->to_number<std::size_t>())
      add(path, fmt::format("must have at least {} items", number_text(*min)));
    if (const auto* max = s.if_contains("maxItems"); max && items.size() > max->to_number<std::size_t>())
      add(path, fmt::format("must have at most {} items", number_text(*max)));
    if (const auto* item_schema = s.if_contains("items"))
      for (std::size_t i = 0; i < items.size(); ++i) check(items[i], *item_schema, fmt::format("{}[{}]", path, i), depth + 1);
  }

  void check_object(const json::object& object, const json::object& s, const std::string& path, int depth) {
    const auto* properties = s.if_contains("properties");
    const auto* additional = s.if_contains("additionalProperties");
    for (const auto& [key, member] : object) {
      const json::value* property = properties ? properties->get_object().if_contains(key) : nullptr;
      if (property) {
        check(member, *property, member_path(path, key), depth + 1);
      } else if (additional && additional->is_bool()) {
        if (!additional->get_bool()) add(member_path(path, key), "is not allowed (not a property of the schema)");
      } else if (additional) {
        check(member, *additional, member_path(path, key), depth + 1);
      }
    }
    if (const auto* required = s.if_contains("required"))
      for (const auto& name : required->get_array())
        if (!object.contains(name.get_string())) add(member_path(path, name.get_string()), "is required");
  }

  void check_alternatives(const json::value& value, const json::array& options, std::string_view keyword,
                          const std::string& path, int depth) {
    std::size_t matches = 0;
    std::vector<SchemaError> closest;  // the errors of the option that came nearest, to say why
    for (const auto& option : options) {
      Validation attempt{root, {}};
      attempt.check(value, option, path, depth + 1);
      if (attempt.errors.empty())
        ++matches;
      else if (closest.empty() || attempt.errors.size() < closest.size())
        closest = std::move(attempt.errors);
    }
    if (matches == 0)
      add(path, fmt::format("matches none of the {} schemas (closest: {})", keyword, describe(closest)));
    else if (keyword == "oneOf" && matches > 1)
      add(path, fmt::format("matches {} of the oneOf schemas, expected exactly one", matches));
  }
};

struct SchemaCheck {
  const json::value& root;
  std::vector<core::FieldError> problems;

  void problem(const std::string& at, std::string message) { problems.push_back({at, std::move(message)}); }

  void schema(const json::value& s, const std::string& at) {
    if (s.is_bool()) return;
    if (!s.is_object()) return problem(at, "a schema must be an object or a boolean");
    for (const auto& [key, value] : s.get_object()) keyword(key, value, pointer_to(at, key));
  }

  void schemas_by_name(const json::value& v, const std::string& at) {
    if (!v.is_object()) return problem(at, "must be an object of schemas");
    for (const auto& [name, member] : v.get_object()) schema(member, pointer_to(at, name));
  }

  void schema_list(const json::value& v, const std::string& at) {
    if (!v.is_array() || v.get_array().empty()) return problem(at, "must be a non-empty array of schemas");
    for (std::size_t i = 0; i < v.get_array().size(); ++i) schema(v.get_array()[i], fmt::format("{}/{}", at, i));
  }

  void type(const json::value& v, const std::string& at) {
    auto known = [](const json::value& name) { return name.is_string() && contains(kTypes, name.get_string()); };
    if (v.is_string() && known(v)) return;
    if (v.is_array() && !v.get_array().empty() && std::all_of(v.get_array().begin(), v.get_array().end(), known))
      return;
    problem(at, fmt::format("must be one of {} or a list of them, not {}", fmt::join(kTypes, ", "), json::serialize(v)));
  }

  void keyword(std::string_view key, const json::value& v, const std::string& at) {
    if (key == "type") return type(v, at);
    if (key == "properties" || key == "$defs" || key == "definitions") return schemas_by_name(v, at);
    if (key == "anyOf" || key == "oneOf" || key == "allOf") return schema_list(v, at);
    if (key == "additionalProperties") return schema(v, at);
    if (key == "items") {
      if (v.is_array()) return problem(at, "must be one schema (a list of schemas, tuple validation, is not supported)");
      return schema(v, at);
    }
    if (key == "required") {
      if (!v.is_array() || !std::all_of(v.get_array().begin(), v.get_array().end(), [](auto& n) { return n.is_string(); }))
        problem(at, "must be an array of property names");
      return;
    }
    if (key == "enum") {
      if (!v.is_array() || v.get_array().empty()) problem(at, "must be a non-empty array");
      return;
    }
    if (key == "minimum" || key == "maximum" || key == "exclusiveMinimum" || key == "exclusiveMaximum") {
      if (v.is_bool()) return problem(at, "must be a number (the boolean form of draft 4 is not supported)");
      if (!v.is_number()) problem(at, "must be a number");
      return;
    }
    if (key == "minLength" || key == "maxLength" || key == "minItems" || key == "maxItems") {
      if (!is_integer(v) || as_double(v) < 0) problem(at, "must be a non-negative integer");
      return;
    }
    if (key == "pattern") {
      if (!v.is_string()) return problem(at, "must be a string");
      try {
        ecmascript(v.get_string());
      } catch (const boost::regex_error& e) {
        problem(at, fmt::format("is not a valid regular expression: {}", e.what()));
      }
      return;
    }
    if (key == "$ref") {
      if (!v.is_string() || !resolve_ref(root, v.get_string()))
        problem(at, fmt::format("{} leads nowhere: only references inside this schema (#/$defs/name) are supported",
                                json::serialize(v)));
      return;
    }
    if (key == "const" || contains(kAnnotations, key)) return;
    problem(at, fmt::format("unsupported keyword {:?}", key));
  }
};

std::string_view trim(std::string_view text) {
  auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

std::optional<json::value> parse_json(std::string_view text) {
  boost::system::error_code ec;
  auto value = json::parse(text, ec);
  if (ec) return std::nullopt;
  return value;
}

std::optional<json::value> from_fenced_block(std::string_view text) {
  for (auto open = text.find("```"); open != std::string_view::npos;) {
    auto line_end = text.find('\n', open + 3);
    if (line_end == std::string_view::npos) break;
    auto close = text.find("```", line_end + 1);
    if (close == std::string_view::npos) break;
    auto language = trim(text.substr(open + 3, line_end - open - 3));
    bool json_block = language.empty() || (language.size() == 4 && std::equal(language.begin(), language.end(), "json",
                                                                               [](char a, char b) { return std::tolower(a) == b; }));
    if (json_block)
      if (auto value = parse_json(text.substr(line_end + 1, close - line_end - 1))) return value;
    open = text.find("```", close + 3);
  }
  return std::nullopt;
}

// One past the bracket that closes the one at `start`; nullopt when the brackets do not balance.
std::optional<std::size_t> balanced_end(std::string_view text, std::size_t start) {
  std::string closers;
  bool in_string = false, escaped = false;
  for (std::size_t i = start; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      closers += c == '{' ? '}' : ']';
    } else if (c == '}' || c == ']') {
      if (c != closers.back()) return std::nullopt;
      closers.pop_back();
      if (closers.empty()) return i + 1;
    }
  }
  return std::nullopt;
}

}  // namespace

const json::value* resolve_ref(const json::value& root, std::string_view ref) {
  if (ref.empty() || ref.front() != '#') return nullptr;
  auto pointer = ref.substr(1);
  if (pointer.empty()) return &root;
  boost::system::error_code ec;
  const auto* target = root.find_pointer(pointer, ec);
  return ec ? nullptr : target;
}

void check_schema(const json::value& schema) {
  SchemaCheck check{schema, {}};
  check.schema(schema, "#");
  if (check.problems.empty()) return;
  const auto& first = check.problems.front();
  auto more = check.problems.size() > 1 ? fmt::format(" (and {} more)", check.problems.size() - 1) : "";
  throw core::Error(core::ErrorKind::bad_request,
                    fmt::format("invalid JSON Schema: {}: {}{}", first.field, first.message, more),
                    std::move(check.problems));
}

std::vector<SchemaError> validate(const json::value& value, const json::value& schema) {
  Validation validation{schema, {}};
  validation.check(value, schema, "$", 0);
  return std::move(validation.errors);
}

std::string describe(const std::vector<SchemaError>& errors) {
  std::string text;
  for (const auto& e : errors) text += fmt::format("{}{}: {}", text.empty() ? "" : "; ", e.path, e.message);
  return text;
}

std::optional<json::value> extract_json(std::string_view text) {
  if (auto whole = parse_json(trim(text))) return whole;
  if (auto fenced = from_fenced_block(text)) return fenced;
  auto start = text.find_first_of("{[");
  for (int tried = 0; tried < kMaxBracketStarts && start != std::string_view::npos; ++tried, start = text.find_first_of("{[", start + 1))
    if (auto end = balanced_end(text, start))
      if (auto value = parse_json(text.substr(start, *end - start))) return value;
  return std::nullopt;
}

}  // namespace de::ai
