#pragma once
// AiService (docs/ai.md): what agents and workflows call. It holds the providers and adds to
// them what no single vendor call does: a fallback order, retries with jittered backoff that
// honour Retry-After, a circuit breaker per provider, structured output checked against its
// schema (one repair round), cost from the price table, and usage: a record per call and
// counters by provider and model.
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ai/budget.hpp"
#include "ai/chat.hpp"
#include "ai/prices.hpp"

namespace de::core {
struct Config;
}

namespace de::ai {

// Who a call is for, written with its record.
struct CallLabels {
  std::string agent_id;
  std::string workflow_id;
  std::string prompt_name;
  int prompt_version = 0;  // 0: no prompt template
};

// The service sets the request's `model` and `timeout` for each provider it tries, from these
// and its options.
struct CallOptions {
  std::string provider;  // tried first, then the fallback order; empty: the fallback order
  std::string model;     // for `provider` (so it needs one); the others use their default model
  std::optional<std::chrono::milliseconds> timeout;  // per attempt; default: the service's
  CallLabels labels;
};

// One finished call, answered or not, for the usage hook.
struct CallRecord {
  std::string provider;  // the one that answered, else the last one tried ("" when none was)
  std::string model;
  Usage usage;           // summed over every attempt of the call, a repair round's included
  double cost_usd = 0;
  double latency_ms = 0;  // the whole call: retries, waits and fallbacks included
  int attempts = 0;       // requests sent to providers
  bool ok = false;
  std::string error;  // why, when not ok
  CallLabels labels;
};

struct AiServiceOptions {
  std::vector<std::string> fallback_order = {"anthropic", "openai", "offline"};
  int max_attempts = 3;  // per provider and call
  std::chrono::milliseconds timeout{60000};  // per attempt (ChatRequest::timeout)
  std::chrono::milliseconds backoff_base{500};  // doubled after each failed attempt, jittered
  std::chrono::milliseconds backoff_max{8000};
  // A provider that asks for a longer wait (Retry-After) is left for the next one at once.
  std::chrono::milliseconds retry_after_max{30000};
  int breaker_failures = 5;  // consecutive failed requests that open a provider's circuit
  std::chrono::milliseconds breaker_cooldown{30000};  // open this long, then one trial request
};

// DE_AI_PROVIDERS, DE_AI_TIMEOUT and DE_AI_MAX_ATTEMPTS.
AiServiceOptions service_options(const core::Config& config);

enum class CircuitState { closed, open, half_open };
std::string_view to_string(CircuitState state);

// A provider as the dashboard shows it.
struct ProviderStatus {
  std::string name;
  bool configured = false;
  std::string default_model;
  CircuitState circuit = CircuitState::closed;
  int consecutive_failures = 0;
  std::string last_error;             // "" until one fails
  std::int64_t last_error_at_ms = 0;  // since the epoch; 0 until one fails
  std::int64_t open_until_ms = 0;     // while open: when the trial request may go
};

// Requests sent to one provider for one model, for /metrics.
struct UsageCounter {
  std::string provider;
  std::string model;
  std::int64_t requests = 0;
  std::int64_t errors = 0;
  std::int64_t input_tokens = 0;
  std::int64_t output_tokens = 0;
  double cost_usd = 0;
};

class AiService {
 public:
  // Throws core::Error(bad_request) when the fallback order names a provider not given here.
  AiService(std::vector<std::shared_ptr<Provider>> providers, AiServiceOptions options = {},
            PriceTable prices = {});
  ~AiService();

  // Called once for every call that ends, answered or not, on the thread it ends on. Set it
  // before the first call.
  void on_call(std::function<void(const CallRecord&)> hook);

  // The first configured provider (CallOptions::provider, then the fallback order) whose
  // circuit lets it answer does; a failing one is retried while the failure is retryable and
  // attempts remain, then the next one is asked. Throws core::Error: bad_request (a malformed
  // schema, an unknown provider, a model without its provider), bad_gateway (structured
  // output still invalid after the repair round), unavailable (no provider answered; each
  // one's reason in the message).
  boost::asio::awaitable<ChatResponse> chat(ChatRequest request, CallOptions options = {});

  std::vector<ProviderStatus> providers() const;
  std::vector<UsageCounter> usage() const;

  // Calls in flight by agent or workflow, for budgets' concurrent_calls (this node's).
  CallGate& gate();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// `service.chat(request, options)` for a coroutine to co_await: GCC 12 destroys wrongly the
// by-value arguments of a coroutine called inside a co_await expression, so they are made
// here, in a plain function, and the awaiting coroutine passes references only.
inline boost::asio::awaitable<ChatResponse> ask(AiService& service, const ChatRequest& request, const CallOptions& options) {
  return service.chat(request, options);
}

}  // namespace de::ai
