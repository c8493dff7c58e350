#include "core/money.hpp"

#include <algorithm>
#include <array>

#include "core/json.hpp"

namespace de::core {

namespace json = boost::json;

namespace {
// Text of a decimal amount: a string as given, a number as its shortest exact text.
std::optional<std::string> decimal_text(const json::value& amount) {
  if (amount.is_string()) return std::string(amount.get_string());
  if (amount.is_number()) return to_text(amount);
  return std::nullopt;
}
}  // namespace

bool valid_currency(std::string_view code) {
  return code.size() == 3 && std::all_of(code.begin(), code.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

int currency_exponent(std::string_view currency) {
  static constexpr std::array<std::string_view, 16> none{"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW",
                                                         "PYG", "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF"};
  static constexpr std::array<std::string_view, 7> three{"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"};
  if (std::find(none.begin(), none.end(), currency) != none.end() || currency == "XPF") return 0;
  if (std::find(three.begin(), three.end(), currency) != three.end()) return 3;
  return 2;
}

std::string format_money(std::int64_t minor, std::string_view currency) {
  int exponent = currency_exponent(currency);
  bool negative = minor < 0;
  auto digits = std::to_string(negative ? -minor : minor);
  if (exponent > 0) {
    if (digits.size() <= std::size_t(exponent)) digits.insert(0, std::size_t(exponent) + 1 - digits.size(), '0');
    digits.insert(digits.size() - std::size_t(exponent), 1, '.');
  }
  return negative ? "-" + digits : digits;
}

std::optional<std::int64_t> parse_money(const json::value& amount, std::string_view currency, std::string& problem) {
  auto text = decimal_text(amount);
  if (!text) {
    problem = "must be a decimal amount, such as \"1234.50\"";
    return std::nullopt;
  }
  int exponent = currency_exponent(currency);
  auto dot = text->find('.');
  std::string units = text->substr(0, dot), fraction = dot == std::string::npos ? "" : text->substr(dot + 1);
  auto all_digits = [](const std::string& s) { return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }); };
  if (units.empty() || !all_digits(units) || !all_digits(fraction) || (dot != std::string::npos && fraction.empty())) {
    problem = "must be a non-negative decimal amount, such as \"1234.50\"";
    return std::nullopt;
  }
  units.erase(0, std::min(units.find_first_not_of('0'), units.size() - 1));
  if (units.size() > 12) {  // below 10^12 units: sums of many deals stay far inside int64
    problem = "must be below 1000000000000";
    return std::nullopt;
  }
  fraction.erase(std::min(fraction.size(), fraction.find_last_not_of('0') + 1));  // "10.50" is "10.5"
  if (fraction.size() > std::size_t(exponent)) {
    problem = "must have at most " + std::to_string(exponent) + " decimal places in " + std::string(currency);
    return std::nullopt;
  }
  fraction.append(std::size_t(exponent) - fraction.size(), '0');
  std::int64_t minor = std::stoll(units);
  for (int i = 0; i < exponent; ++i) minor *= 10;
  if (!fraction.empty()) minor += std::stoll(fraction);
  return minor;
}

}  // namespace de::core
