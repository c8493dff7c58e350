#include "agents/product/stakeholders.hpp"

#include <fmt/format.h>

#include <map>

#include "agents/product/text.hpp"
#include "core/clock.hpp"

namespace de::product {

namespace json = boost::json;

namespace {

std::string text_of(const json::object& data, std::string_view key) {
  const auto* v = data.if_contains(key);
  if (!v) return "";
  if (v->is_string()) return std::string(v->get_string());
  if (v->is_int64()) return std::to_string(v->get_int64());
  if (v->is_uint64()) return std::to_string(v->get_uint64());
  return "";
}

std::int64_t count_of(const json::object& data, std::string_view key) {
  const auto* v = data.if_contains(key);
  if (!v) return 0;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) return std::int64_t(v->get_uint64());
  return 0;
}

std::string plural(std::int64_t n, std::string_view word) {
  return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
}

// "12 requirements, 3 with ambiguities, 1 conflicting pair" from an analysis summary.
std::string analysis_figures(const json::object& data, std::optional<std::string>& attention) {
  const auto* summary = data.if_contains("summary");
  if (!summary || !summary->is_object()) return "";
  const auto& s = summary->get_object();
  std::string out = plural(count_of(s, "total"), "requirement");
  if (auto n = count_of(s, "with_ambiguities")) out += fmt::format(", {} with ambiguities", n);
  if (auto n = count_of(s, "duplicate_pairs")) out += ", " + plural(n, "near-duplicate pair");
  if (auto n = count_of(s, "conflict_pairs")) {
    out += ", " + plural(n, "conflicting pair");
    attention = plural(n, "conflicting pair") + " to resolve in '" + text_of(data, "title") + "'";
  }
  return out;
}

std::optional<Change> requirements_change(std::string_view action, const json::object& data) {
  Change c;
  c.area = "requirements";
  auto title = text_of(data, "title");
  auto version = text_of(data, "version");
  if (action == "created") {
    c.line = fmt::format("Requirements '{}' saved (version {}): {}", title, version, analysis_figures(data, c.attention));
  } else if (action == "versioned") {
    c.line = fmt::format("Requirements '{}' re-analysed as version {}: {}", title, version, analysis_figures(data, c.attention));
  } else if (action == "item_updated") {
    c.line = fmt::format("Requirements '{}' version {}: {} now reads \"{}\"", title, version, text_of(data, "item_id"),
                         text_of(data, "text"));
    if (const auto* conflicts = data.if_contains("conflicts"); conflicts && conflicts->is_array() && !conflicts->get_array().empty())
      c.attention = fmt::format("{} of '{}' conflicts with {}", text_of(data, "item_id"), title,
                                plural(std::int64_t(conflicts->get_array().size()), "other requirement"));
  } else if (action == "prioritized") {
    const auto* p = data.if_contains("priority");
    if (!p || !p->is_object()) return std::nullopt;
    const auto& priority = p->get_object();
    const auto* score = priority.if_contains("score");
    c.line = fmt::format("Requirements '{}': {} set to {} (RICE score {}) by a person", title, text_of(data, "item_id"),
                         text_of(priority, "moscow"), score && score->is_number() ? fmt::format("{:g}", score->to_number<double>()) : "?");
  } else if (action == "deleted") {
    c.line = fmt::format("Requirements '{}' deleted", title);
  } else {
    return std::nullopt;
  }
  return c;
}

std::optional<Change> deals_change(std::string_view action, const json::object& data) {
  Change c;
  c.area = "deals";
  auto name = text_of(data, "name");
  if (action == "created") {
    auto account = text_of(data, "account");
    c.line = fmt::format("New deal '{}'{} in stage {} ({})", name, account.empty() ? "" : " with " + account,
                         text_of(data, "stage"), text_of(data, "amount"));
  } else if (action == "stage_changed") {
    auto from = text_of(data, "from_stage"), to = text_of(data, "to_stage");
    c.line = fmt::format("Deal '{}' moved from {} to {}", name, from.empty() ? "no stage" : from, to);
    if (to == "lost") c.attention = "deal '" + name + "' was lost";
  } else {
    return std::nullopt;  // updates without a move, deletions: noise for a stakeholder
  }
  return c;
}

// Campaign events come from the marketing agent; their shape is only assumed to name the campaign.
Change campaigns_change(std::string_view action, const json::object& data) {
  Change c;
  c.area = "campaigns";
  auto name = text_of(data, "name");
  if (name.empty()) name = text_of(data, "title");
  c.line = name.empty() ? fmt::format("A campaign was {}", action) : fmt::format("Campaign '{}' {}", name, action);
  return c;
}

std::string day(std::int64_t ms) { return core::format_timestamp(ms).substr(0, 10); }

}  // namespace

