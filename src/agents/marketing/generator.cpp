#include "agents/marketing/generator.hpp"

#include <fmt/format.h>

#include <random>

#include "agents/marketing/checks.hpp"
#include "agents/marketing/copywriter.hpp"
#include "ai/offline.hpp"
#include "ai/prompt.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/json.hpp"
#include "store/ai_repository.hpp"
#include "store/campaign_repository.hpp"
#include "store/deal_repository.hpp"
#include "store/lead_repository.hpp"
#include "store/write.hpp"

namespace de::agents::marketing {

namespace json = boost::json;

namespace {
// The line of the prompt that carries the writer's input; the offline copywriter reads it back.
constexpr std::string_view input_marker = "Brief as JSON: ";

constexpr const char* prompt_text =
    "You are the company's marketing copywriter. Write one {{kind}} from the brief below, as JSON with the fields the "
    "schema asks for; \"body\" is the whole text as the reader sees it.\n"
    "Rules: use only the facts in the brief and the recipient's data: no number, statistic or superlative that is not "
    "there. Include the call to action word for word. Keep every field within its character limit (\"limits\"). Write "
    "in the brand voice (\"voice\"): its tone, some of its words to use, none of its words to avoid, plain sentences at "
    "its reading grade or below; its examples show the style. Address the recipient by name when one is given. For "
    "Instagram, end with hashtags. When \"fix\" names checks an earlier draft failed, fix those.\n"
    "This is variant {{variant}}: give it a structure and an angle of its own.\n"
    "Brief as JSON: {{input}}";

std::vector<ai::PromptVariable> prompt_variables() {
  std::vector<ai::PromptVariable> v(3);
  v[0].name = "kind";
  v[1].name = "variant";
  v[1].type = "number";
  v[2].name = "input";
  v[2].type = "json";
  return v;
}

// The JSON Schema of a piece of `kind`; its title routes it to the offline copywriter.
json::value piece_schema(std::string_view kind) {
  std::string fields = R"("body":{"type":"string","minLength":1})";
  std::string required = R"("body")";
  auto text = [&](const char* name) {
    fields += fmt::format(R"(,"{}":{{"type":"string"}})", name);
    required += fmt::format(R"(,"{}")", name);
  };
  if (kind == "email") text("subject"), text("preheader");
  if (kind == "ad_copy") text("headline"), text("description");
  if (kind == "landing_page") text("headline"), text("subheadline");
  if (kind == "blog_outline") {
    text("title");
    fields += R"(,"sections":{"type":"array","items":{"type":"object","properties":{"heading":{"type":"string"},"points":{"type":"array","items":{"type":"string"}}},"required":["heading"]}})";
  }
  if (kind == "social_post") fields += R"(,"hashtags":{"type":"array","items":{"type":"string"}})";
  return json::parse(fmt::format(R"({{"title":"marketing_content","type":"object","properties":{{{}}},"required":[{}]}})", fields, required));
}

// A model's answer made tidy: strings trimmed, hashtags with their '#'. Fields the schema
// does not know are dropped, so nothing unchecked is kept.
json::object tidy_piece(const json::value& answer, std::string_view kind) {
  json::object piece;
  if (!answer.is_object()) return piece;
  auto schema = piece_schema(kind);
  const auto& known = schema.at("properties").as_object();
  for (const auto& [key, value] : answer.get_object()) {
    if (!known.contains(key)) continue;
    if (value.is_string()) piece[key] = trimmed(value.get_string());
    else piece[key] = value;
  }
  if (auto* tags = piece.if_contains("hashtags"); tags && tags->is_array())
    for (auto& tag : tags->get_array())
      if (tag.is_string() && !tag.get_string().starts_with("#")) tag = "#" + std::string(tag.get_string());
  if (!piece.contains("body")) piece["body"] = "";
  return piece;
}

struct PromptInUse {
  std::string text;
  std::vector<ai::PromptVariable> variables;
  std::int64_t version = 1;
};

PromptInUse active_prompt(store::Connection& c) {
  auto found = store::prompts::find_by_name(c, std::string(prompt_name));
  if (!found) return {prompt_text, prompt_variables(), 1};
  std::vector<core::FieldError> errors;
  auto variables = ai::read_variables(found->active.variables, "variables", errors);
  return {found->active.template_text, std::move(variables), found->active_version};
}

// Stores the built-in template as version 1 of `marketing.content` when it is not there, so
// that every piece names a stored prompt version (editable through /api/v1/prompts).
void ensure_prompt(store::Tx& tx) {
  if (store::prompts::find_by_name(tx.connection, std::string(prompt_name))) return;
  store::prompts::Prompt p;
  p.id = core::new_id();
  p.name = prompt_name;
  p.description = "Marketing content (docs/marketing.md): one piece from a brief, in the brand voice.";
  p.created_at = p.updated_at = core::now_ms();
  p.active.template_text = prompt_text;
  p.active.variables = ai::to_json(prompt_variables());
  p.active.created_at = p.created_at;
  store::prompts::insert(tx.connection, p);
}

ai::ChatRequest piece_request(const PromptInUse& prompt, const WriterInput& input) {
  json::object values;
  values["kind"] = input.spec.kind;
  values["variant"] = input.variant;
  values["input"] = to_json(input);
  ai::ChatRequest request;
  ai::Message message;
  message.content = ai::render(prompt.text, prompt.variables, values);
  request.messages.push_back(std::move(message));
  request.json_schema = piece_schema(input.spec.kind);
  request.max_tokens = 2000;
  request.temperature = 0.8;
  return request;
}

WriterInput writer_input(const ContentSpec& spec, const BrandVoice& voice, int variant) {
  WriterInput input;
  input.spec = spec;
  input.voice = voice;
  input.variant = variant;
  return input;
}

ai::CallOptions call_options(const GenerationContext& context, std::int64_t version) {
  ai::CallOptions options;
  options.labels.prompt_name = prompt_name;
  options.labels.prompt_version = static_cast<int>(version);
  if (context.agent_id) options.labels.agent_id = *context.agent_id;
  return options;
}

store::content::Variant variant_of(const json::object& piece, const std::vector<Check>& checks, const ai::ChatResponse& answer,
                                   int index, int attempts, std::int64_t version) {
  store::content::Variant v;
  v.index = index;
  v.fields = piece;
  v.checks = to_json(checks);
  v.passed = hard_failures(checks).empty();
  v.attempts = attempts;
  v.provider = answer.provider;
  v.model = answer.model;
  v.prompt_name = prompt_name;
  v.prompt_version = version;
  return v;
}

json::object content_event(const store::content::Content& content) {
  return {{"id", content.id}, {"kind", content.kind}, {"variants", content.variants.size()}, {"passed", content.passed}};
}

std::string read_text(core::ObjectReader& r, const char* key, std::size_t longest) {
  auto value = r.string(key, true, longest);
  if (value && trimmed(*value).empty()) r.error(key, "must not be empty");
  return value ? trimmed(*value) : std::string();
}

Recipient lead_recipient(const store::leads::Lead& lead) {
  Recipient r{"lead", lead.id, lead.name, lead.company, {}};
  if (!lead.source.empty()) r.facts.push_back("source: " + lead.source);
  for (const auto& [key, value] : lead.attributes)
    if (r.facts.size() < 12 && (value.is_string() || value.is_number()))
      r.facts.push_back(std::string(key) + ": " + (value.is_string() ? std::string(value.get_string()) : core::to_text(value)));
  return r;
}

// A campaign's piece is written for its audience, not to a person: the campaign's name tags
// the links and hashtags (copywriter), and its channel, goal and results so far are facts the
// copy may draw on.
Recipient campaign_recipient(const store::campaigns::Campaign& campaign, const std::vector<store::campaigns::DayResult>& days) {
  Recipient r{"campaign", campaign.id, campaign.name, "", {"channel: " + campaign.channel}};
  if (!campaign.goal.empty()) r.facts.push_back("goal: " + campaign.goal);
  if (!days.empty()) {
    std::int64_t impressions = 0, clicks = 0, conversions = 0;
    for (const auto& day : days) impressions += day.impressions, clicks += day.clicks, conversions += day.conversions;
    r.facts.push_back(fmt::format("results over {} days: {} impressions, {} clicks, {} conversions", days.size(),
                                  impressions, clicks, conversions));
  }
  return r;
}

std::optional<Recipient> read_recipient(core::ObjectReader& r, store::Connection& c) {
  auto lead_id = r.string("lead_id", false, 64), deal_id = r.string("deal_id", false, 64),
       campaign_id = r.string("campaign_id", false, 64);
  if (int(lead_id.has_value()) + int(deal_id.has_value()) + int(campaign_id.has_value()) > 1)
    r.error("lead_id", "give at most one of lead_id, deal_id and campaign_id");
  auto checked = [&](const std::optional<std::string>& id, const char* key) {
    if (id && !core::is_uuid(*id)) r.error(key, "must be an id (UUID)");
    return id && core::is_uuid(*id);
  };
  if (checked(lead_id, "lead_id")) {
    if (auto lead = store::leads::find(c, *lead_id)) return lead_recipient(*lead);
    r.error("lead_id", "no lead has this id");
  }
  if (checked(deal_id, "deal_id")) {
    auto deal = store::deals::find(c, *deal_id);
    if (!deal) {
      r.error("deal_id", "no deal has this id");
      return std::nullopt;
    }
    Recipient recipient{"deal", deal->id, "", deal->account, {"deal: " + deal->name, "stage: " + deal->stage}};
    if (deal->lead_id)
      if (auto lead = store::leads::find(c, *deal->lead_id)) recipient.name = lead->name;
    return recipient;
  }
  if (checked(campaign_id, "campaign_id")) {
    if (auto campaign = store::campaigns::find(c, *campaign_id))
      return campaign_recipient(*campaign, store::campaigns::results(c, campaign->id));
    r.error("campaign_id", "no campaign has this id");
  }
  return std::nullopt;
}

std::vector<std::string> read_words(core::ObjectReader& r, const char* key, std::size_t most_items, std::size_t longest) {
  auto items = r.strings(key, false, most_items).value_or(std::vector<std::string>{});
  std::vector<std::string> out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    auto item = trimmed(items[i]);
    if (item.empty() || item.size() > longest)
      r.error(fmt::format("{}[{}]", key, i), fmt::format("must be 1 to {} characters", longest));
    else out.push_back(std::move(item));
  }
  return out;
}
}  // namespace

