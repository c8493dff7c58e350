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
// Changes whenever a workflow is saved, archived or deleted, on any node: (count, sum of updated_at).
std::pair<std::int64_t, std::int64_t> fingerprint(Connection& c);
// Records the firing of a workflow's schedule at `scheduled_at`: true for the first caller, on
// any node; false when it is recorded already. Firings older than a day are forgotten.
bool claim_firing(Connection& c, const std::string& workflow_id, std::int64_t scheduled_at);
}  // namespace workflows

namespace executions {
void insert(Connection& c, const model::Execution& e);  // with its steps
void update(Connection& c, const model::Execution& e);  // status, output, error, timings
void update_step(Connection& c, const std::string& execution_id, const model::StepState& s);
// With steps, in definition order.
std::optional<model::Execution> find(Connection& c, const std::string& id);
// The same inside a write that changes the execution: on PostgreSQL its row stays locked until
// the commit, so another node's change of the same execution waits and then reads this one's.
std::optional<model::Execution> find_for_update(Connection& c, const std::string& id);
// The same sent without waiting (Connection::send): `then` gets the execution when its answer
// comes back, at the connection's next flush or query.
void find_for_update(Connection& c, const std::string& id, std::function<void(std::optional<model::Execution>)> then);
Page<model::Execution> list(Connection& c, const std::optional<std::string>& workflow_id, const PageRequest& page);
std::vector<std::string> unfinished(Connection& c);
std::vector<std::string> unfinished_children(Connection& c, const std::string& parent_id);
struct Wake {
  std::string execution_id, step_id;
  std::int64_t at;
};
// Several nodes: the node making a step's call (http, integration, llm) holds its lease.
void lease_call(Connection& c, const std::string& execution_id, const std::string& step_id, const std::string& holder,
                std::int64_t expires_at);
// Every running call `holder` makes keeps its lease until `expires_at`.
void renew_calls(Connection& c, const std::string& holder, std::int64_t expires_at);
struct Call {
  std::string execution_id, step_id, type;
};
// The running calls whose lease ran out before `now` (their node died), now `holder`'s until
// `expires_at` (PostgreSQL; another node's transaction taking the same ones skips them).
std::vector<Call> take_over_calls(Connection& c, const std::string& holder, std::int64_t now, std::int64_t expires_at);
// Steps waiting for a delay due before `due_before`, at most `limit`.
std::vector<Wake> delays(Connection& c, std::int64_t due_before, std::size_t limit);
}  // namespace executions

}  // namespace de::store
