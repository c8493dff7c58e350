#include "ai/prices.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>
#include <vector>

#include "core/error.hpp"

namespace de::ai {

namespace {

// List prices in USD per million tokens (input, output) as published by OpenAI and Anthropic
// in November 2025, without batch or cache discounts. They change: DE_AI_PRICES overrides
// them and adds models (docs/ai.md).
const std::map<std::string, ModelPrice, std::less<>>& builtin_prices() {
  static const std::map<std::string, ModelPrice, std::less<>> table = {
      {"offline-1", {0, 0}},  // the built-in offline provider runs here, for nothing
      {"gpt-5", {1.25, 10}},
      {"gpt-5.1", {1.25, 10}},
      {"gpt-5-mini", {0.25, 2}},
      {"gpt-5-nano", {0.05, 0.40}},
      {"gpt-4.1", {2, 8}},
      {"gpt-4.1-mini", {0.40, 1.60}},
      {"gpt-4.1-nano", {0.10, 0.40}},
      {"gpt-4o", {2.50, 10}},
      {"gpt-4o-mini", {0.15, 0.60}},
      {"gpt-4-turbo", {10, 30}},
      {"gpt-4", {30, 60}},
      {"gpt-3.5-turbo", {0.50, 1.50}},
      {"o1", {15, 60}},
      {"o1-mini", {1.10, 4.40}},
      {"o3", {2, 8}},
      {"o3-mini", {1.10, 4.40}},
      {"o4-mini", {1.10, 4.40}},
      {"claude-opus-4-5", {5, 25}},
      {"claude-opus-4-1", {15, 75}},
      {"claude-opus-4", {15, 75}},
      {"claude-sonnet-4-5", {3, 15}},
      {"claude-sonnet-4", {3, 15}},
      {"claude-haiku-4-5", {1, 5}},
      {"claude-3-7-sonnet", {3, 15}},
      {"claude-3-5-sonnet", {3, 15}},
      {"claude-3-5-haiku", {0.80, 4}},
      {"claude-3-opus", {15, 75}},
      {"claude-3-haiku", {0.25, 1.25}},
  };
  return table;
}

std::optional<double> parse_price(std::string_view text) {
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value) || value < 0) return std::nullopt;
  return value;
}

}  // namespace

PriceTable::PriceTable() : prices_(builtin_prices()) {}

void PriceTable::set(std::string model, ModelPrice price) { prices_[std::move(model)] = price; }

void PriceTable::load(std::string_view text, std::string_view source) {
  std::map<std::string, ModelPrice, std::less<>> loaded;
  std::istringstream lines{std::string(text)};
  std::string line;
  for (int number = 1; std::getline(lines, line); ++number) {
    std::istringstream words(line);
    std::vector<std::string> fields;
    for (std::string word; words >> word && word.front() != '#';) fields.push_back(word);
    if (fields.empty()) continue;
    auto input = fields.size() == 3 ? parse_price(fields[1]) : std::nullopt;
    auto output = fields.size() == 3 ? parse_price(fields[2]) : std::nullopt;
    if (!input || !output)
      throw core::Error(core::ErrorKind::bad_request,
                        fmt::format("{} line {}: expected `model input_usd_per_mtok output_usd_per_mtok` with two "
                                    "non-negative numbers, got {:?}",
                                    source, number, line));
    loaded[fields[0]] = {*input, *output};
  }
  for (auto& [model, price] : loaded) prices_[model] = price;
}

void PriceTable::load_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw core::Error(core::ErrorKind::bad_request, fmt::format("cannot read the price file {}", path));
  std::stringstream text;
  text << in.rdbuf();
  load(text.str(), path);
}

std::optional<ModelPrice> PriceTable::find(std::string_view model) const {
  if (auto exact = prices_.find(model); exact != prices_.end()) return exact->second;
  // Shorter and shorter prefixes cut at a '-': the first one in the table is the longest.
  for (auto cut = model.rfind('-'); cut != std::string_view::npos && cut > 0; cut = model.rfind('-', cut - 1))
    if (auto it = prices_.find(model.substr(0, cut)); it != prices_.end()) return it->second;
  return std::nullopt;
}

std::optional<double> PriceTable::cost(std::string_view model, const Usage& usage) const {
  auto price = find(model);
  if (!price) return std::nullopt;
  return (double(usage.input_tokens) * price->input_usd_per_mtok + double(usage.output_tokens) * price->output_usd_per_mtok) /
         1e6;
}

}  // namespace de::ai
