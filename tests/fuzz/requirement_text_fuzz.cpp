// Fuzz target: requirement text, as POST /api/v1/requirements/analyze takes it (the product
// analyser, agents/product): the segmenter over a whole document, then classification,
// ambiguities, stories and relations over what it found, and the answer's JSON.
#include <cstdint>
#include <string>
#include <string_view>

#include "agents/product/analyzer.hpp"
#include "core/csv.hpp"
#include "core/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 64 * 1024) return 0;  // the route allows 1 MiB; a fuzz input this long adds nothing but time
  std::string document(reinterpret_cast<const char*>(data), size);
  if (!de::core::valid_utf8(document)) return 0;  // a JSON body's strings are UTF-8 (the parser checks)
  try {
    auto body = boost::json::object{{"text", document}};
    auto requirements = de::product::read_analysis_request(body);
    auto analyzed = de::product::RequirementAnalyzer::shared().analyze(std::move(requirements));
    de::product::analysis_json(analyzed);
  } catch (const de::core::Error&) {
  }
  return 0;
}
