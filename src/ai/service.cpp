#include "ai/service.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <cmath>
#include <exception>
#include <map>
#include <mutex>
#include <random>
#include <set>

#include "ai/schema.hpp"
#include "core/clock.hpp"
#include "core/config.hpp"
#include "core/error.hpp"
#include "core/json.hpp"

namespace de::ai {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

core::Error bad_request(std::string message) { return core::Error(core::ErrorKind::bad_request, std::move(message)); }

// A provider's circuit: closed while its consecutive failures stay under the threshold; then
// open until `open_until`; then half-open, letting one trial request through, whose success
// closes it and whose failure opens it again for a cooldown.
struct Breaker {
  int failures = 0;
  Clock::time_point open_until{};
  bool trial_in_flight = false;
  std::string last_error;
  std::int64_t last_error_at_ms = 0;
  std::int64_t open_until_ms = 0;
};

// Sets response.json when the answer holds JSON the schema accepts; the errors otherwise.
std::vector<SchemaError> attach_json(ChatResponse& response, const boost::json::value& schema) {
  auto value = extract_json(response.content);
  if (!value) return {{"$", "the answer holds no JSON"}};
  auto errors = validate(*value, schema);
  if (errors.empty()) response.json = std::move(*value);
  return errors;
}

// Lines start with the paths ($.x), so that nothing in them reads as a `key: value` pair.
std::string repair_prompt(const std::vector<SchemaError>& errors) {
  std::string text = "Your answer is not valid JSON for the required schema:\n";
  for (const auto& e : errors) text += fmt::format("- {}: {}\n", e.path, e.message);
  return text + "Answer again with the corrected JSON only, and no other text.";
}

}  // namespace

std::string_view to_string(CircuitState state) {
  switch (state) {
    case CircuitState::closed: return "closed";
    case CircuitState::open: return "open";
    case CircuitState::half_open: return "half_open";
  }
  return "closed";
}

AiServiceOptions service_options(const core::Config& config) {
  AiServiceOptions options;
  options.fallback_order = config.ai_providers;
  options.timeout = std::chrono::seconds(config.ai_timeout_seconds);
  options.max_attempts = config.ai_max_attempts;
  return options;
}

struct AiService::Impl {
  std::vector<std::shared_ptr<Provider>> providers;
  AiServiceOptions options;
  PriceTable prices;
  std::function<void(const CallRecord&)> hook;
  CallGate gate;

  mutable std::mutex mutex;  // guards what follows; never held across a co_await
  std::map<std::string, Breaker, std::less<>> breakers;
  std::map<std::pair<std::string, std::string>, UsageCounter> counters;  // by provider and model
  std::set<std::string, std::less<>> unpriced_models;  // each one warned about once

  Provider* find(std::string_view name) const {
    for (const auto& provider : providers)
      if (provider->name() == name) return provider.get();
    return nullptr;
  }

  CircuitState state(const Breaker& breaker, Clock::time_point now) const {
    if (breaker.failures < options.breaker_failures) return CircuitState::closed;
    return now < breaker.open_until ? CircuitState::open : CircuitState::half_open;
  }

  void check(const ChatRequest& request, const CallOptions& call) const {
    if (!call.provider.empty() && !find(call.provider))
      throw bad_request(fmt::format("unknown AI provider {:?}", call.provider));
    if (!call.model.empty() && call.provider.empty())
      throw bad_request(fmt::format("the model {:?} needs its provider named too", call.model));
    if (request.json_schema) check_schema(*request.json_schema);
    for (const auto& tool : request.tools) {
      try {
        check_schema(tool.parameters);
      } catch (const core::Error& e) {
        throw core::Error(core::ErrorKind::bad_request, fmt::format("tool {:?}: {}", tool.name, e.what()), e.fields());
      }
    }
  }

  // The preferred provider, then the fallback order.
  std::vector<Provider*> plan(const CallOptions& call) const {
    std::vector<Provider*> order;
    if (!call.provider.empty()) order.push_back(find(call.provider));
    for (const auto& name : options.fallback_order)
      if (name != call.provider) order.push_back(find(name));
    return order;
  }

  std::chrono::milliseconds backoff(int failed_attempts) const {
    thread_local std::mt19937 random{std::random_device{}()};
    double wait = double(options.backoff_base.count()) * std::pow(2.0, failed_attempts - 1);
    wait = std::min(wait, double(options.backoff_max.count()));
    return std::chrono::milliseconds(std::int64_t(wait * std::uniform_real_distribution<double>(0.5, 1.0)(random)));
  }

