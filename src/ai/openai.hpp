#pragma once
// OpenAI-compatible Chat Completions (POST {base_url}/chat/completions, docs/ai.md): OpenAI
// itself and the servers that speak its API (vLLM, llama.cpp's server, Ollama's /v1), for
// which the key is optional.
#include <string>

#include "ai/chat.hpp"

namespace de::ai {

struct OpenAiConfig {
  std::string base_url = "https://api.openai.com/v1";  // empty: not configured
  std::string api_key;  // sent as a Bearer token when set; a local server may need none
  std::string default_model = "gpt-4o-mini";
};

class OpenAiProvider final : public Provider {
 public:
  explicit OpenAiProvider(OpenAiConfig config);

  std::string_view name() const override { return "openai"; }
  // A base URL, and a key unless the base URL is another server than api.openai.com.
  bool configured() const override;
  std::string default_model() const override { return config_.default_model; }
  // Streamed (stream_options.include_usage) when the request has on_token; structured output
  // as response_format json_schema. Throws ProviderError.
  boost::asio::awaitable<ChatResponse> chat(const ChatRequest& request) override;

 private:
  OpenAiConfig config_;
  bool openai_itself_;  // the base URL is api.openai.com
};

}  // namespace de::ai
