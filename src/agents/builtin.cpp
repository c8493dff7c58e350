#include "agents/builtin.hpp"

#include <boost/asio/post.hpp>

#include <mutex>
#include <unordered_map>

#include "agents/product/product_agent.hpp"

namespace de::agents {

namespace {

// Its output is its input: the target of tests and benchmarks.
class EchoAgent final : public BaseAgent {
 public:
  bool instant() const override { return true; }

 protected:
  void validate_input(const model::Task&) override {}
  boost::json::value execute_business_logic(const model::Task& task, const boost::json::value&) override {
    return task.input_data;
  }
};

class PoolExecutor final : public hub::Executor, public std::enable_shared_from_this<PoolExecutor> {
 public:
  PoolExecutor(std::shared_ptr<BaseAgent> agent, boost::asio::thread_pool& pool) : agent_(std::move(agent)), pool_(pool) {}

  void start(const model::Task& task, std::function<void(hub::Outcome)> done) override {
    if (agent_->instant()) {
      static const std::atomic<bool> never_cancelled{false};
      return done(agent_->run(task, never_cancelled));
    }
    auto flag = std::make_shared<std::atomic<bool>>(false);
    {
      std::lock_guard lock(mutex_);
      cancelled_[task.id] = flag;
    }
    boost::asio::post(pool_, [this, self = shared_from_this(), agent = agent_, task, done = std::move(done), flag] {
      auto outcome = agent->run(task, *flag);
      {
        std::lock_guard lock(mutex_);
        cancelled_.erase(task.id);
      }
      done(std::move(outcome));
    });
  }

  void cancel(const std::string& task_id) override {
    std::lock_guard lock(mutex_);
    if (auto it = cancelled_.find(task_id); it != cancelled_.end()) *it->second = true;
  }

 private:
  std::shared_ptr<BaseAgent> agent_;
  boost::asio::thread_pool& pool_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<std::atomic<bool>>> cancelled_;
};

}  // namespace

std::unique_ptr<BaseAgent> make_agent(const std::string& type) {
  if (type == "echo") return std::make_unique<EchoAgent>();
  if (type == "product_manager") return make_product_agent();
  return nullptr;
}

std::shared_ptr<hub::Executor> make_executor(std::shared_ptr<BaseAgent> agent, boost::asio::thread_pool& pool) {
  return std::make_shared<PoolExecutor>(std::move(agent), pool);
}

}  // namespace de::agents
