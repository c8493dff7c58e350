// Fuzz target for the workflow expression and template language. Any input must end in a
// value or a core::Error, within the limits: never a crash, a hang or another exception.
//
// With clang: script/fuzz expression (docs/security.md, "Fuzzing").
// Without (g++, CTest): main() runs the seeds and a bounded, deterministic stream of mutations.
#include <boost/json.hpp>

#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "workflow/expression.hpp"

namespace {
const boost::json::value& context() {
  static const auto value = boost::json::parse(
      R"({"input":{"v":12,"s":"text","list":[1,2,3],"obj":{"k":{"deep":true}}},"steps":{"a":{"output":{"v":1.5}}}})");
  return value;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    de::workflow::Expression::parse(text).evaluate(context());
  } catch (const de::core::Error&) {
  }
  try {
    de::workflow::render(boost::json::string(std::string("x {{") + std::string(text) + "}} y"), context());
  } catch (const de::core::Error&) {
  }
  return 0;
}

#ifndef DE_LIBFUZZER
int main(int argc, char** argv) {
  std::vector<std::string> seeds = {
      "input.v > 10 && steps.a.output.v < 2", "len(input.list) * 3 - -1", "lower(input.s) + 'x'",
      "input.obj.k.deep || !false", "contains(input.list, 2) and number('4') == 4", "input.list[-1] % 2",
      "((((1))))", "[1, 'a', null, true][1]", "exists(input.nothing) != true", "string(input.obj)"};
  int mutations = argc > 1 ? std::atoi(argv[1]) : 20000;
  std::mt19937 rng(1234);
  const std::string alphabet = "()[]{}.,'\"!&|=<>+-*/% 0123456789abcdefinputsteps_lenor\\\n";
  for (const auto& seed : seeds) LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(seed.data()), seed.size());
  for (int i = 0; i < mutations; ++i) {
    std::string s = seeds[rng() % seeds.size()];
    int edits = 1 + int(rng() % 8);
    for (int e = 0; e < edits; ++e) {
      std::size_t at = s.empty() ? 0 : rng() % s.size();
      switch (rng() % 4) {
        case 0: s.insert(at, 1, alphabet[rng() % alphabet.size()]); break;
        case 1: if (!s.empty()) s.erase(at, 1); break;
        case 2: if (!s.empty()) s[at] = char(rng() % 256); break;
        default: s.insert(at, s.substr(0, rng() % (s.size() + 1))); break;  // repetition grows nesting
      }
    }
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
  }
  std::printf("expression fuzz: %d inputs, no crash\n", mutations + int(seeds.size()));
  return 0;
}
#endif
