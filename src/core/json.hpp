#pragma once
// JSON helpers on Boost.JSON: parsing request bodies and reading fields with validation.
#include <boost/json.hpp>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace de::core {

namespace json = boost::json;

// Where `value` holds U+0000 in a string or key (a field path, "" for the value itself).
std::optional<std::string> find_nul(const json::value& value);
// Parses a request body that must be a JSON object; throws bad_request otherwise, and
// validation when a string holds U+0000.
json::object parse_object(std::string_view text);
// Parses stored JSON text; an empty or NULL column reads as `fallback`.
json::value parse_stored(std::string_view text, json::value fallback = json::object());

// Every JSON text the server writes (answers, events, stored values) comes from here. As
// Boost.JSON's serializer, except for numbers with a fraction part: written as people and tools
// expect (0.0, 1.0, 3.2, 0.0000448, 1e+21), where Boost writes 0E0, 1E0, 3.2E0, 4.48E-5. Non-finite numbers,
// which JSON cannot hold, are written null.
std::string to_text(const json::value& value);
std::string to_text(const json::object& object);
void append_text(std::string& out, const json::value& value);
void append_text(std::string& out, const json::object& object);
// An optional timestamp (ms since the epoch) as its RFC 3339 text, or null.
json::value time_or_null(const std::optional<std::int64_t>& epoch_ms);

// A JSON string literal (quoted and escaped), for log lines.
std::string quoted(std::string_view text);

// Writes one JSON object's text straight into a string, for hot paths that need only the text:
// the same bytes to_text gives for the json::object with these members in this order.
// Keys are written as given: names of ours, with nothing to escape.
class ObjectText {
 public:
  ObjectText() {
    out_.reserve(512);  // a task's text, mostly
    out_ += '{';
  }
  ObjectText& string(std::string_view key, std::string_view value);
  ObjectText& string_or_null(std::string_view key, const std::optional<std::string>& value);
  ObjectText& integer(std::string_view key, std::int64_t value);
  // A json::value or json::object, serialized.
  template <class Json>
  ObjectText& value(std::string_view key, const Json& value) {
    this->key(key);
    append_text(out_, value);
    return *this;
  }
  // The object's text; the writer is spent.
  std::string finish();

 private:
  void key(std::string_view key);
  std::string out_;
};

// Reads the fields of one JSON object, collecting a FieldError per bad field, so that a
// client learns every problem at once. finish() rejects unknown fields and throws if any
// error was collected.
class ObjectReader {
 public:
  explicit ObjectReader(const json::object& object, std::string prefix = "");

  std::optional<std::string> string(std::string_view key, bool required,
                                    std::size_t max_length = 10000);
  std::optional<std::int64_t> integer(std::string_view key, bool required, std::int64_t min,
                                      std::int64_t max);
  std::optional<double> number(std::string_view key, bool required);
  std::optional<bool> boolean(std::string_view key, bool required);
  const json::object* object(std::string_view key, bool required);
  const json::value* any(std::string_view key, bool required);
  std::optional<std::vector<std::string>> strings(std::string_view key, bool required,
                                                  std::size_t max_items = 100);
  // A string that must be one of `allowed`.
  std::optional<std::string> choice(std::string_view key, bool required,
                                    std::span<const std::string_view> allowed);

  void error(std::string_view key, std::string message);
  std::vector<FieldError>& errors() { return errors_; }
  std::string field_name(std::string_view key) const;
  // Rejects keys never asked for; returns the collected errors (does not throw).
  std::vector<FieldError> take_errors();
  // take_errors(), then throws a validation Error when there is any.
  void finish();

 private:
  const json::value* find(std::string_view key, bool required);

  const json::object& object_;
  std::string prefix_;
  std::vector<bool> asked_;  // by the object's member position: which were asked for
  std::vector<FieldError> errors_;
};

void throw_if_errors(std::vector<FieldError> errors);

}  // namespace de::core
