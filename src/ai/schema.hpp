#pragma once
// JSON Schema, the subset that models and tools use (docs/ai.md): type (a name or a list,
// "null" among them for a nullable value), properties, required, additionalProperties, items,
// enum, const, minimum, maximum, exclusiveMinimum, exclusiveMaximum, minLength, maxLength,
// minItems, maxItems, pattern, anyOf, oneOf, allOf, and $ref to #/$defs or #/definitions of
// the same schema. Title, description, default, examples, format and the like are annotations.
#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace de::ai {

struct SchemaError {
  std::string path;  // where in the value: $, $.items[2].score, $["odd key"]
  std::string message;
};

// Throws core::Error(bad_request) when `schema` is not one this validator can apply: a keyword
// of the wrong kind, an unknown type, a pattern that is not an ECMAScript regular expression, a $ref that leads nowhere,
// or a keyword it does not support (so that no constraint is silently ignored). Each problem
// is a field of the error, named by its JSON pointer in the schema (#/properties/age/type).
void check_schema(const boost::json::value& schema);

// Every way `value` breaks `schema` (one check_schema accepts); empty when it is valid.
std::vector<SchemaError> validate(const boost::json::value& value, const boost::json::value& schema);

// "$.a: message; $.b: message", for error texts and the repair prompt.
std::string describe(const std::vector<SchemaError>& errors);

// The JSON in a model's answer: the whole text, else the first ```json (or bare ```) fenced
// block that parses, else the first balanced {...} or [...] that parses (starting at one of
// the first 64 opening brackets, which bounds the work on a long text).
std::optional<boost::json::value> extract_json(std::string_view text);

// The schema a local reference (#, #/$defs/name, #/definitions/name, any JSON pointer into
// `root`) points to; nullptr when it leads nowhere or is not local.
const boost::json::value* resolve_ref(const boost::json::value& root, std::string_view ref);

}  // namespace de::ai
