// Fuzz target: prompt templates (ai/prompt), as POST /api/v1/prompts takes them and as an llm
// step renders them. The input is the template text: its placeholders are declared with each
// type in turn and rendered with values of those types; the input is also read as a variables
// declaration when it is JSON. Any input ends in text or a core::Error.
#include <boost/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ai/prompt.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (size > de::ai::max_template_bytes) return 0;
  static const char* const types[] = {"string", "number", "boolean", "json"};
  static const boost::json::value samples[] = {"a {{b}} c", 4.5, true, boost::json::parse(R"({"k":[1,"{{x}}"]})")};
  try {
    std::vector<de::core::FieldError> errors;
    std::vector<de::ai::PromptVariable> variables;
    boost::json::object values;
    for (auto& name : de::ai::placeholders(text)) {
      auto type = variables.size() % 4;
      variables.push_back({name, types[type]});
      values[name] = samples[type];
    }
    de::ai::check_template(text, variables, "template", errors);
    if (errors.empty()) de::ai::render(text, variables, values);
    // A value of the wrong type is refused, not rendered.
    if (!variables.empty() && variables.front().type != "json") {
      values[variables.front().name] = boost::json::array{};
      try {
        de::ai::render(text, variables, values);
        __builtin_trap();
      } catch (const de::core::Error&) {
      }
    }
    boost::system::error_code ec;
    auto declared = boost::json::parse(text, ec);
    if (!ec) {
      std::vector<de::core::FieldError> declared_errors;
      auto read = de::ai::read_variables(declared, "variables", declared_errors);
      de::ai::to_json(read);
    }
  } catch (const de::core::Error&) {
  }
  return 0;
}
