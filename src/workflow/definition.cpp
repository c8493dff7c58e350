#include "workflow/definition.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <chrono>
#include <functional>
#include <set>

#include "ai/budget.hpp"
#include "ai/http_client.hpp"
#include "ai/schema.hpp"
#include "core/error.hpp"
#include "core/ids.hpp"
#include "core/json.hpp"
#include "core/outbound.hpp"

namespace de::workflow {

namespace json = boost::json;

const Step* Definition::find(std::string_view id) const {
  for (const auto& s : steps)
    if (s.id == id) return &s;
  return nullptr;
}

bool Definition::is_routed(std::string_view id) const {
  for (const auto& s : steps) {
    for (const auto* list : {&s.then_steps, &s.else_steps, &s.branches})
      if (std::find(list->begin(), list->end(), id) != list->end()) return true;
  }
  return false;
}

namespace {

bool valid_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
  return true;
}

// {"prompt": "inline {{input.x}}" | {"name","version"?}, "variables"?, "system"?, "schema"?,
// "provider"?, "model"?, "max_tokens"?}
void read_llm_step(core::ObjectReader& r, Step& s) {
  json::object templated;
  if (const auto* prompt = r.any("prompt", true)) {
    if (prompt->is_string() && !prompt->get_string().empty()) {
      templated["prompt"] = *prompt;
    } else if (prompt->is_object()) {
      core::ObjectReader named(prompt->get_object(), r.field_name("prompt"));
      s.prompt_name = named.string("name", true, 100).value_or("");
      s.prompt_version = named.integer("version", false, 1, 1000000);
      for (auto& e : named.take_errors()) r.errors().push_back(std::move(e));
      if (const auto* variables = r.object("variables", false)) templated["variables"] = *variables;
      else templated["variables"] = json::object();
    } else {
      r.error("prompt", "must be a template text or {\"name\",\"version\"} of a stored prompt");
    }
  }
  if (s.prompt_name.empty() && r.any("variables", false)) r.error("variables", "only with a stored prompt ({\"name\"})");
  if (auto system = r.string("system", false, 100 * 1024)) templated["system"] = *system;
  if (const auto* schema = r.object("schema", false)) {
    try {
      ai::check_schema(*schema);
      s.schema = *schema;
    } catch (const core::Error& e) {
      r.error("schema", e.what());
    }
  }
  s.provider = r.string("provider", false, 20).value_or("");
  s.model = r.string("model", false, 200).value_or("");
  s.max_tokens = r.integer("max_tokens", false, 1, 32000).value_or(s.max_tokens);
  s.input = std::move(templated);
}

void read_step(core::ObjectReader& r, Step& s) {
  if (s.type == "task") {
    s.task_type = r.string("task_type", true, 100).value_or("");
    if (const auto* input = r.any("input", false)) s.input = *input;
    else s.input = json::object();
    s.agent = r.string("agent", false, 36);
  } else if (s.type == "condition") {
    if (auto text = r.string("expression", true, 2000)) {
      try {
        s.expression = Expression::parse(*text);
      } catch (const core::Error& e) {
        r.error("expression", e.what());
      }
    }
    s.then_steps = r.strings("then", false).value_or(std::vector<std::string>{});
    s.else_steps = r.strings("else", false).value_or(std::vector<std::string>{});
  } else if (s.type == "parallel") {
    s.branches = r.strings("branches", true).value_or(std::vector<std::string>{});
  } else if (s.type == "delay") {
    auto seconds = r.number("seconds", true);
    if (seconds && (*seconds < 0 || *seconds > 365.0 * 24 * 3600)) r.error("seconds", "must be from 0 to one year");
    else if (seconds) s.delay_ms = std::int64_t(*seconds * 1000);
  } else if (s.type == "approval") {
    static constexpr std::string_view roles[] = {"admin", "manager", "operator"};
    s.role = r.choice("role", false, roles).value_or("manager");
    r.string("message", false, 2000);
  } else if (s.type == "sub_workflow") {
    s.workflow_id = r.string("workflow_id", true, 36).value_or("");
    if (!s.workflow_id.empty() && !core::is_uuid(s.workflow_id)) r.error("workflow_id", "must be a workflow id (UUID)");
    if (const auto* input = r.any("input", false)) s.input = *input;
    else s.input = json::object();
  } else if (s.type == "http") {
    s.url = r.string("url", true, 2000).value_or("");
    if (!s.url.empty() && !s.url.starts_with("http://") && !s.url.starts_with("https://"))
      r.error("url", "must start with http:// or https://");
    static constexpr std::string_view methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};
    s.method = r.choice("method", false, methods).value_or("GET");
    if (const auto* headers = r.object("headers", false)) s.headers = *headers;
    if (const auto* body = r.any("body", false)) s.input = *body;
  } else if (s.type == "integration") {
    s.integration = r.string("integration", true, 200).value_or("");
    s.action = r.string("action", true, 100).value_or("");
    if (const auto* input = r.object("input", false)) s.input = *input;
    else s.input = json::object();
  } else if (s.type == "llm") {
    read_llm_step(r, s);
  } else if (s.type == "notify") {
    s.topic = r.string("topic", false, 200).value_or("");
    s.to_agent = r.string("to_agent", false, 36).value_or("");
    s.message_type = r.string("message_type", false, 100).value_or("workflow.notification");
    if (s.topic.empty() == s.to_agent.empty()) r.error("topic", "give either topic or to_agent");
    if (!s.topic.empty() && !s.topic.starts_with("workflows.")) r.error("topic", "must start with 'workflows.'");
    if (const auto* payload = r.any("payload", false)) s.input = *payload;
    else s.input = json::object();
  }
}

}  // namespace

