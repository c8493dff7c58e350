#pragma once
// The AI services layer's vocabulary (docs/ai.md): a chat request and answer that every
// provider speaks, whatever its wire format, and the interface each provider implements.
// One-way: ai uses core (and store for records); agents/ and workflow/ use ai, never the reverse.
#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace de::ai {

enum class Role { system, user, assistant, tool };
std::string_view to_string(Role role);

// A tool the model asked to be run: `arguments` is the parsed JSON object it gave.
struct ToolCall {
  std::string id;
  std::string name;
  boost::json::value arguments;
};

struct Message {
  Role role = Role::user;
  std::string content;
  std::vector<ToolCall> tool_calls;  // assistant: the tools it asked for
  std::string tool_call_id;          // tool: the call this message answers
  std::string name;                  // tool: the tool's name
};

// A tool offered to the model; `parameters` is the JSON Schema of its arguments.
struct Tool {
  std::string name;
  std::string description;
  boost::json::value parameters;
};

struct Usage {
  std::int64_t input_tokens = 0;
  std::int64_t output_tokens = 0;
};

struct ChatRequest {
  std::string model;  // empty: the provider's configured default
  std::vector<Message> messages;
  std::vector<Tool> tools;
  // Structured output: the answer must be JSON valid against this schema (checked on our side).
  std::optional<boost::json::value> json_schema;
  std::optional<double> temperature;
  std::int64_t max_tokens = 1024;
  // Set: the answer is streamed and each piece of text is given here as it comes.
  std::function<void(std::string_view)> on_token;
  std::chrono::milliseconds timeout{60000};
};

struct ChatResponse {
  std::string provider;
  std::string model;
  std::string content;
  std::string finish_reason;  // stop, tool_calls, length
  std::vector<ToolCall> tool_calls;
  std::optional<boost::json::value> json;  // the structured output, validated
  Usage usage;
  double cost_usd = 0;
  double latency_ms = 0;
  int attempts = 1;
};

// A provider's failure: `retryable` (429, 5xx, timeout, connection lost), with the wait the
// vendor asked for in Retry-After when it gave one.
struct ProviderError : core::Error {
  ProviderError(core::ErrorKind kind, std::string message, int status, bool retryable,
                std::optional<std::chrono::milliseconds> retry_after = std::nullopt)
      : core::Error(kind, std::move(message)), status(status), retryable(retryable), retry_after(retry_after) {}
  int status = 0;  // the vendor's HTTP status, 0 when none came
  bool retryable = false;
  std::optional<std::chrono::milliseconds> retry_after;
};

class Provider {
 public:
  virtual ~Provider() = default;
  virtual std::string_view name() const = 0;  // openai, anthropic, offline
  virtual bool configured() const = 0;
  virtual std::string default_model() const = 0;
  // One call as the vendor answers it: no retries, no schema check, no cost (the service
  // adds those). Throws ProviderError.
  virtual boost::asio::awaitable<ChatResponse> chat(const ChatRequest& request) = 0;
};

}  // namespace de::ai
