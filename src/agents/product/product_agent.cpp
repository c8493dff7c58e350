#include "agents/product/product_agent.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "agents/product/analyzer.hpp"
#include "agents/product/publishing.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"

namespace de::agents {

namespace {

namespace asio = boost::asio;
namespace json = boost::json;

// Runs a coroutine to its end on this worker thread (its own io_context: the AI call and the
// store's write resume here), as the agent's steps are plain calls.
template <class T>
T run_here(asio::awaitable<T> work) {
  asio::io_context local;
  auto guard = asio::make_work_guard(local);
  std::optional<T> result;
  std::exception_ptr error;
  asio::co_spawn(local, std::move(work), [&](std::exception_ptr e, T value) {
    error = e;
    if (!e) result = std::move(value);
    guard.reset();
  });
  local.run();
  if (error) std::rethrow_exception(error);
  return std::move(*result);
}

class ProductAgent final : public BaseAgent {
 public:
  explicit ProductAgent(std::optional<ProductServices> services) : services_(services) {}

 protected:
  void validate_input(const model::Task& task) override {
    const auto& type = task.type;
    bool needs_store = type == "product.stakeholder_update" || type == "product.send_stakeholder_update" ||
                       type == "product.publish_requirements";
    if (!needs_store && type != "product.analyze_requirements" && type != "product.prioritize")
      throw core::Error(core::ErrorKind::not_implemented, "the product manager agent cannot run '" + type + "'");
    if (needs_store && !services_)
      throw core::Error(core::ErrorKind::unavailable, type + " needs the store, which this agent has not");
    if (type == "product.send_stakeholder_update") read_send_request(task.input_data);
  }

  boost::json::value execute_business_logic(const model::Task& task, const boost::json::value&) override {
    auto* ai = services_ ? services_->ai : nullptr;
    if (task.type == "product.analyze_requirements") {
      auto items = product::RequirementAnalyzer::shared().analyze(product::read_analysis_request(task.input_data));
      auto model_error = run_here(review_with_model(ai, items));
      return analysis_answer(items, model_error);
    }
    if (task.type == "product.prioritize") {
      auto request = product::read_prioritize_request(task.input_data);
      auto items = product::RequirementAnalyzer::shared().analyze(request.requirements);
      return run_here(prioritize_requirements(ai, std::move(items), request.given));
    }
    if (task.type == "product.send_stakeholder_update")
      return run_here(send_stakeholder_update(*services_, read_send_request(task.input_data)));
    if (task.type == "product.publish_requirements") return run_here(publish_requirements(*services_, task.input_data));
    auto request = read_update_request(task.input_data, core::now_ms());
    auto created_by = task.created_by;
    return run_here(draft_stakeholder_updates(services_->db, ai, request, created_by));
  }

 private:
  std::optional<ProductServices> services_;
};

}  // namespace

std::unique_ptr<BaseAgent> make_product_agent(std::optional<ProductServices> services) {
  return std::make_unique<ProductAgent>(services);
}

}  // namespace de::agents
