#include "core/json_exact.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/value_stack.hpp>

#include <charconv>
#include <string>

namespace de::core {

namespace json = boost::json;

namespace {
using json::error_code;
using json::string_view;

// Builds the value as boost::json::parser does, but reads doubles from their text.
class ExactHandler {
 public:
  static constexpr std::size_t max_object_size = json::object::max_size();
  static constexpr std::size_t max_array_size = json::array::max_size();
  static constexpr std::size_t max_key_size = json::string::max_size();
  static constexpr std::size_t max_string_size = json::string::max_size();

  json::value_stack stack;

  bool on_document_begin(error_code&) { return true; }
  bool on_document_end(error_code&) { return true; }
  bool on_object_begin(error_code&) { return true; }
  bool on_object_end(std::size_t n, error_code&) { return stack.push_object(n), true; }
  bool on_array_begin(error_code&) { return true; }
  bool on_array_end(std::size_t n, error_code&) { return stack.push_array(n), true; }
  bool on_key_part(string_view s, std::size_t, error_code&) { return stack.push_chars(s), true; }
  bool on_key(string_view s, std::size_t, error_code&) { return stack.push_key(s), true; }
  bool on_string_part(string_view s, std::size_t, error_code&) { return stack.push_chars(s), true; }
  bool on_string(string_view s, std::size_t, error_code&) { return stack.push_string(s), true; }
  bool on_number_part(string_view s, error_code&) { return number_.append(s.data(), s.size()), true; }
  bool on_int64(std::int64_t i, string_view, error_code&) { return number_.clear(), stack.push_int64(i), true; }
  bool on_uint64(std::uint64_t u, string_view, error_code&) { return number_.clear(), stack.push_uint64(u), true; }
  bool on_double(double approximate, string_view s, error_code&) {
    number_.append(s.data(), s.size());
    double exact = approximate;
    std::from_chars(number_.data(), number_.data() + number_.size(), exact);  // the grammar was checked
    number_.clear();
    return stack.push_double(exact), true;
  }
  bool on_bool(bool b, error_code&) { return stack.push_bool(b), true; }
  bool on_null(error_code&) { return stack.push_null(), true; }
  bool on_comment_part(string_view, error_code&) { return true; }
  bool on_comment(string_view, error_code&) { return true; }

 private:
  std::string number_;  // a number's text so far
};
}  // namespace

std::optional<json::value> parse_exact(std::string_view text) {
  json::basic_parser<ExactHandler> parser(json::parse_options{});
  parser.handler().stack.reset();
  error_code ec;
  auto used = parser.write_some(false, text.data(), text.size(), ec);
  if (ec || used != text.size()) return std::nullopt;
  return parser.handler().stack.release();
}

}  // namespace de::core
