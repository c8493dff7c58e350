#include "app/platform_tools.hpp"

#include "api/messaging.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/json.hpp"
#include "store/workflow_repository.hpp"

namespace de::app {

namespace json = boost::json;

namespace {

// A workflow or an agent named by its id or, failing that, by its (unique) name.
template <class FindById, class FindByName>
auto by_id_or_name(const std::string& key, FindById&& by_id, FindByName&& by_name, std::string_view what) {
  if (core::is_uuid(key))
    if (auto found = by_id(key)) return *found;
  auto named = by_name(key);
  if (!named) throw core::validation_error(std::string(what), "no " + std::string(what) + " has the id or name '" + key + "'");
  return *named;
}

json::object start_workflow(workflow::WorkflowEngine& workflows, store::Tx& tx, const json::object& arguments,
                            const model::Task& caller) {
  std::string key(arguments.at("workflow").as_string());
  auto& c = tx.connection;
  auto w = by_id_or_name(
      key, [&](const std::string& id) { return store::workflows::find(c, id); },
      [&](const std::string& name) -> std::optional<model::Workflow> {
        auto named = store::workflows::find_by_name(c, name);
        if (named.size() > 1) throw core::validation_error("workflow", "several workflows are named '" + name + "': give its id");
        return named.empty() ? std::nullopt : std::optional(named.front());
      },
      "workflow");
  if (w.status != "active") throw core::validation_error("workflow", "the workflow '" + w.name + "' is not active");
  auto* input = arguments.if_contains("input");
  auto e = workflows.start_execution(tx, w, input ? *input : json::value(json::object()), "assistant", caller.created_by);
  json::object result{{"execution_id", e.id}, {"workflow_id", w.id}, {"status", e.status}};
  if (e.output) result["output"] = *e.output;
  if (e.error) result["error"] = *e.error;
  return result;
}

json::object send_message(store::Tx& tx, const json::object& arguments, const model::Task& caller) {
  std::string key(arguments.at("to_agent").as_string());
  auto& c = tx.connection;
  auto agent = by_id_or_name(
      key, [&](const std::string& id) { return store::agents::find(c, id); },
      [&](const std::string& name) { return store::agents::find_by_name(c, name); }, "to_agent");
  model::Message m;
  m.id = core::new_id();
  m.from_agent = caller.assigned_agent;
  m.to_agent = agent.id;
  m.message_type = arguments.if_contains("message_type") ? std::string(arguments.at("message_type").as_string()) : "note";
  m.payload = arguments.at("payload");
  m.sent_at = core::now_ms();
  api::store_message(tx, m);
  return {{"message_id", m.id}, {"to_agent", agent.id}, {"status", m.status}};
}

}  // namespace

std::vector<agents::PlatformTool> platform_tools(workflow::WorkflowEngine& workflows) {
  std::vector<agents::PlatformTool> tools;
  tools.push_back(
      {"platform.start_workflow",
       "Starts an execution of an active workflow (by id or name) with an input object; answers its id and status "
       "(and its output when it finished at once).",
       core::parse_stored(
           R"({"type":"object","properties":{"workflow":{"type":"string","minLength":1,"description":"the workflow's id or name"},)"
           R"("input":{"type":"object","description":"the execution's input"}},"required":["workflow"],"additionalProperties":false})"),
       [&workflows](store::Tx& tx, const json::object& arguments, const model::Task& caller) {
         return start_workflow(workflows, tx, arguments, caller);
       }});
  tools.push_back(
      {"platform.send_message",
       "Sends a message to another agent (by id or name): a message type and a JSON payload.",
       core::parse_stored(
           R"({"type":"object","properties":{"to_agent":{"type":"string","minLength":1,"description":"the agent's id or name"},)"
           R"("message_type":{"type":"string","minLength":1,"maxLength":100},"payload":{"description":"any JSON"}},)"
           R"("required":["to_agent","payload"],"additionalProperties":false})"),
       send_message});
  return tools;
}

}  // namespace de::app
