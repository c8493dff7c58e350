#include "model/password.hpp"

#include <algorithm>
#include <cctype>
#include <unordered_set>

namespace de::model {

std::string_view common_passwords_text();  // common_passwords.cpp, generated

namespace {
const std::unordered_set<std::string_view>& common_passwords() {
  static const auto set = [] {
    std::unordered_set<std::string_view> out;
    auto text = common_passwords_text();
    while (!text.empty()) {
      auto end = std::min(text.find('\n'), text.size());
      if (end > 0) out.insert(text.substr(0, end));
      text.remove_prefix(std::min(end + 1, text.size()));
    }
    return out;
  }();
  return set;
}

// Characters, not bytes (NIST SP 800-63B counts each Unicode code point as one).
std::size_t code_points(std::string_view text) {
  return std::size_t(std::count_if(text.begin(), text.end(), [](char c) { return (c & 0xc0) != 0x80; }));
}

// "aaaaaaaaaaaa", "abababababab", "123456789012", "zyxwvutsrqpo": too few distinct characters,
// or each one after the previous (digits wrap from 9 to 0).
bool run_or_repetition(std::string_view lower) {
  std::unordered_set<char> distinct(lower.begin(), lower.end());
  if (distinct.size() < 5) return true;
  auto step = [](char a, char b) {
    if (std::isdigit(static_cast<unsigned char>(a)) && std::isdigit(static_cast<unsigned char>(b)))
      return ((b - a) % 10 + 10) % 10 == 1 ? 1 : ((a - b) % 10 + 10) % 10 == 1 ? -1 : 0;
    return b - a == 1 ? 1 : a - b == 1 ? -1 : 0;
  };
  int direction = step(lower[0], lower[1]);
  if (direction == 0) return false;
  for (std::size_t i = 2; i < lower.size(); ++i)
    if (step(lower[i - 1], lower[i]) != direction) return false;
  return true;
}
}  // namespace

std::string password_problem(std::string_view password) {
  auto length = code_points(password);
  if (length < password_min_length)
    return "must be at least " + std::to_string(password_min_length) + " characters";
  if (length > password_max_length)
    return "must be at most " + std::to_string(password_max_length) + " characters";
  auto lowered = lower(password);
  if (common_passwords().contains(lowered)) return "is a commonly used password (found in breached-password lists)";
  // A common password with digits or symbols added before or after it ("Summer2024!").
  auto letter = [](char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; };
  auto first = std::find_if(lowered.begin(), lowered.end(), letter);
  auto last = std::find_if(lowered.rbegin(), lowered.rend(), letter).base();
  if (first < last && last - first >= 4 && common_passwords().contains(std::string_view(&*first, std::size_t(last - first))))
    return "is a commonly used password with only digits or symbols added";
  if (run_or_repetition(lowered)) return "is a run or repetition of characters";
  return "";
}

std::string password_problem(std::string_view password, std::string_view email) {
  if (auto problem = password_problem(password); !problem.empty()) return problem;
  auto lowered = lower(password);
  auto local = lower(email.substr(0, email.find('@')));
  if (local.size() >= 3 && lowered.find(local) != std::string::npos)
    return "must not contain the name of your email address (" + local + ")";
  std::string letters_digits;
  for (char c : lowered)
    if (std::isalnum(static_cast<unsigned char>(c))) letters_digits += c;
  if (letters_digits.find("digitalenterprise") != std::string::npos) return "must not contain the product's name";
  return "";
}


}  // namespace de::model
