#pragma once
// Anthropic Messages (POST {base_url}/v1/messages, anthropic-version 2023-06-01, docs/ai.md).
#include <string>

#include "ai/chat.hpp"

namespace de::ai {

struct AnthropicConfig {
  std::string base_url = "https://api.anthropic.com";  // empty: not configured
  std::string api_key;  // x-api-key
  std::string default_model = "claude-3-5-haiku-latest";
};

class AnthropicProvider final : public Provider {
 public:
  explicit AnthropicProvider(AnthropicConfig config) : config_(std::move(config)) {}

  std::string_view name() const override { return "anthropic"; }
  bool configured() const override { return !config_.base_url.empty() && !config_.api_key.empty(); }
  std::string default_model() const override { return config_.default_model; }
  // System messages become the top-level `system`, tool results `tool_result` blocks of a user
  // message; streamed when the request has on_token. Structured output: see anthropic.cpp.
  // Throws ProviderError.
  boost::asio::awaitable<ChatResponse> chat(const ChatRequest& request) override;

 private:
  AnthropicConfig config_;
};

}  // namespace de::ai
