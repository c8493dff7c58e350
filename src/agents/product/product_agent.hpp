#pragma once
// The product_manager agent (docs/product.md): product.analyze_requirements and
// product.prioritize (the same input and answer as their routes), and
// product.stakeholder_update (drafts from the event log, stored), on the worker pool.
#include <memory>
#include <optional>

#include "agents/base_agent.hpp"
#include "agents/product/product_services.hpp"

namespace de::agents {

// Without services (a store and the AI service) the agent analyses and prioritises by the
// rules, and product.stakeholder_update fails as unavailable.
std::unique_ptr<BaseAgent> make_product_agent(std::optional<ProductServices> services = std::nullopt);

}  // namespace de::agents
