#include "agents/product/product_services.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <span>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/json.hpp"
#include "store/product_repository.hpp"
#include "store/write.hpp"

namespace de::agents {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr std::int64_t week_ms = 7LL * 24 * 60 * 60 * 1000;
// The most recent events an update reports: more would be no update a person reads.
constexpr std::int64_t most_events = 2000;

// The JSON Schema a model's estimates must meet.
json::value estimates_schema() {
  return core::parse_stored(R"({"type":"object","required":["items"],"properties":{"items":{"type":"array","items":{
    "type":"object","required":["id","reach","impact","confidence","effort","moscow","reasoning"],"properties":{
    "id":{"type":"string"},"reach":{"type":"number","minimum":0},"impact":{"type":"number","minimum":0.25,"maximum":3},
    "confidence":{"type":"number","minimum":0.01,"maximum":1},"effort":{"type":"number","minimum":0.01,"maximum":1000},
    "moscow":{"type":"string","enum":["must","should","could","wont"]},"reasoning":{"type":"string"}}}}}})");
}

// The requirements with what the analysis and the rules found, for the model to estimate from.
std::string estimates_prompt(const std::vector<product::AnalyzedRequirement>& items,
                             const std::vector<product::Priority>& rules) {
  std::string out =
      "Estimate RICE (reach: people per quarter; impact: 0.25, 0.5, 1, 2 or 3; confidence 0.01-1; effort: "
      "person-months) and MoSCoW (must, should, could, wont) for each requirement, with one sentence of reasoning. "
      "The rules' estimates are given as a starting point.\n";
  for (std::size_t i = 0; i < items.size(); ++i) {
    const auto& a = items[i];
    const auto& c = a.classification;
    out += fmt::format("- id {}: \"{}\" ({}; {} ambiguities; conflicts: {}; rules: reach {}, impact {}, confidence {}, "
                       "effort {}, {})\n",
                       a.requirement.id, a.requirement.text,
                       c.functional ? std::string("functional") : std::string(product::nfr_categories[c.category]),
                       a.ambiguities.size(), a.conflicts.empty() ? std::string("none") : fmt::format("{}", fmt::join(a.conflicts, ", ")),
                       rules[i].reach, rules[i].impact, rules[i].confidence, rules[i].effort, rules[i].moscow);
  }
  return out;
}

// The model's values for one requirement; impact is put on RICE's nearest step.
product::PriorityValues model_values(const json::object& item) {
  product::PriorityValues v;
  v.reach = item.at("reach").to_number<double>();
  auto impact = item.at("impact").to_number<double>();
  v.impact = *std::min_element(product::impact_scale.begin(), product::impact_scale.end(),
                               [&](double a, double b) { return std::abs(a - impact) < std::abs(b - impact); });
  v.confidence = item.at("confidence").to_number<double>();
  v.effort = item.at("effort").to_number<double>();
  v.moscow = std::string(item.at("moscow").as_string());
  return v;
}

void apply_model(std::vector<product::Priority>& priorities, const std::vector<product::AnalyzedRequirement>& items,
                 const ai::ChatResponse& reply) {
  auto source = fmt::format("the model ({}/{})", reply.provider, reply.model);
  for (const auto& estimate : reply.json->at("items").as_array()) {
    const auto& e = estimate.as_object();
    auto at = std::find_if(items.begin(), items.end(),
                           [&](const product::AnalyzedRequirement& a) { return a.requirement.id == e.at("id").as_string(); });
    if (at == items.end()) continue;  // an id the model made up
    auto& p = priorities[std::size_t(at - items.begin())];
    product::apply_values(p, model_values(e), source, false);
    p.method = "model";
    p.reasons.push_back({"model", std::string(e.at("reasoning").as_string())});
  }
}

// A model reviews at most this many requirements of a document, in calls of `review_chunk`: a
// 1,000-requirement document would otherwise hold its request for minutes. The rest keep the
// classifier's answer, and the summary counts those the model classified.
constexpr std::size_t most_reviewed_by_model = 400;
constexpr std::size_t review_chunk = 40;

