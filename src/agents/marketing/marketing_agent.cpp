#include "agents/marketing/marketing_agent.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <spdlog/spdlog.h>

#include "agents/marketing/generator.hpp"
#include "agents/marketing/optimizer.hpp"
#include "agents/marketing/report.hpp"
#include "core/error.hpp"
#include "core/json.hpp"

namespace de::agents::marketing {

namespace json = boost::json;

namespace {
constexpr const char* analyst_prompt =
    "You are a marketing analyst. Rewrite the campaign report below as a short paragraph for a manager: what "
    "changed, and what it means. Use only the numbers it gives; invent nothing.";

class MarketingAgent final : public BaseAgent {
 public:
  MarketingAgent(boost::asio::io_context& io, store::Database& db, ai::AiService& ai) : io_(io), db_(db), ai_(ai) {}

 protected:
  void validate_input(const model::Task& task) override {
    if (task.type == "marketing.generate_content") spec_of(task);
    else if (task.type == "marketing.campaign_report") read_report_options(task.input_data, "input_data");
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
    auto report = campaign_report(db_, read_report_options(task.input_data, "input_data"));
    phrase(report);
    return report;
  }

 private:
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
};
}  // namespace

std::unique_ptr<BaseAgent> make_marketing_agent(boost::asio::io_context& io, store::Database& db, ai::AiService& ai) {
  return std::make_unique<MarketingAgent>(io, db, ai);
}

}  // namespace de::agents::marketing
