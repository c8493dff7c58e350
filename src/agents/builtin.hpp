#pragma once
// The built-in agent kinds and the executor that runs them on the worker pool.
#include <boost/asio/thread_pool.hpp>

#include <memory>

#include "agents/base_agent.hpp"

namespace de::agents {

// The agent implementation for a built-in type (echo, product_manager); nullptr
// for types that run elsewhere (remote) or are made by the app with their services (sales:
// agents/sales/sales_agent.hpp; marketing: agents/marketing/marketing_agent.hpp; assistant).
std::unique_ptr<BaseAgent> make_agent(const std::string& type);

// An executor running `agent` on `pool`, never on the I/O threads (an instant() agent's
// microseconds of work run where they are started).
std::shared_ptr<hub::Executor> make_executor(std::shared_ptr<BaseAgent> agent, boost::asio::thread_pool& pool);

}  // namespace de::agents
