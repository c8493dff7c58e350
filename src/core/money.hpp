#pragma once
// Exact money: amounts in minor units of an ISO 4217 currency (cents for USD), read from and
// written as decimal text. Deals (docs/sales.md) and campaigns (docs/marketing.md) use it.
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace de::core {

// Decimal places of an ISO 4217 code (2, or 0 / 3 for the currencies that use them).
int currency_exponent(std::string_view currency);
// "1234.50" for 123450 minor units of USD.
std::string format_money(std::int64_t minor, std::string_view currency);
// A decimal (a JSON string such as "1234.50", or a number) in minor units of `currency`:
// non-negative, below 10^12 units, no more decimal places than the currency has. Nullopt with
// `problem` set otherwise.
std::optional<std::int64_t> parse_money(const boost::json::value& amount, std::string_view currency,
                                        std::string& problem);
// True for three capital letters (the form of an ISO 4217 code).
bool valid_currency(std::string_view code);

}  // namespace de::core
