#pragma once
// What a model's tokens cost (docs/ai.md): USD per million input and output tokens by model,
// built in for common OpenAI and Anthropic models, extended or overridden by configuration.
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "ai/chat.hpp"

namespace de::ai {

struct ModelPrice {
  double input_usd_per_mtok = 0;
  double output_usd_per_mtok = 0;
};

class PriceTable {
 public:
  PriceTable();  // the built-in list prices

  void set(std::string model, ModelPrice price);
  // Lines `model input_usd_per_mtok output_usd_per_mtok` (blank lines and # comments skipped),
  // each adding or replacing a model's price. Throws core::Error(bad_request) naming `source`
  // and the line of the first bad one; nothing is changed then.
  void load(std::string_view text, std::string_view source);
  // load() of a file's text (DE_AI_PRICES).
  void load_file(const std::string& path);

  // The exact name, else the longest name that is a prefix ending where the model's name goes
  // on with '-' (gpt-4o-mini-2024-07-18 is priced as gpt-4o-mini, never as gpt-4o).
  std::optional<ModelPrice> find(std::string_view model) const;
  // The cost of `usage` on `model`; nullopt when the model is not in the table.
  std::optional<double> cost(std::string_view model, const Usage& usage) const;

 private:
  std::map<std::string, ModelPrice, std::less<>> prices_;
};

}  // namespace de::ai
