// Fuzz target: workflow definitions (workflow/definition), as POST /api/v1/workflows takes
// them: any JSON value ends in a Definition or a validation error naming the fields. A
// definition that is accepted has its templates rendered and its conditions evaluated against a
// run's context, as the engine would.
#include <boost/json.hpp>

#include <cstdint>
#include <string_view>

#include "core/error.hpp"
#include "workflow/definition.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  boost::system::error_code ec;
  auto json = boost::json::parse(std::string_view(reinterpret_cast<const char*>(data), size), ec);
  if (ec) return 0;
  static const auto context = boost::json::parse(R"({"input":{"v":1,"s":"x"},"steps":{},"trigger":{}})");
  try {
    auto definition = de::workflow::parse_definition(json);
    for (const auto& step : definition.steps) {
      if (definition.find(step.id) != &step) __builtin_trap();
      try {
        de::workflow::render(step.input, context);
        if (step.expression) step.expression->evaluate(context);
      } catch (const de::core::Error&) {
      }
    }
  } catch (const de::core::Error&) {
  }
  return 0;
}