std::string_view quadrant_of(int influence, int interest) {
  bool powerful = influence >= high_rating, interested = interest >= high_rating;
  if (powerful && interested) return "manage_closely";
  if (powerful) return "keep_satisfied";
  if (interested) return "keep_informed";
  return "monitor";
}

std::optional<Change> change_of(std::int64_t event_id, std::string_view topic, const json::object& data, std::int64_t at) {
  auto dot = topic.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  auto area = topic.substr(0, dot), action = topic.substr(dot + 1);
  std::optional<Change> c;
  if (area == "requirements") c = requirements_change(action, data);
  else if (area == "deals") c = deals_change(action, data);
  else if (area == "campaigns") c = campaigns_change(action, data);
  if (c) {
    c->event_id = event_id;
    c->at = at;
  }
  return c;
}

std::vector<Change> relevant_changes(const StakeholderProfile& who, const std::vector<Change>& changes) {
  if (who.topics.empty()) return changes;
  std::vector<Change> out;
  for (const auto& c : changes) {
    auto line = to_lower(c.line + " " + c.area);
    for (const auto& topic : who.topics)
      if (line.find(to_lower(topic)) != std::string::npos) {
        out.push_back(c);
        break;
      }
  }
  return out;
}

std::optional<Draft> compose_update(const StakeholderProfile& who, const std::vector<Change>& changes, std::int64_t since) {
  if (changes.empty()) return std::nullopt;
  Draft d;
  d.quadrant = std::string(quadrant_of(who.influence, who.interest));
  std::map<std::string, std::vector<const Change*>> by_area;
  std::vector<std::string> attention;
  for (const auto& c : changes) {
    by_area[c.area].push_back(&c);
    if (c.event_id) d.event_ids.push_back(c.event_id);  // 0: a change given with the request
    d.facts.push_back(c.line);
    if (c.attention) attention.push_back(*c.attention);
  }
  std::vector<std::string> counts;
  for (const auto& [area, list] : by_area) counts.push_back(fmt::format("{} {}", plural(std::int64_t(list.size()), "change"), "in " + area));
  auto period = fmt::format("since {}", day(since));
  auto counted = fmt::format("{}", fmt::join(counts, ", "));
  std::string body = fmt::format("{}{},\n\n", who.name, who.role.empty() ? "" : " (" + who.role + ")");
  auto list_changes = [&] {
    for (const auto& [area, list] : by_area) {
      body += fmt::format("{}:\n", area);
      for (const auto* c : list) body += fmt::format("- {} ({})\n", c->line, day(c->at));
      body += "\n";
    }
  };
  auto list_attention = [&](std::string_view heading) {
    body += fmt::format("{}\n", heading);
    for (const auto& a : attention) body += "- " + a + "\n";
  };
  if (d.quadrant == "manage_closely") {
    d.subject = attention.empty() ? fmt::format("Update {}: {}", period, counted)
                                  : fmt::format("Decision needed: {} {}", plural(std::int64_t(attention.size()), "point"), period);
    body += fmt::format("Every change {} that concerns you ({}):\n\n", period, counted);
    list_changes();
    if (!attention.empty()) list_attention("Your decision is needed on:");
  } else if (d.quadrant == "keep_satisfied") {
    d.subject = fmt::format("Summary {}: {}", period, counted);
    body += fmt::format("In short, {}: {}.\n", period, counted);
    if (!attention.empty()) list_attention("Points that may need your attention:");
  } else if (d.quadrant == "keep_informed") {
    d.subject = fmt::format("For your information: {} {}", counted, period);
    body += fmt::format("For your information, what changed {}:\n\n", period);
    list_changes();
  } else {
    d.subject = fmt::format("Digest {}: {}", period, counted);
    body += fmt::format("Digest {}: {}.\n", period, counted);
  }
  d.body = std::move(body);
  return d;
}

std::string_view tone_of(std::string_view quadrant) {
  if (quadrant == "manage_closely")
    return "a key stakeholder with high influence and interest: complete and precise, every change, and ask plainly for "
           "the decisions listed";
  if (quadrant == "keep_satisfied")
    return "an influential stakeholder with little interest in detail: brief, executive summary, only what may need "
           "their attention";
  if (quadrant == "keep_informed")
    return "an interested stakeholder with little influence: informative and friendly, every change, no requests";
  return "a stakeholder to monitor: a very short digest of counts";
}

}  // namespace de::product