ContentSpec read_content_request(const json::object& body, store::Connection& c, const std::string& prefix) {
  core::ObjectReader r(body, prefix);
  ContentSpec spec;
  spec.kind = r.choice("kind", true, kinds).value_or("");
  auto network = r.choice("network", false, networks);
  if (spec.kind == "social_post" && !network) r.error("network", "a social post needs its network: x, linkedin or instagram");
  if (network && !spec.kind.empty() && spec.kind != "social_post") r.error("network", "only social posts have a network");
  spec.network = network.value_or("");
  if (const auto* brief = r.object("brief", true)) {
    core::ObjectReader b(*brief, r.field_name("brief"));
    spec.brief.product = read_text(b, "product", 200);
    spec.brief.audience = read_text(b, "audience", 300);
    spec.brief.goal = read_text(b, "goal", 300);
    spec.brief.call_to_action = read_text(b, "call_to_action", 300);
    spec.brief.facts = read_words(b, "facts", 20, 500);
    for (auto& e : b.take_errors()) r.errors().push_back(std::move(e));
  }
  spec.recipient = read_recipient(r, c);
  spec.variants = static_cast<int>(r.integer("variants", false, 1, most_variants).value_or(1));
  auto seed = r.integer("seed", false, 0, std::int64_t(1) << 53);
  spec.seed = seed ? std::uint64_t(*seed) : std::random_device()() % (std::uint64_t(1) << 31);
  r.finish();
  return spec;
}

