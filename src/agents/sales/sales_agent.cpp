#include "agents/sales/sales_agent.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>

#include <chrono>
#include <thread>

#include "agents/sales/forecast.hpp"
#include "core/clock.hpp"
#include "integrations/connectors.hpp"
#include "integrations/crm/runner.hpp"
#include "core/ids.hpp"
#include "core/json.hpp"

namespace de::agents::sales {

namespace json = boost::json;

namespace {
class SalesAgent final : public BaseAgent {
 public:
  SalesAgent(LeadScoring& scoring, store::Database& db, const core::Config& config, std::optional<CrmSync> sync)
      : scoring_(scoring), db_(db), stages_(config.pipeline_stages), stale_days_(config.pipeline_stale_days), sync_(sync) {}

 protected:
  void validate_input(const model::Task& task) override {
    if (task.type == "sales.pipeline_forecast") {
      forecast_options(task);
      return;
    }
    if (task.type == "sales.sync_crm") {
      sync_reference(task.input_data);
      return;
    }
    if (task.type != "sales.train_lead_model" && task.type != "sales.score_lead")
      throw core::Error(core::ErrorKind::not_implemented,
                        "the sales agent cannot run '" + task.type + "' yet: not implemented yet");
  }

  json::value execute_business_logic(const model::Task& task, const json::value&) override {
    const auto& input = task.input_data;
    if (task.type == "sales.pipeline_forecast") return forecast(db_, stages_, forecast_options(task));
    if (task.type == "sales.sync_crm") return sync_crm(sync_reference(input));
    return task.type == "sales.train_lead_model" ? train(task, input) : score(input);
  }

 private:
  // The CRM integration a sync task names (its id or name).
  std::string sync_reference(const json::object& input) {
    core::ObjectReader r(input, "input_data");
    auto reference = r.string("integration", true, 200);
    r.finish();
    return *reference;
  }

  // Begins a run as POST /api/v1/integrations/{id}/sync does and waits for its end: the run
  // with what it pulled, pushed and found in conflict.
  json::value sync_crm(const std::string& reference) {
    if (!sync_) throw core::Error(core::ErrorKind::unavailable, "CRM sync is not running here");
    auto integration = db_.read([&](store::Connection& c) { return integrations::find_usable(c, reference); });
    auto run = boost::asio::co_spawn(sync_->io, sync_->runner.run_now(integration.id), boost::asio::use_future).get();
    while (run.status == "running") {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      auto now = db_.read([&](store::Connection& c) { return store::sync::find_run(c, run.id); });
      if (!now) throw core::Error(core::ErrorKind::internal, "the sync run " + run.id + " is gone");
      run = *now;
    }
    if (run.status != "succeeded")
      throw core::Error(core::ErrorKind::bad_gateway, "the sync run " + run.id + " " + run.status + ": " + run.error.value_or(""));
    return store::sync::to_json(run);
  }

  ForecastOptions forecast_options(const model::Task& task) const {
    return read_forecast_options(task.input_data, stale_days_);
  }

  json::value train(const model::Task& task, const json::object& input) {
    core::ObjectReader r(input, "input_data");
    auto model_id = r.string("model_id", false, 64);
    auto exclude = r.strings("exclude", false, 1000);
    auto activate = read_activate(r);
    if (model_id && !core::is_uuid(*model_id)) r.error("model_id", "must be a lead model id (UUID)");
    r.finish();
    if (!model_id) {
      store::lead_models::Record record;
      record.id = core::new_id();
      record.activate = activate.value_or("auto");
      record.exclude = exclude.value_or(std::vector<std::string>{});
      record.task_id = task.id;
      record.created_by = task.created_by;
      record.created_at = core::now_ms();
      db_.write_sync([&](store::Tx& tx) { store::lead_models::insert(tx.connection, record); });
      model_id = record.id;
    }
    return scoring_.train(*model_id);
  }

  json::value score(const json::object& input) {
    core::ObjectReader r(input, "input_data");
    auto lead_id = r.string("lead_id", false, 64);
    const auto* attributes = r.object("attributes", false);
    if (!lead_id && !attributes) r.error("lead_id", "give a lead_id or the lead's attributes");
    if (lead_id && !core::is_uuid(*lead_id)) r.error("lead_id", "must be a lead id (UUID)");
    r.finish();
    Scores scores;
    if (lead_id) {
      auto lead = db_.read([&](store::Connection& c) { return store::leads::find(c, *lead_id); });
      if (!lead) throw core::validation_error("input_data.lead_id", "no lead has this id");
      scores = scoring_.score_leads(std::span(&*lead, 1), core::now_ms());
      db_.write_sync([&](store::Tx& tx) { store_score(tx, *lead); });
    } else {
      LeadFields fields;
      fields.attributes = attributes;
      scores = scoring_.score(std::span(&fields, 1), true);
    }
    auto out = to_json(scores.items[0], scores.model_id.has_value());
    out["model_id"] = scores.model_id ? json::value(*scores.model_id) : json::value(nullptr);
    if (lead_id) out["lead_id"] = *lead_id;
    return out;
  }

  LeadScoring& scoring_;
  store::Database& db_;
  Stages stages_;
  int stale_days_;
  std::optional<CrmSync> sync_;
};
}  // namespace

void store_score(store::Tx& tx, const store::leads::Lead& lead) {
  if (!store::leads::set_score(tx.connection, lead.id, lead.updated_at, lead.score)) return;
  tx.emit("leads.scored", store::leads::scored_event(lead.id, lead.score));
}

std::unique_ptr<BaseAgent> make_sales_agent(LeadScoring& scoring, store::Database& db, const core::Config& config,
                                            std::optional<CrmSync> sync) {
  return std::make_unique<SalesAgent>(scoring, db, config, sync);
}

}  // namespace de::agents::sales
