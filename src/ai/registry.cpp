#include "ai/registry.hpp"

#include <optional>

#include "ai/anthropic.hpp"
#include "ai/offline.hpp"
#include "ai/openai.hpp"

namespace de::ai {

// Forwards to the vendor client of the moment; a call keeps the one it started with.
class ProviderRegistry::Front final : public Provider {
 public:
  Front(std::string name, std::shared_ptr<Provider> client) : name_(std::move(name)), client_(std::move(client)) {}

  void replace(std::shared_ptr<Provider> client) {
    std::lock_guard lock(mutex_);
    client_ = std::move(client);
  }
  std::shared_ptr<Provider> client() const {
    std::lock_guard lock(mutex_);
    return client_;
  }

  std::string_view name() const override { return name_; }
  bool configured() const override { return client()->configured(); }
  std::string default_model() const override { return client()->default_model(); }
  boost::asio::awaitable<ChatResponse> chat(const ChatRequest& request) override {
    auto held = client();
    co_return co_await held->chat(request);
  }

 private:
  std::string name_;
  mutable std::mutex mutex_;
  std::shared_ptr<Provider> client_;
};

ProviderRegistry::ProviderRegistry(const core::Config& config) : config_(config) {
  for (std::string name : {"anthropic", "openai", "offline"})
    fronts_.emplace(name, std::make_shared<Front>(name, build(name, "")));
}

ProviderRegistry::~ProviderRegistry() = default;

namespace {
// A network provider's configuration; nothing for the offline one.
struct VendorSettings {
  const std::string& base_url;
  const std::string& key;  // from the environment
  const std::string& model;
};

std::optional<VendorSettings> vendor_settings(const core::Config& config, std::string_view provider) {
  if (provider == "openai") return VendorSettings{config.openai_base_url, config.openai_api_key, config.openai_model};
  if (provider == "anthropic")
    return VendorSettings{config.anthropic_base_url, config.anthropic_api_key, config.anthropic_model};
  return std::nullopt;
}
}  // namespace

std::shared_ptr<Provider> ProviderRegistry::build(std::string_view provider, const std::string& stored_key) const {
  auto vendor = vendor_settings(config_, provider);
  if (!vendor) return std::make_shared<OfflineProvider>();
  const auto& key = vendor->key.empty() ? stored_key : vendor->key;
  if (provider == "openai") return std::make_shared<OpenAiProvider>(OpenAiConfig{vendor->base_url, key, vendor->model});
  return std::make_shared<AnthropicProvider>(AnthropicConfig{vendor->base_url, key, vendor->model});
}

std::vector<std::shared_ptr<Provider>> ProviderRegistry::providers() const {
  std::vector<std::shared_ptr<Provider>> out;
  for (const auto& [name, front] : fronts_) out.push_back(front);
  return out;
}

bool ProviderRegistry::known(std::string_view provider) const { return fronts_.contains(provider); }

bool ProviderRegistry::takes_key(std::string_view provider) const { return vendor_settings(config_, provider).has_value(); }

bool ProviderRegistry::key_from_environment(std::string_view provider) const {
  auto vendor = vendor_settings(config_, provider);
  return vendor && !vendor->key.empty();
}

void ProviderRegistry::use_stored_key(std::string_view provider, std::string key) {
  auto front = fronts_.find(provider);
  if (front == fronts_.end() || !takes_key(provider)) return;
  {
    std::lock_guard lock(mutex_);
    if (key.empty()) stored_keys_.erase(std::string(provider));
    else stored_keys_[std::string(provider)] = key;
  }
  front->second->replace(build(provider, key));
}

std::string ProviderRegistry::key_source(std::string_view provider) const {
  if (key_from_environment(provider)) return "environment";
  std::lock_guard lock(mutex_);
  return stored_keys_.contains(provider) ? "stored" : "none";
}

std::string ProviderRegistry::base_url(std::string_view provider) const {
  auto vendor = vendor_settings(config_, provider);
  return vendor ? vendor->base_url : "";
}

}  // namespace de::ai
