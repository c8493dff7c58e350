#include "agents/product/publishing.hpp"

#include <fmt/format.h>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/ids.hpp"
#include "core/json.hpp"
#include "integrations/delivery.hpp"
#include "store/product_repository.hpp"
#include "store/write.hpp"

namespace de::agents {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

// Text for Confluence's storage format (XHTML).
std::string xml_escaped(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += ch;
    }
  }
  return out;
}

std::string text_of(const json::object& item, std::string_view key) {
  const auto* v = item.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

const json::array& array_of(const json::object& item, std::string_view key) {
  static const json::array none;
  const auto* v = item.if_contains(key);
  return v && v->is_array() ? v->get_array() : none;
}

// "functional", or "non-functional: performance".
std::string kind_of(const json::object& item) {
  auto kind = text_of(item, "kind");
  auto category = text_of(item, "category");
  if (kind == "non_functional") return "non-functional" + (category.empty() ? "" : ": " + category);
  return kind;
}

// A Jira issue's summary: the requirement's id and its text, within Jira's 255 characters.
std::string summary_of(const json::object& item) {
  auto summary = fmt::format("[{}] {}", text_of(item, "id"), text_of(item, "text"));
  for (auto& ch : summary)
    if (ch == '\n' || ch == '\r') ch = ' ';
  if (summary.size() <= 255) return summary;
  auto cut = summary.rfind(' ', 251);
  return summary.substr(0, cut == std::string::npos || cut < 200 ? 251 : cut) + " ...";
}

// The issue's description: the requirement, what the analysis made of it, and what to fix.
std::string description_of(const json::object& item, const std::string& source) {
  std::string out = text_of(item, "text") + "\n\nKind: " + kind_of(item);
  if (auto story = text_of(item, "user_story"); !story.empty()) out += "\n\nUser story: " + story;
  const auto& criteria = array_of(item, "acceptance_criteria");
  if (!criteria.empty()) {
    out += "\n\nAcceptance criteria:";
    for (const auto& c : criteria)
      if (c.is_string()) out += "\n- " + std::string(c.get_string());
  }
  const auto& findings = array_of(item, "ambiguities");
  if (!findings.empty()) {
    out += "\n\nTo make it testable (ISO/IEC/IEEE 29148):";
    for (const auto& f : findings) {
      if (!f.is_object()) continue;
      const auto& finding = f.get_object();
      out += fmt::format("\n- \"{}\": {} Suggestion: {}", text_of(finding, "text"), text_of(finding, "reason"),
                         text_of(finding, "suggestion"));
    }
  }
  return out + "\n\nFrom " + source + ".";
}

// The Confluence page: every requirement in a table, with its Jira issue when there is one.
std::string page_body(const json::array& items, const std::map<std::string, json::object>& issues,
                      const std::string& source) {
  std::string out = "<p>" + xml_escaped(source) + ": " + std::to_string(items.size()) +
                    " requirements.</p><table><tbody><tr><th>ID</th><th>Requirement</th><th>Kind</th><th>Priority</th>"
                    "<th>Findings</th><th>Issue</th></tr>";
  for (const auto& value : items) {
    if (!value.is_object()) continue;
    const auto& item = value.get_object();
    auto id = text_of(item, "id");
    std::string priority;
    if (const auto* p = item.if_contains("priority"); p && p->is_object()) priority = text_of(p->get_object(), "moscow");
    std::string issue;
    if (auto it = issues.find(id); it != issues.end())
      issue = "<a href=\"" + xml_escaped(text_of(it->second, "url")) + "\">" + xml_escaped(text_of(it->second, "key")) + "</a>";
    out += "<tr><td>" + xml_escaped(id) + "</td><td>" + xml_escaped(text_of(item, "text")) + "</td><td>" +
           xml_escaped(kind_of(item)) + "</td><td>" + xml_escaped(priority) + "</td><td>" +
           std::to_string(array_of(item, "ambiguities").size()) + "</td><td>" + issue + "</td></tr>";
  }
  return out + "</tbody></table>";
}

struct PublishRequest {
  std::string analysis_id;
  std::optional<std::int64_t> version;
  std::optional<std::string> jira, project_key, confluence, space_id, parent_id;
};

PublishRequest read_publish_request(const json::object& input) {
  core::ObjectReader r(input, "input_data");
  PublishRequest p;
  auto id = r.string("analysis_id", true, 64);
  if (id && !core::is_uuid(*id)) r.error("analysis_id", "must be a saved analysis's id (a UUID)");
  if (id) p.analysis_id = *id;
  p.version = r.integer("version", false, 1, 1'000'000);
  p.jira = r.string("jira", false, 200);
  p.project_key = r.string("project_key", false, 100);
  p.confluence = r.string("confluence", false, 200);
  p.space_id = r.string("space_id", false, 100);
  p.parent_id = r.string("parent_id", false, 100);
  if (!p.jira && !p.confluence) r.error("jira", "name a Jira integration, a Confluence integration, or both");
  r.finish();
  return p;
}
}  // namespace

SendRequest read_send_request(const json::object& input) {
  core::ObjectReader r(input, "input_data");
  SendRequest s;
  auto id = r.string("update_id", true, 64);
  if (id && !core::is_uuid(*id)) r.error("update_id", "must be a stakeholder update's id (a UUID)");
  if (id) s.update_id = *id;
  s.integration = r.string("integration", false, 200);
  r.finish();
  return s;
}

