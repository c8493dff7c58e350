#pragma once
// Prompt templates (docs/ai.md, "Prompts"): text with {{name}} placeholders and the typed
// variables it declares. A template must use exactly the variables it declares; a render must
// be given exactly those, each of its type.
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace de::ai {

struct PromptVariable {
  std::string name;
  std::string type = "string";  // string, number, boolean, json (any JSON value, rendered as JSON text)
};

inline constexpr std::size_t max_template_bytes = 100 * 1024;

// `variables` as sent: names, or {"name","type"} objects. Problems go to `errors`, named
// under `field` (variables[1].type).
std::vector<PromptVariable> read_variables(const boost::json::value& variables, std::string_view field,
                                           std::vector<core::FieldError>& errors);
boost::json::array to_json(const std::vector<PromptVariable>& variables);

// The names of the template's placeholders, each once, in order of first use.
std::vector<std::string> placeholders(std::string_view text);

// A placeholder that is not declared, or a declared variable the text never uses.
void check_template(std::string_view text, const std::vector<PromptVariable>& variables, std::string_view field,
                    std::vector<core::FieldError>& errors);

// The text with each placeholder replaced by its value. A missing, extra or mistyped variable
// is a bad request naming it (variables.<name>).
std::string render(std::string_view text, const std::vector<PromptVariable>& variables,
                   const boost::json::object& values);

}  // namespace de::ai
