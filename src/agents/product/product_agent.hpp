#pragma once
// The product_manager agent: product.analyze_requirements runs the RequirementAnalyzer on the
// worker pool; product.prioritize and product.stakeholder_update are not implemented yet.
#include <memory>

#include "agents/base_agent.hpp"

namespace de::agents {

std::unique_ptr<BaseAgent> make_product_agent();

}  // namespace de::agents