asio::awaitable<json::object> send_stakeholder_update(const ProductServices& services, const SendRequest& request,
                                                      std::function<void(store::Tx&)> also) {
  struct Sending {
    store::stakeholder_updates::Update update;
    integrations::Message message;
    integrations::Account account;
  };
  auto sending = services.db.read([&](store::Connection& c) {
    auto update = store::stakeholder_updates::find(c, request.update_id);
    if (!update) throw core::not_found("stakeholder update", request.update_id);
    if (update->status != "draft")
      throw core::Error(core::ErrorKind::conflict,
                        "this update was sent already, at " + core::format_timestamp(update->sent_at.value_or(0)));
    auto s = store::stakeholders::find(c, update->stakeholder_id);
    if (!s) throw core::not_found("stakeholder", update->stakeholder_id);
    if (!integrations::deliverable(s->channel))
      throw core::Error(core::ErrorKind::conflict, "stakeholder " + s->name + " prefers " + s->channel +
                                                       ": the platform sends by email or slack (change the "
                                                       "stakeholder's channel, or deliver it yourself)");
    if (s->channel == "email" && !s->contact)
      throw core::Error(core::ErrorKind::conflict,
                        "stakeholder " + s->name + " has no email address: set the stakeholder's contact");
    integrations::Message message{s->channel, s->contact, update->subject, update->body};
    auto account = integrations::account_for(c, services.master_key, message, request.integration);
    return Sending{std::move(*update), std::move(message), std::move(account)};
  });
  auto delivery = co_await integrations::deliver(integrations::running(services.connectors), sending.account, sending.message);
  auto& update = sending.update;
  update.status = "sent";
  update.sent_at = core::now_ms();
  update.sent_via = delivery.integration_id;
  update.delivery = std::move(delivery.result);
  auto data = store::stakeholder_updates::to_json(update);
  co_await store::write(services.db, [&](store::Tx& tx) {
    if (!store::stakeholder_updates::mark_sent(tx.connection, update))
      throw core::Error(core::ErrorKind::conflict, "this update was sent meanwhile by another request, or deleted");
    tx.emit("stakeholders.update_sent", data);
    if (also) also(tx);
  });
  co_return data;
}

asio::awaitable<json::object> publish_requirements(const ProductServices& services, const json::object& input) {
  auto request = read_publish_request(input);
  struct Source {
    store::requirement_analyses::Analysis analysis;
    store::requirement_analyses::Version version;
    std::optional<integrations::Account> jira, confluence;
  };
  auto source = services.db.read([&](store::Connection& c) {
    auto analysis = store::requirement_analyses::find(c, request.analysis_id);
    if (!analysis) throw core::validation_error("input_data.analysis_id", "no saved analysis has this id");
    auto version = store::requirement_analyses::find_version(c, analysis->id, request.version.value_or(analysis->version));
    if (!version) throw core::validation_error("input_data.version", "the analysis has no such version");
    Source s{std::move(*analysis), std::move(*version), {}, {}};
    if (request.jira) s.jira = integrations::usable_account(c, services.master_key, *request.jira, "jira", "input_data.jira");
    if (request.confluence)
      s.confluence =
          integrations::usable_account(c, services.master_key, *request.confluence, "confluence", "input_data.confluence");
    return s;
  });
  auto& clients = integrations::running(services.connectors);
  auto label = fmt::format("'{}' (version {})", source.analysis.title, source.version.version);
  json::object out{{"analysis_id", source.analysis.id}, {"version", source.version.version}};
  json::array issues;
  std::map<std::string, json::object> issue_of;
  auto stop = [&](const std::string& at, const core::Error& e) {
    out["stopped"] = json::object{{"at", at}, {"error", e.what()}};
  };
  if (source.jira) {
    for (const auto& value : source.version.items) {
      if (!value.is_object()) continue;
      const auto& item = value.get_object();
      json::object fields{{"summary", summary_of(item)}, {"description", description_of(item, "the requirements " + label)}};
      if (request.project_key) fields["project_key"] = *request.project_key;
      try {
        auto made = co_await clients.act(*source.jira, "create_issue", fields);
        json::object issue{{"requirement", text_of(item, "id")}, {"key", made["key"]}, {"url", made["url"]}};
        issue_of[text_of(item, "id")] = issue;
        issues.push_back(std::move(issue));
      } catch (const core::Error& e) {
        if (e.kind() != core::ErrorKind::bad_gateway) throw;  // our input: nothing sensible follows
        stop(text_of(item, "id"), e);
        break;
      }
    }
  }
  out["issues"] = std::move(issues);
  out["page"] = nullptr;
  if (source.confluence && !out.contains("stopped")) {
    json::object page{{"title", fmt::format("Requirements: {} (version {})", source.analysis.title, source.version.version)},
                      {"body", page_body(source.version.items, issue_of, "The requirements " + label)}};
    if (request.space_id) page["space_id"] = *request.space_id;
    if (request.parent_id) page["parent_id"] = *request.parent_id;
    try {
      out["page"] = co_await clients.act(*source.confluence, "create_page", page);
    } catch (const core::Error& e) {
      if (e.kind() != core::ErrorKind::bad_gateway) throw;
      stop("page", e);
    }
  }
  if (!out.contains("stopped")) out["stopped"] = nullptr;
  co_return out;
}

}  // namespace de::agents
