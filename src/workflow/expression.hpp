#pragma once
// The safe expression and template language of workflow conditions and inputs
// (docs/workflows.md): literals, paths into the context (input.x, steps.a.output.items[0]),
// comparison, arithmetic, boolean logic and a few pure functions. No assignment, no loops,
// no calls out: parsing and evaluation are bounded in size, depth and steps.
#include <boost/json/value.hpp>

#include <memory>
#include <string>
#include <string_view>

namespace de::workflow {

struct Limits {
  std::size_t max_length = 2000;     // characters of one expression
  std::size_t max_depth = 32;        // nesting of the syntax tree
  std::size_t max_steps = 10000;     // evaluation work
  std::size_t max_string = 1 << 20;  // bytes of a string built by + or a template
};

class Expression {
 public:
  // Throws core::Error(validation) with the position of the first problem.
  static Expression parse(std::string_view text, const Limits& limits = {});
  // Evaluates against `context` (an object: input, steps, ...). Missing paths are null.
  // Throws core::Error(validation) on type errors (e.g. "abc" - 1) or when a limit is hit.
  boost::json::value evaluate(const boost::json::value& context) const;
  // The first segments of every path the expression reads (input, steps.<id>...).
  std::vector<std::vector<std::string>> paths() const;

  struct Node;

 private:
  std::shared_ptr<const Node> root_;
  Limits limits_;
};

bool truthy(const boost::json::value& value);

// Replaces {{ expression }} in every string of `value`. A string that is exactly one template
// keeps the expression's JSON type ("{{input.n}}" -> 5); otherwise results are spliced as text.
boost::json::value render(const boost::json::value& value, const boost::json::value& context,
                          const Limits& limits = {});
// Parses every template in `value`; throws core::Error naming the first bad one. Appends the
// paths they read to `paths`.
void check_templates(const boost::json::value& value, std::vector<std::vector<std::string>>& paths,
                     const Limits& limits = {});

}  // namespace de::workflow