BrandVoice load_brand_voice(store::Connection& c) {
  auto stored = store::brand_voice::find(c);
  return stored ? brand_voice_from(*stored) : BrandVoice{};
}

BrandVoice read_brand_voice(const json::object& body) {
  core::ObjectReader r(body);
  BrandVoice v;
  if (auto tone = r.string("tone", false, 100)) v.tone = trimmed(*tone);
  v.words_to_use = read_words(r, "words_to_use", 50, 100);
  v.words_to_avoid = read_words(r, "words_to_avoid", 200, 100);
  v.examples = read_words(r, "examples", 10, 3000);
  if (auto level = r.number("reading_level", false)) {
    if (*level < 1 || *level > 18) r.error("reading_level", "must be a grade from 1 to 18");
    else v.reading_grade = *level;
  }
  if (v.tone.empty()) r.error("tone", "must not be empty");
  r.finish();
  return v;
}

void register_offline_copywriter() {
  ai::add_offline_writer("marketing_content", [](const ai::ChatRequest& request) -> json::value {
    for (auto it = request.messages.rbegin(); it != request.messages.rend(); ++it) {
      auto at = it->content.rfind(input_marker);
      if (it->role != ai::Role::user || at == std::string::npos) continue;
      auto line = std::string_view(it->content).substr(at + input_marker.size());
      auto input = json::parse(line.substr(0, line.find('\n')));
      if (input.is_object()) return write_offline(writer_input_from(input.get_object()));
    }
    throw core::Error(core::ErrorKind::bad_request, "a content request must end with the line 'Brief as JSON: {...}'");
  });
}

