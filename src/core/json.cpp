#include "core/json.hpp"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "core/clock.hpp"

namespace de::core {

namespace {
bool has_nul(std::string_view s) { return s.find('\0') != std::string_view::npos; }

// The path of the first string or key holding U+0000, e.g. "input_data.items[2]".
std::optional<std::string> nul_path(const json::value& value, const std::string& path) {
  if (value.is_string()) return has_nul(value.get_string()) ? std::optional(path) : std::nullopt;
  if (value.is_array()) {
    const auto& array = value.get_array();
    for (std::size_t i = 0; i < array.size(); ++i)
      if (auto found = nul_path(array[i], fmt::format("{}[{}]", path, i))) return found;
  }
  if (value.is_object()) {
    for (const auto& [key, item] : value.get_object()) {
      auto item_path = path.empty() ? std::string(key) : fmt::format("{}.{}", path, std::string_view(key));
      if (has_nul(key)) return item_path;
      if (auto found = nul_path(item, item_path)) return found;
    }
  }
  return std::nullopt;
}
}  // namespace

std::optional<std::string> find_nul(const json::value& value) { return nul_path(value, ""); }

json::object parse_object(std::string_view text) {
  boost::system::error_code ec;
  json::value value = json::parse(text, ec);
  if (ec) throw Error(ErrorKind::bad_request, fmt::format("malformed JSON: {}", ec.message()));
  if (!value.is_object()) throw Error(ErrorKind::bad_request, "the body must be a JSON object");
  // A NUL can only arrive escaped; PostgreSQL text and jsonb cannot hold it, so no backend does.
  if (text.find("u0000") != std::string_view::npos) {
    if (auto field = find_nul(value))
      throw Error(ErrorKind::validation, "strings must not contain the NUL character (U+0000)",
                  {{*field, "contains the NUL character (U+0000)"}});
  }
  return std::move(value.as_object());
}

json::value parse_stored(std::string_view text, json::value fallback) {
  if (text.empty()) return fallback;
  boost::system::error_code ec;
  json::value value = json::parse(text, ec);
  return ec ? fallback : value;
}

namespace {
// Which bytes a JSON string escapes: quote, backslash and control characters only (as Boost.JSON's
// serializer does; UTF-8 passes as it is).
constexpr auto escaped = [] {
  std::array<bool, 256> table{};
  for (int c = 0; c < 0x20; ++c) table[c] = true;
  table['"'] = table['\\'] = true;
  return table;
}();

// The first byte at or after `from` that is escaped, or text.size(). Eight bytes are looked at
// together (most strings escape nothing): a zero byte in w ^ '"'... or '\\'..., or a byte
// below 0x20, shows in the high bits of (v - 0x01...) & ~v (exact for "any", not for "which").
std::size_t next_escaped(std::string_view text, std::size_t from) {
  constexpr std::uint64_t ones = 0x0101010101010101, highs = 0x8080808080808080;
  auto any_zero = [&](std::uint64_t v) { return (v - ones) & ~v & highs; };
  auto any_below_space = [&](std::uint64_t v) { return (v - 0x20 * ones) & ~v & highs; };
  for (; from + 8 <= text.size(); from += 8) {
    std::uint64_t w;
    std::memcpy(&w, text.data() + from, 8);
    if (any_zero(w ^ ('"' * ones)) | any_zero(w ^ ('\\' * ones)) | any_below_space(w)) break;
  }
  while (from < text.size() && !escaped[static_cast<unsigned char>(text[from])]) ++from;
  return from;
}

// The runs between escapes are appended whole.
void append_quoted(std::string& out, std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  out += '"';
  std::size_t run = 0;
  for (auto i = next_escaped(text, 0); i < text.size(); i = next_escaped(text, i + 1)) {
    auto c = static_cast<unsigned char>(text[i]);
    out.append(text, run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\f': out += "\\f"; break;
      case '\r': out += "\\r"; break;
      default: out.append("\\u00").append(1, hex[c >> 4]).append(1, hex[c & 0xf]);
    }
  }
  out.append(text, run);
  out += '"';
}
}  // namespace

namespace {
// The shortest text that reads back as the same double: in plain decimals from a millionth to
// 10^16 (0.0000448, not 4.48e-05), in exponent form beyond; ".0" when it would read as an integer.
void append_double(std::string& out, double d) {
  if (!std::isfinite(d)) {
    out += "null";
    return;
  }
  char buffer[40];
  auto magnitude = std::fabs(d);
  bool plain = magnitude == 0 || (magnitude >= 1e-6 && magnitude < 1e16);
  auto end = plain ? std::to_chars(buffer, buffer + sizeof buffer, d, std::chars_format::fixed).ptr
                   : std::to_chars(buffer, buffer + sizeof buffer, d).ptr;
  std::string_view text(buffer, std::size_t(end - buffer));
  out.append(text);
  if (text.find_first_of(".e") == std::string_view::npos) out += ".0";
}

template <class Integer>
void append_integer(std::string& out, Integer n) {
  char buffer[24];
  out.append(buffer, std::to_chars(buffer, buffer + sizeof buffer, n).ptr);
}
}  // namespace

void append_text(std::string& out, const json::object& object) {
  out += '{';
  bool first = true;
  for (const auto& [key, value] : object) {
    if (!first) out += ',';
    first = false;
    append_quoted(out, key);
    out += ':';
    append_text(out, value);
  }
  out += '}';
}

void append_text(std::string& out, const json::value& value) {
  switch (value.kind()) {
    case json::kind::null: out += "null"; break;
    case json::kind::bool_: out += value.get_bool() ? "true" : "false"; break;
    case json::kind::int64: append_integer(out, value.get_int64()); break;
    case json::kind::uint64: append_integer(out, value.get_uint64()); break;
    case json::kind::double_: append_double(out, value.get_double()); break;
    case json::kind::string: append_quoted(out, value.get_string()); break;
    case json::kind::object: append_text(out, value.get_object()); break;
    case json::kind::array: {
      out += '[';
      bool first = true;
      for (const auto& item : value.get_array()) {
        if (!first) out += ',';
        first = false;
        append_text(out, item);
      }
      out += ']';
      break;
    }
  }
}

std::string to_text(const json::value& value) {
  std::string out;
  append_text(out, value);
  return out;
}

std::string to_text(const json::object& object) {
  std::string out;
  append_text(out, object);
  return out;
}

std::string quoted(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  append_quoted(out, text);
  return out;
}

void ObjectText::key(std::string_view key) {
  out_ += out_.size() > 1 ? ",\"" : "\"";
  out_.append(key).append("\":");
}

ObjectText& ObjectText::string(std::string_view key, std::string_view value) {
  this->key(key);
  append_quoted(out_, value);
  return *this;
}

ObjectText& ObjectText::string_or_null(std::string_view key, const std::optional<std::string>& value) {
  if (value) return string(key, *value);
  this->key(key);
  out_ += "null";
  return *this;
}

ObjectText& ObjectText::integer(std::string_view key, std::int64_t value) {
  this->key(key);
  out_ += std::to_string(value);
  return *this;
}

std::string ObjectText::finish() {
  out_ += '}';
  return std::move(out_);
}

ObjectReader::ObjectReader(const json::object& object, std::string prefix)
    : object_(object), prefix_(std::move(prefix)), asked_(object.size()) {}

std::string ObjectReader::field_name(std::string_view key) const {
  return prefix_.empty() ? std::string(key) : fmt::format("{}.{}", prefix_, key);
}

void ObjectReader::error(std::string_view key, std::string message) {
  errors_.push_back({field_name(key), std::move(message)});
}

const json::value* ObjectReader::find(std::string_view key, bool required) {
  auto it = object_.find(key);
  if (it != object_.end()) asked_[std::size_t(it - object_.begin())] = true;
  if (it == object_.end() || (it->value().is_null() && !required)) {
    if (required) error(key, "is required");
    return nullptr;
  }
  return &it->value();
}

std::optional<std::string> ObjectReader::string(std::string_view key, bool required,
                                                std::size_t max_length) {
  const json::value* v = find(key, required);
  if (!v) return std::nullopt;
  if (!v->is_string()) {
    error(key, "must be a string");
    return std::nullopt;
  }
  const auto& s = v->get_string();
  if (required && s.empty()) {
    error(key, "must not be empty");
    return std::nullopt;
  }
  if (s.size() > max_length) {
    error(key, fmt::format("must be at most {} characters", max_length));
    return std::nullopt;
  }
  return std::string(s);
}

std::optional<std::int64_t> ObjectReader::integer(std::string_view key, bool required,
                                                  std::int64_t min, std::int64_t max) {
  const json::value* v = find(key, required);
  if (!v) return std::nullopt;
  std::int64_t n;
  if (v->is_int64()) {
    n = v->get_int64();
  } else if (v->is_uint64() && v->get_uint64() <= std::uint64_t(INT64_MAX)) {
    n = std::int64_t(v->get_uint64());
  } else {
    error(key, "must be an integer");
    return std::nullopt;
  }
  if (n < min || n > max) {
    error(key, fmt::format("must be between {} and {}", min, max));
    return std::nullopt;
  }
  return n;
}

std::optional<double> ObjectReader::number(std::string_view key, bool required) {
  const json::value* v = find(key, required);
  if (!v) return std::nullopt;
  if (!v->is_number()) {
    error(key, "must be a number");
    return std::nullopt;
  }
  return v->to_number<double>();
}

std::optional<bool> ObjectReader::boolean(std::string_view key, bool required) {
  const json::value* v = find(key, required);
  if (!v) return std::nullopt;
  if (!v->is_bool()) {
    error(key, "must be true or false");
    return std::nullopt;
  }
  return v->get_bool();
}

const json::object* ObjectReader::object(std::string_view key, bool required) {
  const json::value* v = find(key, required);
  if (!v) return nullptr;
  if (!v->is_object()) {
    error(key, "must be an object");
    return nullptr;
  }
  return &v->get_object();
}

const json::value* ObjectReader::any(std::string_view key, bool required) {
  return find(key, required);
}

std::optional<std::vector<std::string>> ObjectReader::strings(std::string_view key, bool required,
                                                              std::size_t max_items) {
  const json::value* v = find(key, required);
  if (!v) return std::nullopt;
  if (!v->is_array()) {
    error(key, "must be an array of strings");
    return std::nullopt;
  }
  const auto& array = v->get_array();
  if (array.size() > max_items) {
    error(key, fmt::format("must have at most {} items", max_items));
    return std::nullopt;
  }
  std::vector<std::string> out;
  for (std::size_t i = 0; i < array.size(); ++i) {
    if (!array[i].is_string() || array[i].get_string().empty() ||
        array[i].get_string().size() > 200) {
      errors_.push_back({fmt::format("{}[{}]", field_name(key), i),
                         "must be a non-empty string of at most 200 characters"});
      return std::nullopt;
    }
    out.emplace_back(array[i].get_string());
  }
  return out;
}

std::optional<std::string> ObjectReader::choice(std::string_view key, bool required,
                                                std::span<const std::string_view> allowed) {
  auto value = string(key, required);
  if (!value) return std::nullopt;
  for (auto a : allowed)
    if (a == *value) return value;
  error(key, fmt::format("must be one of: {}", fmt::join(allowed, ", ")));
  return std::nullopt;
}

std::vector<FieldError> ObjectReader::take_errors() {
  for (std::size_t i = 0; i < object_.size(); ++i)
    if (!asked_[i]) error(object_.begin()[i].key(), "is not a known field");
  return std::move(errors_);
}

void ObjectReader::finish() { throw_if_errors(take_errors()); }

void throw_if_errors(std::vector<FieldError> errors) {
  if (errors.empty()) return;
  std::string detail = errors.size() == 1
                           ? fmt::format("{}: {}", errors[0].field, errors[0].message)
                           : fmt::format("{} fields are invalid", errors.size());
  throw Error(ErrorKind::validation, std::move(detail), std::move(errors));
}

json::value time_or_null(const std::optional<std::int64_t>& epoch_ms) {
  return epoch_ms ? json::value(format_timestamp(*epoch_ms)) : json::value(nullptr);
}

}  // namespace de::core
