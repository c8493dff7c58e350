#include "agents/sales/rules.hpp"

#include <algorithm>
#include <array>
#include <cmath>

#include "model/model.hpp"

namespace de::agents::sales {

namespace json = boost::json;

namespace {
constexpr int engagement_cap = 40;

using model::lower;

bool contains_any(std::string_view text, std::span<const std::string_view> words) {
  return std::any_of(words.begin(), words.end(), [&](auto w) { return text.find(w) != std::string_view::npos; });
}

// The field, or the attribute of that name (any case) when the field is empty.
std::string field(std::string_view value, const json::object* attributes, std::string_view name) {
  if (!value.empty()) return std::string(value);
  if (!attributes) return "";
  for (const auto& [key, v] : *attributes)
    if (lower(key) == name) {
      auto text = present_text(v);
      return text ? *text : "";
    }
  return "";
}

constexpr std::array<std::string_view, 12> free_mail = {"gmail.", "yahoo.", "hotmail.", "outlook.", "live.", "aol.",
                                                        "icloud.", "gmx.", "mail.ru", "yandex.", "proton", "web.de"};
constexpr std::array<std::string_view, 7> warm_sources = {"referral", "partner", "event", "webinar", "demo", "contact", "trade"};
constexpr std::array<std::string_view, 7> inbound_sources = {"web", "organic", "inbound", "seo", "blog", "search", "chat"};
constexpr std::array<std::string_view, 8> engaged_statuses = {"contacted", "engaged", "working", "qualified", "meeting",
                                                              "demo", "proposal", "negotiat"};
constexpr std::array<std::string_view, 5> dead_statuses = {"unqualified", "disqualified", "junk", "bounced", "unsubscribed"};
constexpr std::array<std::string_view, 15> engagement_words = {
    "visit", "view", "open", "click", "download", "session", "page", "call",
    "meeting", "demo", "repl", "attend", "activit", "engag", "time"};
}  // namespace

Prediction rule_score(const LeadFields& lead) {
  Prediction p;
  int points = 0;
  auto add = [&](std::string feature, json::value value, int contribution, std::string reason) {
    points += contribution;
    p.factors.push_back({std::move(feature), std::move(value), double(contribution), std::move(reason)});
  };
  // Fit: who the lead is.
  auto email = lower(field(lead.email, lead.attributes, "email"));
  if (auto at = email.find('@'); at != std::string::npos && at + 1 < email.size()) {
    auto domain = email.substr(at + 1);
    if (contains_any(domain, free_mail)) add("email", json::value(email), 5, "a personal email address");
    else add("email", json::value(email), 15, "a business email domain");
  }
  if (auto company = field(lead.company, lead.attributes, "company"); !company.empty())
    add("company", json::value(company), 10, "the company is known");
  if (auto name = field(lead.name, lead.attributes, "name"); !name.empty())
    add("name", json::value(name), 5, "the contact's name is known");
  if (auto source = field(lead.source, lead.attributes, "source"); !source.empty()) {
    auto s = lower(source);
    if (contains_any(s, warm_sources)) add("source", json::value(source), 15, "a warm source (referral, partner, event)");
    else if (contains_any(s, inbound_sources)) add("source", json::value(source), 10, "an inbound source");
    else add("source", json::value(source), 5, "the source is known");
  }
  // Engagement: what the lead has done.
  if (auto status = field(lead.status, lead.attributes, "status"); !status.empty()) {
    auto s = lower(status);
    if (contains_any(s, dead_statuses)) add("status", json::value(status), -20, "the status says the lead is not a prospect");
    else if (contains_any(s, engaged_statuses)) add("status", json::value(status), 15, "the status shows engagement");
  }
  int engagement = 0;
  if (lead.attributes)
    for (const auto& [key, value] : *lead.attributes) {
      auto name = lower(key);
      if (!contains_any(name, engagement_words) || engagement >= engagement_cap) continue;
      double amount = value.is_number() ? value.to_number<double>() : value.is_bool() ? double(value.get_bool()) : 0;
      if (value.is_string()) {
        auto text = present_text(value);
        char* end = nullptr;
        if (text) amount = std::strtod(text->c_str(), &end);
        if (!text || end != text->c_str() + text->size() || !std::isfinite(amount)) amount = 0;
      }
      if (amount <= 0) continue;
      int earned = std::min({10, engagement_cap - engagement, 3 + int(std::log2(1 + amount))});
      engagement += earned;
      add(std::string(key), value, earned, "engagement: " + std::string(key) + " is above zero");
    }
  p.score = std::clamp(points, 0, 100);
  p.grade = p.score >= 70 ? 'A' : p.score >= 50 ? 'B' : p.score >= 30 ? 'C' : 'D';
  p.converted = p.score >= 50;
  return p;
}

}  // namespace de::agents::sales