  // Whether `provider`'s circuit lets a request through now; taking the half-open trial if so.
  bool admit(std::string_view provider) {
    std::lock_guard lock(mutex);
    auto& breaker = breakers[std::string(provider)];
    switch (state(breaker, Clock::now())) {
      case CircuitState::closed: return true;
      case CircuitState::open: return false;
      case CircuitState::half_open: break;
    }
    if (breaker.trial_in_flight) return false;
    breaker.trial_in_flight = true;
    return true;
  }

  std::string last_error(std::string_view provider) const {
    std::lock_guard lock(mutex);
    auto it = breakers.find(provider);
    return it == breakers.end() ? std::string() : it->second.last_error;
  }

  double cost_of(const std::string& model, const Usage& usage) {
    if (auto cost = prices.cost(model, usage)) return *cost;
    std::lock_guard lock(mutex);
    if (unpriced_models.insert(model).second)
      spdlog::warn(R"("msg":"no price for this AI model: its cost is counted as 0; DE_AI_PRICES can add it","model":{})",
                   core::quoted(model));
    return 0;
  }

  void count_success(std::string_view provider, const std::string& model, const Usage& usage, double cost) {
    std::lock_guard lock(mutex);
    auto& breaker = breakers[std::string(provider)];
    breaker.failures = 0;
    breaker.trial_in_flight = false;
    auto& counter = counter_of(provider, model);
    ++counter.requests;
    counter.input_tokens += usage.input_tokens;
    counter.output_tokens += usage.output_tokens;
    counter.cost_usd += cost;
  }

  void count_failure(std::string_view provider, const std::string& model, std::string error) {
    std::lock_guard lock(mutex);
    auto& breaker = breakers[std::string(provider)];
    ++breaker.failures;
    breaker.trial_in_flight = false;
    breaker.last_error = std::move(error);
    breaker.last_error_at_ms = core::now_ms();
    bool opens = breaker.failures >= options.breaker_failures;
    if (opens) {
      breaker.open_until = Clock::now() + options.breaker_cooldown;
      breaker.open_until_ms = breaker.last_error_at_ms + options.breaker_cooldown.count();
    }
    auto& counter = counter_of(provider, model);
    ++counter.requests;
    ++counter.errors;
    spdlog::warn(R"("msg":"AI provider request failed","provider":"{}","model":{},"error":{},"circuit":"{}")", provider,
                 core::quoted(model), core::quoted(breaker.last_error), opens ? "open" : "closed");
  }

  UsageCounter& counter_of(std::string_view provider, const std::string& model) {
    auto& counter = counters[{std::string(provider), model}];
    if (counter.provider.empty()) counter.provider = provider, counter.model = model;
    return counter;
  }

  // One provider asked until it answers, its failure is not retryable, its attempts run out,
  // it asks for a wait longer than retry_after_max, or its circuit opens. nullopt and the
  // `reason` when it did not answer.
  asio::awaitable<std::optional<ChatResponse>> ask(Provider& provider, const ChatRequest& request, CallRecord& record,
                                                   std::string& reason) {
    auto name = provider.name();
    for (int attempt = 1;; ++attempt) {
      if (!admit(name)) {
        reason = fmt::format("{}: circuit open after repeated failures (last: {})", name, last_error(name));
        co_return std::nullopt;
      }
      ++record.attempts;
      record.provider = name;
      record.model = request.model;
      std::optional<std::chrono::milliseconds> wait;
      try {
        auto response = co_await provider.chat(request);
        if (!response.model.empty()) record.model = response.model;
        auto cost = cost_of(record.model, response.usage);
        count_success(name, record.model, response.usage, cost);
        record.usage.input_tokens += response.usage.input_tokens;
        record.usage.output_tokens += response.usage.output_tokens;
        record.cost_usd += cost;
        co_return response;
      } catch (const ProviderError& e) {
        count_failure(name, request.model, e.what());
        reason = fmt::format("{}: {}", name, e.what());
        if (e.retryable && attempt < options.max_attempts) wait = e.retry_after.value_or(backoff(attempt));
        if (e.retry_after && *e.retry_after > options.retry_after_max) {
          reason += fmt::format(" (asked to wait {} ms, more than the {} ms allowed)", e.retry_after->count(),
                                options.retry_after_max.count());
          wait.reset();
        }
      } catch (const std::exception& e) {
        count_failure(name, request.model, e.what());
        reason = fmt::format("{}: {}", name, e.what());
      }
      if (!wait) co_return std::nullopt;
      asio::steady_timer timer(co_await asio::this_coro::executor, *wait);
      co_await timer.async_wait(asio::use_awaitable);
    }
  }