std::vector<core::FieldError> outbound_refusals(const Definition& definition) {
  std::vector<core::FieldError> refusals;
  for (std::size_t i = 0; i < definition.steps.size(); ++i) {
    const auto& step = definition.steps[i];
    if (step.type != "http") continue;
    if (auto refusal = core::outbound::policy().refusal_for_host(ai::url_host(step.url)); !refusal.empty())
      refusals.push_back({fmt::format("definition.steps[{}].url", i), std::move(refusal)});
  }
  return refusals;
}

Definition parse_definition(const json::value& value) {
  std::vector<core::FieldError> errors;
  auto fail = [&](std::string field, std::string message) { errors.push_back({"definition." + field, std::move(message)}); };
  if (!value.is_object()) throw core::validation_error("definition", "must be an object");
  Definition d;
  core::ObjectReader top(value.get_object(), "definition");
  // Trigger.
  if (const auto* trigger = top.object("trigger", true)) {
    d.trigger = *trigger;
    core::ObjectReader t(*trigger, "definition.trigger");
    static constexpr std::string_view triggers[] = {"manual", "webhook", "schedule", "event"};
    auto type = t.choice("type", true, triggers);
    if (type == "schedule") {
      auto cron = t.string("cron", true, 100);
      auto timezone = t.string("timezone", false, 64).value_or("UTC");
      TimeZone zone;
      try {
        zone = TimeZone::parse(timezone);
      } catch (const core::Error& e) {
        t.error("timezone", e.what());
      }
      if (cron) try {
          Cron::parse(*cron, zone);
        } catch (const core::Error& e) {
          t.error("cron", e.what());
        }
    } else if (type == "event") {
      t.string("topic", true, 200);
      if (auto filter = t.string("filter", false, 2000)) try {
          Expression::parse(*filter);
        } catch (const core::Error& e) {
          t.error("filter", e.what());
        }
    } else if (type == "webhook") {
      t.boolean("respond_with_output", false);
      t.integer("timeout_ms", false, 1, 60000);
    }
    auto found = t.take_errors();
    errors.insert(errors.end(), found.begin(), found.end());
  }
  // Steps.
  const auto* steps = top.any("steps", true);
  if (steps && (!steps->is_array() || steps->get_array().empty() || steps->get_array().size() > 200))
    top.error("steps", "must be an array of 1 to 200 steps");
  if (const auto* output = top.any("output", false)) d.output = *output;
  // Checked here; the engine applies it to each llm call.
  if (const auto* budget = top.object("budget", false)) d.budget = *budget, ai::read_budget(top, "budget");
  top.string("name", false, 200);
  auto found = top.take_errors();
  errors.insert(errors.end(), found.begin(), found.end());
  if (steps && steps->is_array()) {
    std::set<std::string> ids;
    const auto& array = steps->get_array();
    for (std::size_t i = 0; i < array.size(); ++i) {
      auto prefix = fmt::format("definition.steps[{}]", i);
      if (!array[i].is_object()) {
        errors.push_back({prefix, "must be an object"});
        continue;
      }
      Step s;
      s.settings = array[i].get_object();
      core::ObjectReader r(s.settings, prefix);
      s.id = r.string("id", true, 64).value_or("");
      if (!s.id.empty() && !valid_id(s.id)) r.error("id", "may contain only letters, digits, '_' and '-'");
      if (!s.id.empty() && !ids.insert(s.id).second) r.error("id", fmt::format("\"{}\" is used by another step", s.id));
      s.type = r.choice("type", true, step_types).value_or("");
      s.depends_on = r.strings("depends_on", false).value_or(std::vector<std::string>{});
      s.max_attempts = r.integer("max_attempts", false, 1, 10).value_or(1);
      s.backoff_ms = r.integer("backoff_ms", false, 0, 3600000).value_or(1000);
      s.timeout_ms = r.integer("timeout_ms", false, 1, 24 * 3600 * 1000).value_or(s.type == "http" ? 10000 : 0);
      if (s.type == "http" && s.timeout_ms > 60000) r.error("timeout_ms", "an http step waits at most 60000 ms");
      s.on_failure = r.string("on_failure", false, 64).value_or("fail");
      r.string("name", false, 200);
      r.string("description", false, 2000);
      if (!s.type.empty()) read_step(r, s);
      auto step_errors = r.take_errors();
      errors.insert(errors.end(), step_errors.begin(), step_errors.end());
      d.steps.push_back(std::move(s));
    }
  }
  core::throw_if_errors(std::move(errors));

  // The graph: references, parents, cycles, reachability, outputs read before they exist.
  auto field = [&](std::size_t i, std::string_view name) { return fmt::format("steps[{}].{}", i, name); };
  for (std::size_t i = 0; i < d.steps.size(); ++i) {
    auto& s = d.steps[i];
    auto check = [&](const std::vector<std::string>& refs, std::string_view name) {
      for (const auto& ref : refs) {
        if (!d.find(ref)) fail(field(i, name), fmt::format("no step has the id \"{}\"", ref));
        else if (ref == s.id) fail(field(i, name), "a step cannot refer to itself");
      }
    };
    check(s.depends_on, "depends_on");
    check(s.then_steps, "then");
    check(s.else_steps, "else");
    check(s.branches, "branches");
    if (s.on_failure != "fail" && s.on_failure != "continue") check({s.on_failure}, "on_failure");
    s.parents = s.depends_on;
  }
  core::throw_if_errors(std::exchange(errors, {}));  // errors stays usable (empty) for the checks below
  for (const auto& s : d.steps)
    for (const auto* list : {&s.then_steps, &s.else_steps, &s.branches})
      for (const auto& target : *list) {
        auto& t = const_cast<Step&>(*d.find(target));
        if (std::find(t.parents.begin(), t.parents.end(), s.id) == t.parents.end()) t.parents.push_back(s.id);
      }
  // Cycles, by depth-first search over parent links.
  std::map<std::string, int> state;  // 1 visiting, 2 done
  std::function<bool(const Step&)> cyclic = [&](const Step& s) {
    if (state[s.id] == 1) return true;
    if (state[s.id] == 2) return false;
    state[s.id] = 1;
    for (const auto& p : s.parents)
      if (cyclic(*d.find(p))) return true;
    state[s.id] = 2;
    return false;
  };
  for (std::size_t i = 0; i < d.steps.size(); ++i)
    if (cyclic(d.steps[i])) {
      fail(field(i, "depends_on"), fmt::format("step \"{}\" is part of a cycle", d.steps[i].id));
      throw core::Error(core::ErrorKind::validation, "the workflow's steps form a cycle", errors);
    }
  // Reachability: from the steps without parents, along dependencies and failure paths.
  std::set<std::string> reached;
  std::vector<const Step*> frontier;
  for (const auto& s : d.steps)
    if (s.parents.empty()) frontier.push_back(&s);
  while (!frontier.empty()) {
    auto* s = frontier.back();
    frontier.pop_back();
    if (!reached.insert(s->id).second) continue;
    for (const auto& other : d.steps) {
      bool child = std::find(other.parents.begin(), other.parents.end(), s->id) != other.parents.end() ||
                   s->on_failure == other.id;
      if (child) frontier.push_back(&other);
    }
  }
  std::function<bool(const std::string&, const std::string&)> ancestor = [&](const std::string& of, const std::string& candidate) {
    for (const auto& p : d.find(of)->parents)
      if (p == candidate || ancestor(p, candidate)) return true;
    return false;
  };
  for (std::size_t i = 0; i < d.steps.size(); ++i) {
    const auto& s = d.steps[i];
    bool is_failure_path = false;
    for (const auto& o : d.steps) is_failure_path |= o.on_failure == s.id;
    if (!reached.contains(s.id)) fail(field(i, "id"), fmt::format("step \"{}\" can never run", s.id));
    if (is_failure_path) continue;
    // Templates and expressions may read the input and the outputs of earlier steps only.
    std::vector<std::vector<std::string>> paths;
    try {
      check_templates(s.input, paths);
      check_templates(json::string(s.url), paths);
    } catch (const core::Error& e) {
      fail(field(i, "input"), e.what());
    }
    if (s.expression) {
      auto p = s.expression->paths();
      paths.insert(paths.end(), p.begin(), p.end());
    }
    for (const auto& path : paths) {
      if (path[0] == "input" || path[0] == "execution") continue;
      if (path[0] != "steps") {
        fail(field(i, s.expression ? "expression" : "input"), fmt::format("unknown name \"{}\": use input.*, steps.<id>.output or execution.*", path[0]));
      } else if (path.size() >= 2 && !d.find(path[1])) {
        fail(field(i, s.expression ? "expression" : "input"), fmt::format("no step has the id \"{}\"", path[1]));
      } else if (path.size() >= 2 && !ancestor(s.id, path[1])) {
        fail(field(i, s.expression ? "expression" : "input"), fmt::format("step \"{}\" reads steps.{} which does not run before it (add it to depends_on)", s.id, path[1]));
      }
    }
  }
  try {
    std::vector<std::vector<std::string>> paths;
    check_templates(d.output, paths);
    for (const auto& path : paths)
      if (path[0] == "steps" && path.size() >= 2 && !d.find(path[1]))
        fail("output", fmt::format("no step has the id \"{}\"", path[1]));
  } catch (const core::Error& e) {
    fail("output", e.what());
  }
  core::throw_if_errors(std::move(errors));
  return d;
}

