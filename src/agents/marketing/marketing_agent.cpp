#include "agents/marketing/marketing_agent.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "agents/marketing/generator.hpp"
#include "agents/marketing/optimizer.hpp"
#include "agents/marketing/report.hpp"
#include "core/error.hpp"
#include "core/json.hpp"
#include "integrations/delivery.hpp"

namespace de::agents::marketing {

namespace json = boost::json;

namespace {
constexpr const char* analyst_prompt =
    "You are a marketing analyst. Rewrite the campaign report below as a short paragraph for a manager: what "
    "changed, and what it means. Use only the numbers it gives; invent nothing.";

class MarketingAgent final : public BaseAgent {
 public:
  MarketingAgent(boost::asio::io_context& io, store::Database& db, ai::AiService& ai, integrations::Connectors* connectors,
                 std::string master_key)
      : io_(io), db_(db), ai_(ai), connectors_(connectors), master_key_(std::move(master_key)) {}

 protected:
  void validate_input(const model::Task& task) override {
    if (task.type == "marketing.generate_content") spec_of(task);
    else if (task.type == "marketing.campaign_report") report_request(task.input_data);
    else if (task.type != "marketing.optimize_budget")
      throw core::Error(core::ErrorKind::not_implemented, "the marketing agent cannot run '" + task.type + "'");
  }

  json::value execute_business_logic(const model::Task& task, const json::value&) override {
    if (task.type == "marketing.generate_content") {
      auto context = generation_context(db_, ai_, task.created_by, task.id, task.assigned_agent);
      auto spec = spec_of(task);
      auto content = boost::asio::co_spawn(io_, generate_content(context, spec), boost::asio::use_future).get();
      return store::content::to_json(content);
    }
    if (task.type == "marketing.optimize_budget") return optimize_budget(db_, task.input_data, "input_data");
    auto [options, destination] = report_request(task.input_data);
    auto report = campaign_report(db_, options);
    phrase(report);
    if (destination) send(report, *destination);
    return report;
  }

 private:
  // The report's options, and where it goes when the input has `send` (docs/marketing.md).
  std::pair<ReportOptions, std::optional<integrations::Destination>> report_request(const json::object& input) {
    auto options_input = input;
    options_input.erase("send");
    auto options = read_report_options(options_input, "input_data");
    const auto* send = input.if_contains("send");
    if (!send) return {options, std::nullopt};
    if (!send->is_object()) throw core::validation_error("input_data.send", "must be an object: {channel, to, integration}");
    return {options, integrations::read_destination(send->get_object(), "input_data.send")};
  }

  // Sends the narrative by email or Slack; the answer is kept in the report as `sent`.
  void send(json::object& report, const integrations::Destination& to) {
    std::string subject = "Campaign report";
    if (const auto& period = report.at("period"); period.is_object())
      subject += fmt::format(": {} to {}", std::string_view(period.at("from").as_string()),
                             std::string_view(period.at("to").as_string()));
    integrations::Message message{to.channel, to.to, subject, std::string(report.at("narrative").as_string())};
    auto account = db_.read([&](store::Connection& c) {
      return integrations::account_for(c, master_key_, message, to.integration, "input_data.send.integration");
    });
    auto delivery =
        boost::asio::co_spawn(io_, integrations::deliver(integrations::running(connectors_), account, message), boost::asio::use_future).get();
    report["sent"] = json::object{{"channel", to.channel}, {"integration_id", delivery.integration_id},
                                  {"delivery", std::move(delivery.result)}};
  }

  ContentSpec spec_of(const model::Task& task) {
    return db_.read([&](store::Connection& c) { return read_content_request(task.input_data, c, "input_data"); });
  }

  // "narrative": the summary as a configured model phrases it; the offline provider only
  // re-selects sentences, so without a model it is the computed summary itself.
  void phrase(json::object& report) {
    report["narrative"] = report.at("summary");
    report["phrased_by"] = nullptr;
    if (report.at("period").is_null()) return;
    ai::ChatRequest request;
    request.messages.push_back({ai::Role::system, analyst_prompt, {}, {}, {}});
    request.messages.push_back({ai::Role::user, core::to_text(report), {}, {}, {}});
    request.max_tokens = 600;
    ai::CallOptions options;
    options.labels.prompt_name = "marketing.campaign_report";
    try {
      auto reply = boost::asio::co_spawn(io_, ai_.chat(request, options), boost::asio::use_future).get();
      if (reply.provider == "offline" || reply.content.empty()) return;
      report["narrative"] = reply.content;
      report["phrased_by"] = reply.provider + "/" + reply.model;
    } catch (const std::exception& e) {  // the computed summary stands
      spdlog::warn(R"("msg":"campaign report not phrased","error":{})", core::quoted(e.what()));
    }
  }

  boost::asio::io_context& io_;
  store::Database& db_;
  ai::AiService& ai_;
  integrations::Connectors* connectors_;
  std::string master_key_;
};
}  // namespace

std::unique_ptr<BaseAgent> make_marketing_agent(boost::asio::io_context& io, store::Database& db, ai::AiService& ai,
                                                integrations::Connectors* connectors, std::string master_key) {
  return std::make_unique<MarketingAgent>(io, db, ai, connectors, std::move(master_key));
}

}  // namespace de::agents::marketing