  // The answer with its JSON when the schema accepts it; else one repair round: the invalid
  // answer and its errors go back to the same provider, asked for corrected JSON only.
  asio::awaitable<std::optional<ChatResponse>> structure(Provider& provider, const ChatRequest& request,
                                                         ChatResponse response, CallRecord& record, std::string& reason) {
    auto errors = attach_json(response, *request.json_schema);
    if (errors.empty()) co_return response;
    auto repair = request;
    repair.messages.push_back({Role::assistant, response.content});
    repair.messages.push_back({Role::user, repair_prompt(errors)});
    auto repaired = co_await ask(provider, repair, record, reason);
    if (!repaired) co_return std::nullopt;
    errors = attach_json(*repaired, *request.json_schema);
    if (!errors.empty())
      throw core::Error(core::ErrorKind::bad_gateway,
                        fmt::format("{} ({}) answered JSON that does not match the schema, even when asked again: {}",
                                    provider.name(), record.model, describe(errors)));
    co_return repaired;
  }

  asio::awaitable<ChatResponse> answer(ChatRequest& request, const CallOptions& call, CallRecord& record) {
    check(request, call);
    request.timeout = call.timeout.value_or(options.timeout);
    std::vector<std::string> reasons;
    for (auto* provider : plan(call)) {
      if (!provider->configured()) {
        reasons.push_back(fmt::format("{}: not configured", provider->name()));
        continue;
      }
      request.model = provider->name() == call.provider && !call.model.empty() ? call.model : provider->default_model();
      std::string reason;
      auto response = co_await ask(*provider, request, record, reason);
      if (response && request.json_schema && response->tool_calls.empty())
        response = co_await structure(*provider, request, std::move(*response), record, reason);
      if (response) co_return std::move(*response);
      reasons.push_back(std::move(reason));
    }
    throw core::Error(core::ErrorKind::unavailable, fmt::format("no AI provider answered: {}", fmt::join(reasons, "; ")));
  }

  void report(const CallRecord& record) const {
    if (!hook) return;
    try {
      hook(record);
    } catch (const std::exception& e) {  // a lost usage record must not fail an answered call
      spdlog::error(R"("msg":"AI usage hook failed","provider":"{}","error":{})", record.provider, core::quoted(e.what()));
    }
  }
};

AiService::AiService(std::vector<std::shared_ptr<Provider>> providers, AiServiceOptions options, PriceTable prices)
    : impl_(std::make_unique<Impl>()) {
  impl_->providers = std::move(providers);
  impl_->options = std::move(options);
  impl_->prices = std::move(prices);
  if (impl_->options.fallback_order.empty()) throw bad_request("the AI fallback order (DE_AI_PROVIDERS) is empty");
  for (const auto& name : impl_->options.fallback_order)
    if (!impl_->find(name)) throw bad_request(fmt::format("the AI fallback order names {:?}, which is not available", name));
}

AiService::~AiService() = default;

void AiService::on_call(std::function<void(const CallRecord&)> hook) { impl_->hook = std::move(hook); }

asio::awaitable<ChatResponse> AiService::chat(ChatRequest request, CallOptions options) {
  auto started = Clock::now();
  CallRecord record;
  record.labels = options.labels;
  std::optional<ChatResponse> response;
  std::exception_ptr failure;
  try {
    response = co_await impl_->answer(request, options, record);
  } catch (const std::exception& e) {
    record.error = e.what();
    failure = std::current_exception();
  }
  record.latency_ms = ms_since(started);
  record.ok = !failure;
  impl_->report(record);
  if (failure) std::rethrow_exception(failure);
  response->provider = record.provider;
  response->model = record.model;
  response->usage = record.usage;
  response->cost_usd = record.cost_usd;
  response->latency_ms = record.latency_ms;
  response->attempts = record.attempts;
  co_return std::move(*response);
}

std::vector<ProviderStatus> AiService::providers() const {
  std::vector<ProviderStatus> statuses;
  auto now = Clock::now();
  std::lock_guard lock(impl_->mutex);
  for (const auto& provider : impl_->providers) {
    ProviderStatus status{std::string(provider->name()), provider->configured(), provider->default_model()};
    if (auto it = impl_->breakers.find(provider->name()); it != impl_->breakers.end()) {
      const auto& breaker = it->second;
      status.circuit = impl_->state(breaker, now);
      status.consecutive_failures = breaker.failures;
      status.last_error = breaker.last_error;
      status.last_error_at_ms = breaker.last_error_at_ms;
      if (status.circuit == CircuitState::open) status.open_until_ms = breaker.open_until_ms;
    }
    statuses.push_back(std::move(status));
  }
  return statuses;
}

CallGate& AiService::gate() { return impl_->gate; }

std::vector<UsageCounter> AiService::usage() const {
  std::lock_guard lock(impl_->mutex);
  std::vector<UsageCounter> counters;
  for (const auto& [key, counter] : impl_->counters) counters.push_back(counter);
  return counters;
}

}  // namespace de::ai
