#include "ai/prompt.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include "core/json.hpp"

namespace de::ai {

namespace json = boost::json;

namespace {
constexpr std::array<std::string_view, 4> variable_types{"string", "number", "boolean", "json"};

bool is_identifier(std::string_view name) {
  if (name.empty() || name.size() > 64 || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

// Calls on_text(piece) for literal text and on_placeholder(name) for each {{name}}; a "{{" that
// does not open a valid placeholder is literal text.
template <class Text, class Placeholder>
void scan(std::string_view text, Text on_text, Placeholder on_placeholder) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto open = text.find("{{", pos);
    if (open == std::string_view::npos) break;
    auto close = text.find("}}", open + 2);
    if (close == std::string_view::npos) break;
    auto name = trim(text.substr(open + 2, close - open - 2));
    if (!is_identifier(name)) {
      on_text(text.substr(pos, open + 2 - pos));
      pos = open + 2;
      continue;
    }
    on_text(text.substr(pos, open - pos));
    on_placeholder(name);
    pos = close + 2;
  }
  on_text(text.substr(pos));
}

bool declared(const std::vector<PromptVariable>& variables, std::string_view name) {
  return std::any_of(variables.begin(), variables.end(), [&](const auto& v) { return v.name == name; });
}

bool of_type(const json::value& value, std::string_view type) {
  if (type == "string") return value.is_string();
  if (type == "number") return value.is_number();
  if (type == "boolean") return value.is_bool();
  return true;  // json
}
}  // namespace

std::vector<PromptVariable> read_variables(const json::value& variables, std::string_view field,
                                           std::vector<core::FieldError>& errors) {
  std::vector<PromptVariable> out;
  if (!variables.is_array()) {
    errors.push_back({std::string(field), "must be an array of names or {\"name\",\"type\"} objects"});
    return out;
  }
  const auto& items = variables.get_array();
  if (items.size() > 100) errors.push_back({std::string(field), "at most 100 variables"});
  for (std::size_t i = 0; i < items.size() && i < 100; ++i) {
    auto at = std::string(field) + "[" + std::to_string(i) + "]";
    PromptVariable v;
    if (items[i].is_string()) {
      v.name = items[i].get_string();
    } else if (items[i].is_object()) {
      core::ObjectReader r(items[i].get_object(), at);
      v.name = r.string("name", true, 64).value_or("");
      v.type = r.choice("type", false, variable_types).value_or("string");
      auto problems = r.take_errors();
      errors.insert(errors.end(), problems.begin(), problems.end());
      if (!problems.empty()) continue;
    } else {
      errors.push_back({at, "must be a name or a {\"name\",\"type\"} object"});
      continue;
    }
    if (!is_identifier(v.name)) errors.push_back({at, "a name is letters, digits and _, not starting with a digit (at most 64)"});
    else if (declared(out, v.name)) errors.push_back({at, "'" + v.name + "' is declared twice"});
    else out.push_back(std::move(v));
  }
  return out;
}

json::array to_json(const std::vector<PromptVariable>& variables) {
  json::array out;
  for (const auto& v : variables) out.push_back(json::object{{"name", v.name}, {"type", v.type}});
  return out;
}

std::vector<std::string> placeholders(std::string_view text) {
  std::vector<std::string> names;
  scan(text, [](std::string_view) {}, [&](std::string_view name) {
    if (std::find(names.begin(), names.end(), name) == names.end()) names.emplace_back(name);
  });
  return names;
}

void check_template(std::string_view text, const std::vector<PromptVariable>& variables, std::string_view field,
                    std::vector<core::FieldError>& errors) {
  if (text.size() > max_template_bytes) {
    errors.push_back({std::string(field), "at most " + std::to_string(max_template_bytes) + " bytes"});
    return;
  }
  auto used = placeholders(text);
  for (const auto& name : used)
    if (!declared(variables, name))
      errors.push_back({std::string(field), "{{" + name + "}} is not a declared variable"});
  for (const auto& v : variables)
    if (std::find(used.begin(), used.end(), v.name) == used.end())
      errors.push_back({"variables", "'" + v.name + "' is declared but the template never uses it"});
}

std::string render(std::string_view text, const std::vector<PromptVariable>& variables, const json::object& values) {
  std::vector<core::FieldError> errors;
  for (const auto& v : variables) {
    auto it = values.find(v.name);
    if (it == values.end()) errors.push_back({"variables." + v.name, "missing (" + v.type + ")"});
    else if (!of_type(it->value(), v.type)) errors.push_back({"variables." + v.name, "must be a " + v.type});
  }
  for (const auto& [name, value] : values)
    if (!declared(variables, name)) errors.push_back({"variables." + std::string(name), "the template has no such variable"});
  if (!errors.empty()) {
    auto detail = errors.size() == 1 ? errors[0].field + ": " + errors[0].message
                                     : std::to_string(errors.size()) + " variables are wrong";
    throw core::Error(core::ErrorKind::bad_request, detail, std::move(errors));
  }
  std::string out;
  out.reserve(text.size());
  scan(text, [&](std::string_view piece) { out.append(piece); }, [&](std::string_view name) {
    const auto& value = values.at(name);
    if (value.is_string()) out.append(value.get_string());
    else out.append(core::to_text(value));
  });
  return out;
}

}  // namespace de::ai
