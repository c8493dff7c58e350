#pragma once
// Workflows, their executions and the executions' steps.
#include "store/repositories.hpp"

namespace de::store {

namespace workflows {
void insert(Connection& c, const model::Workflow& w);
void update(Connection& c, const model::Workflow& w);
bool remove(Connection& c, const std::string& id);
std::optional<model::Workflow> find(Connection& c, const std::string& id);
std::optional<model::Workflow> find_by_webhook(Connection& c, const std::string& token);
Page<model::Workflow> list(Connection& c, const PageRequest& page);
std::vector<model::Workflow> active(Connection& c);
std::vector<model::Workflow> find_by_name(Connection& c, const std::string& name);
}  // namespace workflows

namespace executions {
void insert(Connection& c, const model::Execution& e);  // with its steps
void update(Connection& c, const model::Execution& e);  // status, output, error, timings
void update_step(Connection& c, const std::string& execution_id, const model::StepState& s);
// With steps, in definition order.
std::optional<model::Execution> find(Connection& c, const std::string& id);
Page<model::Execution> list(Connection& c, const std::optional<std::string>& workflow_id, const PageRequest& page);
std::vector<std::string> unfinished(Connection& c);
std::vector<std::string> unfinished_children(Connection& c, const std::string& parent_id);
struct Wake {
  std::string execution_id, step_id;
  std::int64_t at;
};
std::vector<Wake> waiting_delays(Connection& c);
}  // namespace executions

}  // namespace de::store
