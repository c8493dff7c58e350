// Fuzz target: the JSON request bodies, through the validators the routes call: the body parser
// (core::parse_object), the field reader (core::ObjectReader), a new user, a requirements
// analysis and prioritisation, a budget, prompt variables, and the JSON Schema an llm step or
// POST /api/v1/ai/structured gives (checked, then applied to the body's "value"), plus the JSON
// found in a model's answer. Every input ends in a value or a core::Error (a 4xx answer).
#include <boost/json.hpp>

#include <cstdint>
#include <functional>
#include <string_view>

#include "agents/product/analyzer.hpp"
#include "agents/product/priority.hpp"
#include "ai/budget.hpp"
#include "ai/prompt.hpp"
#include "ai/schema.hpp"
#include "core/json.hpp"
#include "model/model.hpp"

namespace {
// One validator: a core::Error is its refusal; anything else escapes to libFuzzer.
void check(const std::function<void()>& validate) {
  try {
    validate();
  } catch (const de::core::Error&) {
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  check([&] { de::ai::extract_json(text); });
  boost::json::object body;
  try {
    body = de::core::parse_object(text);
  } catch (const de::core::Error&) {
    return 0;
  }
  check([&] { de::model::read_new_user(body); });
  check([&] { de::product::read_analysis_request(body); });
  check([&] { de::product::read_prioritize_request(body); });
  check([&] {
    std::vector<de::core::FieldError> errors;
    de::product::read_priority_values(body, "priority", errors);
  });
  check([&] {
    de::core::ObjectReader reader(body);
    de::ai::read_budget(reader, "budget");
    de::model::read_roles(reader, "roles", false);
    reader.choice("kind", false, std::array<std::string_view, 2>{"a", "b"});
    reader.number("score", false);
    reader.boolean("enabled", false);
    reader.finish();
  });
  check([&] {
    std::vector<de::core::FieldError> errors;
    if (auto* variables = body.if_contains("variables")) de::ai::read_variables(*variables, "variables", errors);
  });
  check([&] {
    auto* schema = body.if_contains("schema");
    if (!schema) return;
    de::ai::check_schema(*schema);
    if (auto* value = body.if_contains("value")) de::ai::describe(de::ai::validate(*value, *schema));
  });
  de::core::to_text(body);
  return 0;
}