// ---- cron -----------------------------------------------------------------------------------

namespace {
std::vector<bool> cron_field(std::string_view text, int low, int high, std::string_view name) {
  std::vector<bool> allowed(std::size_t(high + 1), false);
  auto bad = [&] { return core::Error(core::ErrorKind::validation, fmt::format("cron {} field \"{}\" is not valid", name, text)); };
  std::size_t start = 0;
  while (start <= text.size()) {
    auto comma = text.find(',', start);
    auto part = text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    int step = 1;
    if (auto slash = part.find('/'); slash != std::string_view::npos) {
      step = std::atoi(std::string(part.substr(slash + 1)).c_str());
      if (step <= 0) throw bad();
      part = part.substr(0, slash);
    }
    int from = low, to = high;
    if (part != "*") {
      auto dash = part.find('-');
      auto number = [&](std::string_view s) {
        if (s.empty() || s.find_first_not_of("0123456789") != std::string_view::npos) throw bad();
        return std::atoi(std::string(s).c_str());
      };
      from = number(part.substr(0, dash));
      to = dash == std::string_view::npos ? (step > 1 ? high : from) : number(part.substr(dash + 1));
    }
    if (from < low || to > high || from > to) throw bad();
    for (int v = from; v <= to; v += step) allowed[std::size_t(v)] = true;
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return allowed;
}
}  // namespace

Cron Cron::parse(std::string_view text, std::string_view timezone) { return parse(text, TimeZone::parse(timezone)); }

Cron Cron::parse(std::string_view text, TimeZone zone) {
  std::vector<std::string_view> fields;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto start = text.find_first_not_of(' ', pos);
    if (start == std::string_view::npos) break;
    auto end = text.find(' ', start);
    fields.push_back(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    pos = end == std::string_view::npos ? text.size() : end;
  }
  if (fields.size() != 5 && fields.size() != 6)
    throw core::Error(core::ErrorKind::validation,
                      "a cron expression has 5 fields (minute hour day month weekday) or 6 (second first)");
  Cron c;
  c.second_ = fields.size() == 6 ? cron_field(fields[0], 0, 59, "second") : cron_field("0", 0, 59, "second");
  if (fields.size() == 6) fields.erase(fields.begin());
  c.minute_ = cron_field(fields[0], 0, 59, "minute");
  c.hour_ = cron_field(fields[1], 0, 23, "hour");
  c.day_ = cron_field(fields[2], 1, 31, "day");
  c.month_ = cron_field(fields[3], 1, 12, "month");
  c.weekday_ = cron_field(fields[4], 0, 7, "weekday");
  if (c.weekday_[7]) c.weekday_[0] = true;  // 7 is Sunday too
  c.any_day_ = fields[2] == "*";
  c.any_weekday_ = fields[4] == "*";
  c.zone_ = std::move(zone);
  return c;
}

std::optional<std::int64_t> Cron::next(std::int64_t after_ms) const {
  using namespace std::chrono;
  // Walk the zone's wall clock minute by minute from the local time of `first`.
  auto first = (floor<seconds>(milliseconds(after_ms)) + seconds(1)).count();
  auto local = floor<minutes>(sys_seconds(seconds(first + zone_.offset_seconds_at(first))));
  for (int i = 0; i < 5 * 366 * 24 * 60; ++i, local += minutes(1)) {
    auto day = floor<days>(local);
    year_month_day ymd(day);
    hh_mm_ss hms(local - day);
    if (!month_[unsigned(ymd.month())] || !hour_[std::size_t(hms.hours().count())] ||
        !minute_[std::size_t(hms.minutes().count())])
      continue;
    bool day_ok = day_[unsigned(ymd.day())], weekday_ok = weekday_[weekday(day).c_encoding()];
    // Standard cron: when both day fields are restricted, either may match.
    bool match = any_day_ && any_weekday_ ? true : any_day_ ? weekday_ok : any_weekday_ ? day_ok : day_ok || weekday_ok;
    if (!match) continue;
    auto wall = duration_cast<seconds>(local.time_since_epoch()).count();
    for (int s = 0; s < 60; ++s) {
      if (!second_[std::size_t(s)]) continue;
      // Not in a gap, and a repeated time only at its first occurrence: that must be after `after_ms`.
      if (auto utc = zone_.to_utc(wall + s); utc && *utc >= first) return *utc * 1000;
    }
  }
  return std::nullopt;
}

}  // namespace de::workflow
