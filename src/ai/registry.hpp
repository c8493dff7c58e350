#pragma once
// The providers the AI service asks (docs/ai.md): one front per provider, whose vendor client
// is built again when its key changes through the API, so that a key takes effect at once
// while calls already under way finish with the client they started with.
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ai/chat.hpp"
#include "core/config.hpp"

namespace de::ai {

class ProviderRegistry {
 public:
  explicit ProviderRegistry(const core::Config& config);
  ~ProviderRegistry();

  // The fronts, one per provider (anthropic, openai, offline), for AiService.
  std::vector<std::shared_ptr<Provider>> providers() const;
  bool known(std::string_view provider) const;
  // Whether the provider takes a key at all (the offline one does not).
  bool takes_key(std::string_view provider) const;
  // A key from the environment wins: a stored one is then not used.
  bool key_from_environment(std::string_view provider) const;
  // Uses a key stored through the API ("" forgets it).
  void use_stored_key(std::string_view provider, std::string key);
  std::string key_source(std::string_view provider) const;  // environment, stored or none
  std::string base_url(std::string_view provider) const;

 private:
  class Front;
  std::shared_ptr<Provider> build(std::string_view provider, const std::string& key) const;

  const core::Config& config_;
  mutable std::mutex mutex_;
  std::map<std::string, std::string, std::less<>> stored_keys_;
  std::map<std::string, std::shared_ptr<Front>, std::less<>> fronts_;
};

}  // namespace de::ai