constexpr const char* review_instructions =
    "You classify software requirements. kind: \"functional\" when the requirement states something the system "
    "does (a behaviour, a function, a service to a user or another system); \"non_functional\" when it states a "
    "quality of the system or a constraint on it. category, for a non-functional requirement (\"none\" for a "
    "functional one), one of the PROMISE NFR classes: availability (when the system is up and can be used), fault "
    "tolerance (it keeps working or recovers when something fails), legal (laws, regulations, standards, licences "
    "it must comply with), look and feel (the appearance and style of its user interface), maintainability (how "
    "easily it is corrected, changed, extended and tested), operational (the environment it runs in and how it is "
    "run: platforms, hardware, other systems, administration), performance (speed, response time, throughput, "
    "resource use), portability (moving it to other platforms or environments), scalability (growing users, data "
    "or load while keeping its service), security (protection against unauthorised access, use and change; "
    "privacy), usability (how easily people learn and use it). Give one short sentence of reasoning for each. "
    "rewrite: for a requirement listed with ambiguous words, the requirement rewritten so that each is "
    "resolved, keeping its meaning; where a figure or a name must come from the stakeholders write "
    "[to be agreed: what] rather than inventing one. An empty string for a requirement listed without any.";

// The requirements of one call, each with the words the rules found ambiguous.
std::string review_prompt(std::span<const product::AnalyzedRequirement> chunk) {
  std::string out = "Classify each requirement, and rewrite those with ambiguous words.\n";
  for (const auto& a : chunk) {
    out += fmt::format("- id {}: {}", a.requirement.id, a.requirement.text);
    std::vector<std::string> words;
    for (const auto& f : a.ambiguities) words.push_back(fmt::format("\"{}\" ({})", f.text, f.reason));
    out += words.empty() ? "\n" : fmt::format("\n  ambiguous: {}\n", fmt::join(words, "; "));
  }
  return out;
}

// The JSON Schema a model's review must meet: only the ids it was given.
json::value review_schema(std::span<const product::AnalyzedRequirement> chunk) {
  json::array ids, categories{"none"};
  for (const auto& a : chunk) ids.emplace_back(a.requirement.id);
  for (auto name : product::nfr_categories) categories.emplace_back(name);
  json::object item{{"type", "object"},
                    {"required", {"id", "kind", "category", "reasoning", "rewrite"}},
                    {"properties",
                     {{"id", {{"type", "string"}, {"enum", std::move(ids)}}},
                      {"kind", {{"type", "string"}, {"enum", {"functional", "non_functional"}}}},
                      {"category", {{"type", "string"}, {"enum", std::move(categories)}}},
                      {"reasoning", {{"type", "string"}}},
                      {"rewrite", {{"type", "string"}}}}}};
  return json::object{{"type", "object"},
                      {"required", {"items"}},
                      {"properties", {{"items", {{"type", "array"}, {"items", std::move(item)}}}}}};
}

// Applies a model's answer to the chunk it was asked about; items it left out keep the classifier's.
void apply_review(std::span<product::AnalyzedRequirement> chunk, const ai::ChatResponse& reply) {
  auto model = reply.provider + "/" + reply.model;
  for (const auto& answer : reply.json->at("items").as_array()) {
    const auto& a = answer.as_object();
    auto at = std::find_if(chunk.begin(), chunk.end(), [&](const product::AnalyzedRequirement& r) {
      return !r.reviewed_by_model && r.requirement.id == a.at("id").as_string();
    });
    if (at == chunk.end()) continue;  // answered twice
    bool functional = a.at("kind").as_string() == "functional";
    auto named = std::find(product::nfr_categories.begin(), product::nfr_categories.end(), a.at("category").as_string());
    // A non-functional answer without a class keeps the classifier's class.
    auto category = named != product::nfr_categories.end() ? std::size_t(named - product::nfr_categories.begin())
                                                            : at->classification.category;
    product::ModelReview review{model, std::string(a.at("reasoning").as_string()), std::string(a.at("rewrite").as_string())};
    product::apply_model_review(*at, functional, category, std::move(review));
  }
}

// A real model's structured answer to `chat`, labelled `prompt_name` in the usage records; none
// when the call failed (`error` says why) or when the fallback reached the built-in provider,
// whose structured answer is built from the request's words, not judged.
asio::awaitable<std::optional<ai::ChatResponse>> ask_model(ai::AiService& ai, const ai::ChatRequest& chat,
                                                           const char* prompt_name, std::string& error) {
  ai::CallOptions options;
  options.labels.prompt_name = prompt_name;
  std::optional<ai::ChatResponse> reply;
  try {
    reply = co_await ai::ask(ai, chat, options);
  } catch (const std::exception& e) {
    error = e.what();
    co_return std::nullopt;
  }
  if (reply->provider == "offline" || !reply->json) co_return std::nullopt;
  co_return reply;
}

ai::ChatRequest single_prompt(std::string system, std::string user, std::int64_t max_tokens) {
  ai::ChatRequest request;
  request.messages.push_back({ai::Role::system, std::move(system), {}, {}, {}});
  request.messages.push_back({ai::Role::user, std::move(user), {}, {}, {}});
  request.max_tokens = max_tokens;
  return request;
}

