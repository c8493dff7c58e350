#pragma once
// The password policy (docs/security.md, "Passwords"). password_problem(password), in
// model.hpp, checks the password alone: 12 to 256 characters, any of them; not a common or
// breached password (the embedded list), nor one with only digits or symbols around one, nor
// a run or repetition of characters. This one adds the account's context.
#include <cstddef>
#include <string>
#include <string_view>

#include "model/model.hpp"

namespace de::model {

inline constexpr std::size_t password_min_length = 12, password_max_length = 256;

// Also: not containing the local part of `email` (the account's) nor the product's name.
std::string password_problem(std::string_view password, std::string_view email);

}  // namespace de::model