namespace {
boost::asio::awaitable<store::content::Content> generate(GenerationContext context, ContentSpec spec) {
  auto stored = context.db.read([](store::Connection& c) { return store::prompts::find_by_name(c, std::string(prompt_name)); });
  if (!stored) co_await store::write(context.db, [](store::Tx& tx) { ensure_prompt(tx); });
  auto prompt = context.db.read([](store::Connection& c) { return active_prompt(c); });
  auto voice = context.db.read([](store::Connection& c) { return load_brand_voice(c); });
  auto options = call_options(context, prompt.version);
  store::content::Content content;
  content.id = core::new_id();
  content.kind = spec.kind;
  if (!spec.network.empty()) content.network = spec.network;
  content.brief = to_json(spec.brief);
  if (spec.recipient) content.recipient = to_json(*spec.recipient);
  content.seed = static_cast<std::int64_t>(spec.seed);
  content.task_id = context.task_id;
  content.created_by = context.created_by;
  content.passed = true;
  for (int index = 0; index < spec.variants; ++index) {
    auto input = writer_input(spec, voice, index);
    int attempts = 0;
    store::content::Variant variant;
    // A piece that fails a hard check is written once more, told which checks failed.
    while (attempts < 2) {
      ++attempts;
      auto request = piece_request(prompt, input);
      auto answer = co_await ai::ask(context.ai, request, options);
      auto piece = tidy_piece(answer.json ? *answer.json : json::value(nullptr), spec.kind);
      auto checks = check_piece(piece, spec, voice);
      variant = variant_of(piece, checks, answer, index, attempts, prompt.version);
      input.fix = hard_failures(checks);
      if (input.fix.empty()) break;
    }
    content.passed = content.passed && variant.passed;
    content.variants.push_back(std::move(variant));
  }
  content.created_at = core::now_ms();
  co_await store::write(context.db, [&content](store::Tx& tx) {
    store::content::insert(tx.connection, content);
    tx.emit("content.created", content_event(content));
  });
  co_return content;
}
}  // namespace

GenerationContext generation_context(store::Database& db, ai::AiService& ai, std::optional<std::string> created_by,
                                     std::optional<std::string> task_id, std::optional<std::string> agent_id) {
  return {db, ai, std::move(created_by), std::move(task_id), std::move(agent_id)};
}

boost::asio::awaitable<store::content::Content> generate_content(const GenerationContext& context, const ContentSpec& spec) {
  return generate(context, spec);
}

}  // namespace de::agents::marketing