product::StakeholderProfile profile_of(const store::stakeholders::Stakeholder& s) {
  return {s.name, s.role, s.channel, int(s.influence), int(s.interest), s.topics};
}

// The line a product.prioritize output adds to an update.
std::optional<product::Change> priorities_change(const json::value& priorities, std::int64_t now) {
  const auto* object = priorities.if_object();
  const auto* items = object ? object->if_contains("items") : nullptr;
  if (!items || !items->is_array() || items->get_array().empty()) return std::nullopt;
  std::map<std::string, int> by_moscow;
  const json::object* top = nullptr;
  double best = -1;
  for (const auto& item : items->get_array()) {
    const auto* p = item.is_object() ? item.get_object().if_contains("priority") : nullptr;
    if (!p || !p->is_object()) continue;
    if (const auto* m = p->get_object().if_contains("moscow"); m && m->is_string()) ++by_moscow[std::string(m->get_string())];
    if (const auto* s = p->get_object().if_contains("score"); s && s->is_number() && s->to_number<double>() > best) {
      best = s->to_number<double>();
      top = &item.get_object();
    }
  }
  if (!top) return std::nullopt;
  product::Change c;
  c.area = "requirements";
  c.at = now;
  std::vector<std::string> counts;
  for (auto name : product::moscow_classes)
    if (by_moscow[std::string(name)]) counts.push_back(fmt::format("{} {}", by_moscow[std::string(name)], name));
  c.line = fmt::format("{} requirements prioritised ({}); highest RICE score {:g}: {} \"{}\"", items->get_array().size(),
                       fmt::join(counts, ", "), best, top->at("id").is_string() ? std::string(top->at("id").get_string()) : "",
                       top->at("text").is_string() ? std::string(top->at("text").get_string()) : "");
  return c;
}

struct Planned {
  store::stakeholders::Stakeholder stakeholder;
  product::Draft draft;
};

}  // namespace

bool has_model(const ai::AiService* ai) {
  if (!ai) return false;
  auto providers = ai->providers();
  return std::any_of(providers.begin(), providers.end(),
                     [](const ai::ProviderStatus& p) { return p.configured && p.name != "offline"; });
}

asio::awaitable<std::string> review_with_model(ai::AiService* ai, std::vector<product::AnalyzedRequirement>& items) {
  if (!has_model(ai)) co_return std::string();
  auto limit = std::min(items.size(), most_reviewed_by_model);
  for (std::size_t first = 0; first < limit; first += review_chunk) {
    std::span<product::AnalyzedRequirement> chunk(items.data() + first, std::min(review_chunk, limit - first));
    auto chat = single_prompt(review_instructions, review_prompt(chunk), std::int64_t(200 + 160 * chunk.size()));
    chat.json_schema = review_schema(chunk);
    std::string error;
    auto reply = co_await ask_model(*ai, chat, "product.analyze_requirements", error);
    if (!error.empty()) co_return error;  // the rest would most likely fail alike: the classifier's answers stand
    if (reply) apply_review(chunk, *reply);
  }
  co_return std::string();
}

json::object analysis_answer(const std::vector<product::AnalyzedRequirement>& items, const std::string& model_error) {
  auto out = product::analysis_json(items);
  if (!model_error.empty()) out["model_error"] = model_error;
  return out;
}

asio::awaitable<json::object> prioritize_requirements(ai::AiService* ai, std::vector<product::AnalyzedRequirement> items,
                                                      const std::vector<product::PriorityValues>& given) {
  auto model_error = co_await review_with_model(ai, items);
  auto priorities = product::prioritize(items);
  if (has_model(ai) && model_error.empty()) {
    auto chat = single_prompt("You are a product manager who prioritises requirements with RICE and MoSCoW.",
                              estimates_prompt(items, priorities), 4096);
    chat.json_schema = estimates_schema();
    if (auto reply = co_await ask_model(*ai, chat, "product.prioritize", model_error))
      apply_model(priorities, items, *reply);
  }
  for (std::size_t i = 0; i < priorities.size(); ++i)
    if (!given[i].empty()) product::apply_values(priorities[i], given[i], "a person", true);
  auto out = product::prioritized_json(items, priorities);
  if (!model_error.empty()) out["model_error"] = model_error;
  co_return out;
}

