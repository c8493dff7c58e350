#include "agents/marketing/marketing_agent.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>

#include "agents/marketing/generator.hpp"
#include "core/error.hpp"

namespace de::agents::marketing {

namespace {
class MarketingAgent final : public BaseAgent {
 public:
  MarketingAgent(boost::asio::io_context& io, store::Database& db, ai::AiService& ai) : io_(io), db_(db), ai_(ai) {}

 protected:
  void validate_input(const model::Task& task) override {
    if (task.type != "marketing.generate_content")
      throw core::Error(core::ErrorKind::not_implemented,
                        "the marketing agent cannot run '" + task.type + "' yet: not implemented yet");
    spec_of(task);
  }

  boost::json::value execute_business_logic(const model::Task& task, const boost::json::value&) override {
    auto context = generation_context(db_, ai_, task.created_by, task.id, task.assigned_agent);
    auto spec = spec_of(task);
    auto content = boost::asio::co_spawn(io_, generate_content(context, spec), boost::asio::use_future).get();
    return store::content::to_json(content);
  }

 private:
  ContentSpec spec_of(const model::Task& task) {
    return db_.read([&](store::Connection& c) { return read_content_request(task.input_data, c, "input_data"); });
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
