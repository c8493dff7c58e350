#include "agents/sales/pipeline_agent.hpp"

#include "agents/sales/forecast.hpp"
#include "core/error.hpp"

namespace de::agents::sales {

namespace {
class SalesAgent final : public BaseAgent {
 public:
  SalesAgent(store::Database& db, const core::Config& config)
      : db_(db), stages_(config.pipeline_stages), stale_days_(config.pipeline_stale_days) {}

 protected:
  void validate_input(const model::Task& task) override {
    if (task.type != "sales.pipeline_forecast")
      throw core::Error(core::ErrorKind::not_implemented,
                        "the sales agent cannot run '" + task.type + "' yet: not implemented yet");
    options_of(task);
  }

  boost::json::value execute_business_logic(const model::Task& task, const boost::json::value&) override {
    return forecast(db_, stages_, options_of(task));
  }

 private:
  ForecastOptions options_of(const model::Task& task) const { return read_forecast_options(task.input_data, stale_days_); }

  store::Database& db_;
  Stages stages_;
  int stale_days_;
};
}  // namespace

std::unique_ptr<BaseAgent> make_sales_agent(store::Database& db, const core::Config& config) {
  return std::make_unique<SalesAgent>(db, config);
}

}  // namespace de::agents::sales
