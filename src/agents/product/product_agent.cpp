#include "agents/product/product_agent.hpp"

#include "agents/product/analyzer.hpp"
#include "core/error.hpp"

namespace de::agents {

namespace {

class ProductAgent final : public BaseAgent {
 protected:
  void validate_input(const model::Task& task) override {
    if (task.type != "product.analyze_requirements")
      throw core::Error(core::ErrorKind::not_implemented,
                        "the product manager agent cannot run '" + task.type + "' yet: not implemented yet");
  }

  // The same input and answer as POST /api/v1/requirements/analyze.
  boost::json::value execute_business_logic(const model::Task& task, const boost::json::value&) override {
    auto requirements = product::read_analysis_request(task.input_data);
    return product::analysis_json(product::RequirementAnalyzer::shared().analyze(std::move(requirements)));
  }
};

}  // namespace

std::unique_ptr<BaseAgent> make_product_agent() { return std::make_unique<ProductAgent>(); }

}  // namespace de::agents
