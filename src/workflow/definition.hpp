#pragma once
// Workflow definitions (docs/workflows.md): parsed and checked on save, so that errors name
// the step and the field, and the graph has no cycle, no unreachable step and no reference
// to an unknown step or to an output that cannot exist yet.
#include <boost/json/object.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "workflow/expression.hpp"
#include "workflow/timezone.hpp"

namespace de::workflow {

inline constexpr std::string_view step_types[] = {"task", "condition", "parallel", "delay", "approval",
                                                  "http", "notify", "sub_workflow", "llm", "integration"};

struct Step {
  std::string id, type;
  boost::json::object settings;           // the step as written
  std::vector<std::string> depends_on;    // as written
  std::vector<std::string> parents;       // depends_on + the condition/parallel steps that route here
  // task
  std::string task_type;
  boost::json::value input;               // templated; also the notify payload and the http body
  std::optional<std::string> agent;
  // condition
  std::optional<Expression> expression;
  std::vector<std::string> then_steps, else_steps;
  // parallel
  std::vector<std::string> branches;
  // delay
  std::int64_t delay_ms = 0;
  // approval
  std::string role = "manager";
  // notify
  std::string topic, to_agent, message_type;
  // http: the url is templated too; `input` is the body
  std::string url, method = "GET";
  boost::json::object headers;
  // sub_workflow
  std::string workflow_id;
  // integration: which one (its id or name) and which of its actions; `input` is the action's input
  std::string integration, action;
  // llm: `input` holds the templated parts ({"prompt" (inline), "variables", "system"})
  std::string prompt_name, provider, model;
  std::optional<std::int64_t> prompt_version;
  std::optional<boost::json::value> schema;  // set: the answer is JSON valid against it
  std::int64_t max_tokens = 1024;
  // every step
  std::int64_t max_attempts = 1, backoff_ms = 1000, timeout_ms = 0;
  std::string on_failure = "fail";  // fail | continue | <step id>
};

struct Definition {
  boost::json::object trigger;
  boost::json::object budget;  // as written: the limits of its llm steps' calls (ai::read_budget)
  std::vector<Step> steps;
  boost::json::value output;  // templated; null when absent
  const Step* find(std::string_view id) const;
  // Steps routed to by a condition or parallel step start only when routed there.
  bool is_routed(std::string_view id) const;
};

// Throws core::Error(validation) listing every problem as {"field": "definition.steps[2].task_type"}.
Definition parse_definition(const boost::json::value& json);
// The http steps whose URL names a host the outbound guard refuses (a literal internal address,
// localhost), as field errors. Checked when a definition is saved, not by parse_definition: the
// engine parses stored definitions too, and a stored one must fail where it calls, not mid-run.
// A host from an expression is checked when the step runs.
std::vector<core::FieldError> outbound_refusals(const Definition& definition);

// A cron expression: 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds
// first, each with *, lists, ranges and steps; `timezone` is UTC, a fixed offset like +02:00
// or an IANA named zone like Europe/Berlin (see TimeZone::parse).
class Cron {
 public:
  static Cron parse(std::string_view text, std::string_view timezone);
  static Cron parse(std::string_view text, TimeZone zone);
  // The first matching second strictly after `after_ms` (epoch ms), within 5 years, matched on
  // the zone's wall clock: a local time skipped by a daylight-saving change does not fire, one
  // that occurs twice fires once (at its first occurrence).
  std::optional<std::int64_t> next(std::int64_t after_ms) const;

 private:
  std::vector<bool> second_, minute_, hour_, day_, month_, weekday_;
  bool any_day_ = true, any_weekday_ = true;
  TimeZone zone_;
};

}  // namespace de::workflow