UpdateRequest read_update_request(const json::object& body, std::int64_t now) {
  core::ObjectReader r(body);
  UpdateRequest out;
  out.stakeholder_ids = r.strings("stakeholder_ids", false, 1000);
  if (out.stakeholder_ids)
    for (std::size_t i = 0; i < out.stakeholder_ids->size(); ++i)
      if (!core::is_uuid((*out.stakeholder_ids)[i]))
        r.error(fmt::format("stakeholder_ids[{}]", i), "must be a stakeholder's id (a UUID)");
  auto since = r.string("since", false, 100);
  const auto* priorities = r.any("priorities", false);
  out.since = now - week_ms;
  if (since) {
    if (auto parsed = core::parse_timestamp(*since)) out.since = *parsed;
    else r.error("since", "must be an RFC 3339 timestamp");
  }
  if (priorities)
    if (auto change = priorities_change(*priorities, now)) out.extra.push_back(std::move(*change));
  r.finish();
  return out;
}

asio::awaitable<json::object> draft_stakeholder_updates(store::Database& db, ai::AiService* ai, const UpdateRequest& request,
                                                        const std::optional<std::string>& created_by) {
  auto since = request.since;
  auto [stakeholders, events] = db.read([&](store::Connection& c) {
    std::vector<store::stakeholders::Stakeholder> chosen;
    if (request.stakeholder_ids) {
      for (const auto& id : *request.stakeholder_ids) {
        auto s = store::stakeholders::find(c, id);
        if (!s) throw core::not_found("stakeholder", id);
        chosen.push_back(std::move(*s));
      }
    } else {
      chosen = store::stakeholders::all(c);
    }
    return std::pair(std::move(chosen), store::product_events_since(c, since, most_events));
  });
  std::vector<product::Change> changes;
  for (const auto& e : events)
    if (auto change = product::change_of(e.id, e.topic, e.data, e.created_at)) changes.push_back(std::move(*change));
  for (const auto& extra : request.extra) changes.push_back(extra);

  std::vector<Planned> planned;
  json::array skipped;
  for (const auto& s : stakeholders) {
    auto profile = profile_of(s);
    auto relevant = product::relevant_changes(profile, changes);
    auto draft = product::compose_update(profile, relevant, since);
    if (!draft) {
      auto reason = s.topics.empty() ? fmt::format("nothing changed since {}", core::format_timestamp(since))
                                     : fmt::format("none of the {} changes since {} concerns their topics", changes.size(),
                                                   core::format_timestamp(since));
      json::object entry;
      entry["stakeholder_id"] = s.id;
      entry["reason"] = reason;
      skipped.push_back(std::move(entry));
      continue;
    }
    // Named, not braced: GCC 12 mishandles aggregates initialised inside coroutines.
    Planned next;
    next.stakeholder = s;
    next.draft = std::move(*draft);
    planned.push_back(std::move(next));
  }

  std::vector<store::stakeholder_updates::Update> updates;
  bool use_model = has_model(ai);
  for (auto& p : planned) {
    store::stakeholder_updates::Update u;
    u.id = core::new_id();
    u.stakeholder_id = p.stakeholder.id;
    u.quadrant = p.draft.quadrant;
    u.subject = p.draft.subject;
    u.body = p.draft.body;
    u.event_ids = p.draft.event_ids;
    u.created_by = created_by;
    if (use_model) {
      auto system = fmt::format("You write a short update for {}, {}. Tone: {}. Use only the facts given; add none.",
                                p.stakeholder.name, p.stakeholder.role, product::tone_of(p.draft.quadrant));
      auto chat = single_prompt(std::move(system), p.draft.body, 800);
      ai::CallOptions options;
      options.labels.prompt_name = "product.stakeholder_update";
      std::optional<ai::ChatResponse> reply;
      try {
        reply = co_await ai::ask(*ai, chat, options);
      } catch (const std::exception&) {
        reply.reset();  // the composed draft stands
      }
      if (reply && reply->provider != "offline" && !reply->content.empty()) {
        u.body = reply->content;
        u.method = "model";
        u.provider = reply->provider + "/" + reply->model;
      }
    }
    u.created_at = core::now_ms();
    updates.push_back(std::move(u));
  }

  co_await store::write(db, [&](store::Tx& tx) {
    for (const auto& u : updates) {
      store::stakeholder_updates::insert(tx.connection, u);
      auto data = store::stakeholder_updates::to_json(u);
      tx.emit("stakeholders.update_drafted", std::move(data));
    }
  });
  json::array drafts;
  for (const auto& u : updates) drafts.push_back(store::stakeholder_updates::to_json(u));
  json::object out;
  out["drafts"] = std::move(drafts);
  out["skipped"] = std::move(skipped);
  co_return out;
}

}  // namespace de::agents
