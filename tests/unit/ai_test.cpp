// The AI services layer's core: the JSON Schema subset, the offline provider, prices, and the
// service (fallback, retries, circuit breaker, structured output, cost, usage) against a
// scripted provider standing in for a vendor.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>

#include <chrono>
#include <thread>

#include "ai/offline.hpp"
#include "ai/prices.hpp"
#include "ai/schema.hpp"
#include "ai/service.hpp"
#include "core/config.hpp"
#include "core/json.hpp"

using namespace de;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

template <class T>
T run(boost::asio::awaitable<T> task) {
  boost::asio::io_context io;
  auto future = boost::asio::co_spawn(io, std::move(task), boost::asio::use_future);
  io.run();
  return future.get();
}

std::vector<std::string> error_paths(const json::value& value, const json::value& schema) {
  std::vector<std::string> paths;
  for (const auto& e : ai::validate(value, schema)) paths.push_back(e.path);
  return paths;
}

bool valid(std::string_view value, const json::value& schema) { return ai::validate(json::parse(value), schema).empty(); }

ai::ChatRequest user_says(std::string text) {
  ai::ChatRequest request;
  request.messages.push_back({ai::Role::user, std::move(text)});
  return request;
}

ai::ChatResponse offline(const ai::ChatRequest& request) {
  ai::OfflineProvider provider;
  return run(provider.chat(request));
}

// Stands in for a vendor: each call takes the next step of its script (the last one repeats),
// after `delay` like a network call's, and the requests it was sent are kept.
class ScriptedProvider : public ai::Provider {
 public:
  using Step = std::function<ai::ChatResponse(const ai::ChatRequest&)>;

  ScriptedProvider(std::string name, std::vector<Step> script, bool configured = true,
                   std::chrono::milliseconds delay = 0ms)
      : name_(std::move(name)), script_(std::move(script)), configured_(configured), delay_(delay) {}

  std::string_view name() const override { return name_; }
  bool configured() const override { return configured_; }
  std::string default_model() const override { return name_ + "-default"; }
  boost::asio::awaitable<ai::ChatResponse> chat(const ai::ChatRequest& request) override {
    requests.push_back(request);
    const auto& step = script_[std::min(requests.size(), script_.size()) - 1];
    boost::asio::steady_timer network(co_await boost::asio::this_coro::executor, delay_);
    co_await network.async_wait(boost::asio::use_awaitable);
    co_return step(request);
  }

  std::vector<ai::ChatRequest> requests;

 private:
  std::string name_;
  std::vector<Step> script_;
  bool configured_;
  std::chrono::milliseconds delay_;
};

ScriptedProvider::Step answers(std::string content, ai::Usage usage = {100, 20}) {
  return [content, usage](const ai::ChatRequest& request) {
    ai::ChatResponse response;
    response.provider = "scripted";
    response.model = request.model;
    response.content = content;
    response.finish_reason = "stop";
    response.usage = usage;
    return response;
  };
}

ScriptedProvider::Step fails(int status, bool retryable, std::optional<std::chrono::milliseconds> retry_after = {}) {
  return [=](const ai::ChatRequest&) -> ai::ChatResponse {
    throw ai::ProviderError(core::ErrorKind::unavailable, fmt::format("HTTP {}", status), status, retryable, retry_after);
  };
}

// Short waits, so that retries and cooldowns take milliseconds.
ai::AiServiceOptions quick(std::vector<std::string> order) {
  ai::AiServiceOptions options;
  options.fallback_order = std::move(order);
  options.backoff_base = 1ms;
  options.backoff_max = 2ms;
  options.retry_after_max = 500ms;
  options.breaker_failures = 3;
  options.breaker_cooldown = 300ms;  // long enough that a busy machine does not see it end early
  return options;
}

const ai::ProviderStatus& status_of(const std::vector<ai::ProviderStatus>& statuses, std::string_view name) {
  return *std::find_if(statuses.begin(), statuses.end(), [&](auto& s) { return s.name == name; });
}

}  // namespace

// --- JSON Schema ---------------------------------------------------------------------------

TEST(AiSchema, AcceptsAValueThatMeetsEveryKeyword) {
  auto schema = json::parse(R"({
    "type": "object",
    "properties": {
      "name": {"type": "string", "minLength": 2, "maxLength": 20, "pattern": "^[A-Z]"},
      "tier": {"enum": ["hot", "warm", "cold"]},
      "kind": {"const": "lead"},
      "score": {"type": "integer", "minimum": 0, "maximum": 100},
      "ratio": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
      "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 3},
      "note": {"type": ["string", "null"]},
      "extra": {"anyOf": [{"type": "string"}, {"type": "integer"}]}
    },
    "required": ["name", "tier"],
    "additionalProperties": false
  })");
  ASSERT_NO_THROW(ai::check_schema(schema));
  EXPECT_EQ(error_paths(json::parse(R"({"name":"Acme","tier":"hot","kind":"lead","score":87,"ratio":0.5,
                                       "tags":["b2b"],"note":null,"extra":3})"),
                        schema),
            std::vector<std::string>{});
}

TEST(AiSchema, ErrorsNameTheirPathInTheValue) {
  auto schema = json::parse(R"({"type":"object","properties":{"items":{"type":"array","items":{
    "type":"object","properties":{"score":{"type":"integer"}}}}}})");
  auto errors = ai::validate(json::parse(R"({"items":[{"score":1},{"score":2},{"score":"high"}]})"), schema);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].path, "$.items[2].score");
  EXPECT_EQ(errors[0].message, "expected integer, got string");
  EXPECT_EQ(ai::describe(errors), "$.items[2].score: expected integer, got string");
  // A key that is not a plain name is quoted.
  auto odd = json::parse(R"({"properties":{"odd key":{"type":"string"}}})");
  EXPECT_EQ(error_paths(json::parse(R"({"odd key":1})"), odd), std::vector<std::string>{R"($["odd key"])"});
}

TEST(AiSchema, TypesIncludingIntegerAndNullable) {
  auto integer = json::parse(R"({"type":"integer"})");
  EXPECT_TRUE(valid("3", integer));
  EXPECT_TRUE(valid("3.0", integer));  // a whole number is an integer, however written
  EXPECT_FALSE(valid("3.5", integer));
  EXPECT_FALSE(valid("\"3\"", integer));
  auto nullable = json::parse(R"({"type":["string","null"]})");
  EXPECT_TRUE(valid("null", nullable));
  EXPECT_TRUE(valid("\"x\"", nullable));
  auto errors = ai::validate(json::parse("1"), nullable);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].message, "expected string or null, got integer");
  EXPECT_FALSE(valid("{}", json::parse(R"({"type":"array"})")));
  EXPECT_FALSE(valid("true", json::parse(R"({"type":"number"})")));
  EXPECT_TRUE(valid("false", json::parse(R"({"type":"boolean"})")));
  EXPECT_FALSE(valid("1", json::parse("false")));  // the schema false allows nothing
}

TEST(AiSchema, RequiredAndAdditionalProperties) {
  auto closed = json::parse(R"({"properties":{"a":{}},"required":["a","b"],"additionalProperties":false})");
  auto errors = ai::validate(json::parse(R"({"a":1,"c":2})"), closed);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(ai::describe(errors), "$.c: is not allowed (not a property of the schema); $.b: is required");
  auto typed = json::parse(R"({"properties":{"a":{}},"additionalProperties":{"type":"integer"}})");
  EXPECT_TRUE(valid(R"({"a":"any","b":1})", typed));
  EXPECT_EQ(error_paths(json::parse(R"({"a":"any","b":"x"})"), typed), std::vector<std::string>{"$.b"});
}

TEST(AiSchema, EnumAndConstCompareNumbersByValue) {
  auto schema = json::parse(R"({"enum":[1, "one", {"n":[2]}]})");
  EXPECT_TRUE(valid("1.0", schema));
  EXPECT_TRUE(valid(R"({"n":[2.0]})", schema));
  EXPECT_FALSE(valid("2", schema));
  EXPECT_EQ(ai::validate(json::parse("2"), schema)[0].message, R"(must be one of [1,"one",{"n":[2]}])");
  EXPECT_TRUE(valid("5", json::parse(R"({"const":5.0})")));
  EXPECT_FALSE(valid("\"5\"", json::parse(R"({"const":5})")));
}

TEST(AiSchema, NumberBounds) {
  auto schema = json::parse(R"({"minimum":1,"maximum":10,"exclusiveMinimum":0,"exclusiveMaximum":9.5})");
  EXPECT_TRUE(valid("1", schema));
  EXPECT_TRUE(valid("9.4", schema));
  EXPECT_EQ(ai::describe(ai::validate(json::parse("0.5"), schema)), "$: must be >= 1");
  EXPECT_EQ(ai::describe(ai::validate(json::parse("9.5"), schema)), "$: must be < 9.5");
  EXPECT_EQ(ai::describe(ai::validate(json::parse("11"), schema)), "$: must be <= 10; $: must be < 9.5");
  EXPECT_EQ(ai::describe(ai::validate(json::parse("0"), json::parse(R"({"exclusiveMinimum":0})"))), "$: must be > 0");
}

TEST(AiSchema, StringLengthCountsCharactersAndPatternsMatchAnywhere) {
  auto schema = json::parse(R"({"minLength":2,"maxLength":3})");
  EXPECT_TRUE(valid("\"\u00e9t\u00e9\"", schema));  // three characters, six bytes
  EXPECT_EQ(ai::describe(ai::validate(json::string("a"), schema)), "$: must be at least 2 characters long");
  EXPECT_EQ(ai::describe(ai::validate(json::string("abcd"), schema)), "$: must be at most 3 characters long");
  auto pattern = json::parse(R"({"pattern":"[0-9]{3}"})");
  EXPECT_TRUE(valid("\"call 555 now\"", pattern));
  EXPECT_EQ(ai::describe(ai::validate(json::string("55"), pattern)), "$: must match the pattern [0-9]{3}");
  EXPECT_TRUE(valid("7", pattern));  // string keywords apply to strings only
}

TEST(AiSchema, ArrayItemsAndBounds) {
  auto schema = json::parse(R"({"items":{"type":"integer"},"minItems":1,"maxItems":2})");
  EXPECT_TRUE(valid("[1,2]", schema));
  EXPECT_EQ(ai::describe(ai::validate(json::parse("[]"), schema)), "$: must have at least 1 items");
  EXPECT_EQ(ai::describe(ai::validate(json::parse("[1,2,3]"), schema)), "$: must have at most 2 items");
  EXPECT_EQ(error_paths(json::parse(R"([1,"x"])"), schema), std::vector<std::string>{"$[1]"});
}

TEST(AiSchema, AnyOfOneOfAllOf) {
  auto any = json::parse(R"({"anyOf":[{"type":"string"},{"type":"integer","minimum":0}]})");
  EXPECT_TRUE(valid("\"x\"", any));
  EXPECT_TRUE(valid("4", any));
  auto errors = ai::validate(json::parse("-1"), any);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].message, "matches none of the anyOf schemas (closest: $: expected string, got integer)");
  auto one = json::parse(R"({"oneOf":[{"type":"integer"},{"type":"number"}]})");
  EXPECT_TRUE(valid("1.5", one));
  EXPECT_EQ(ai::validate(json::parse("1"), one)[0].message, "matches 2 of the oneOf schemas, expected exactly one");
  auto all = json::parse(R"({"allOf":[{"required":["a"]},{"required":["b"]}]})");
  EXPECT_TRUE(valid(R"({"a":1,"b":2})", all));
  EXPECT_EQ(error_paths(json::parse("{}"), all), (std::vector<std::string>{"$.a", "$.b"}));
}

TEST(AiSchema, RefsToDefsDefinitionsAndTheRoot) {
  auto tree = json::parse(R"({
    "$defs": {"score": {"type": "integer", "maximum": 100}},
    "definitions": {"label": {"type": "string"}},
    "type": "object",
    "properties": {"score": {"$ref": "#/$defs/score"}, "label": {"$ref": "#/definitions/label"},
                   "children": {"type": "array", "items": {"$ref": "#"}}}
  })");
  ASSERT_NO_THROW(ai::check_schema(tree));
  EXPECT_TRUE(valid(R"({"score":5,"children":[{"label":"a","children":[{"score":100}]}]})", tree));
  EXPECT_EQ(error_paths(json::parse(R"({"children":[{"children":[{"score":101}]},{"label":3}]})"), tree),
            (std::vector<std::string>{"$.children[0].children[0].score", "$.children[1].label"}));
}

TEST(AiSchema, CheckRejectsMalformedSchemasNamingThePlace) {
  auto problem = [](std::string_view schema) -> std::string {
    try {
      ai::check_schema(json::parse(schema));
    } catch (const core::Error& e) {
      EXPECT_EQ(e.kind(), core::ErrorKind::bad_request);
      return e.what();
    }
    return "accepted";
  };
  EXPECT_EQ(problem(R"({"properties":{"age":{"type":"int"}}})"),
            R"(invalid JSON Schema: #/properties/age/type: must be one of null, boolean, integer, number, string, array, object or a list of them, not "int")");
  EXPECT_EQ(problem(R"({"pattern":"(unclosed"})").substr(0, 56), "invalid JSON Schema: #/pattern: is not a valid regular e");
  EXPECT_EQ(problem(R"({"$ref":"#/$defs/missing"})"),
            R"(invalid JSON Schema: #/$ref: "#/$defs/missing" leads nowhere: only references inside this schema (#/$defs/name) are supported)");
  EXPECT_EQ(problem(R"({"$ref":"https://example.com/schema"})"),
            R"(invalid JSON Schema: #/$ref: "https://example.com/schema" leads nowhere: only references inside this schema (#/$defs/name) are supported)");
  EXPECT_EQ(problem(R"({"uniqueItems":true})"), R"(invalid JSON Schema: #/uniqueItems: unsupported keyword "uniqueItems")");
  EXPECT_EQ(problem(R"({"items":[{}]})").substr(0, 50), "invalid JSON Schema: #/items: must be one schema (");
  EXPECT_EQ(problem(R"({"exclusiveMinimum":true})"),
            "invalid JSON Schema: #/exclusiveMinimum: must be a number (the boolean form of draft 4 is not supported)");
  EXPECT_EQ(problem(R"({"minLength":-1,"required":"a"})"),
            "invalid JSON Schema: #/minLength: must be a non-negative integer (and 1 more)");
  EXPECT_EQ(problem(R"({"anyOf":[]})"), "invalid JSON Schema: #/anyOf: must be a non-empty array of schemas");
  EXPECT_EQ(problem("3"), "invalid JSON Schema: #: a schema must be an object or a boolean");
  EXPECT_EQ(problem(R"({"title":"t","description":"d","format":"email","default":1,"$schema":"x","type":"string"})"),
            "accepted");
}

TEST(AiSchema, ExtractsJsonFromAModelsText) {
  EXPECT_EQ(ai::extract_json("  {\"a\":1}\n"), json::value({{"a", 1}}));
  EXPECT_EQ(ai::extract_json("Here it is:\n```json\n{\"a\":2}\n```\nDone."), json::value({{"a", 2}}));
  EXPECT_EQ(ai::extract_json("```\n[1,2]\n```"), json::parse("[1,2]"));
  // The first balanced value, braces inside strings ignored; an unbalanced start skipped.
  EXPECT_EQ(ai::extract_json(R"(Sure {not json} then {"a":"}{","b":[1,{"c":3}]} and {"d":4})"),
            json::parse(R"({"a":"}{","b":[1,{"c":3}]})"));
  EXPECT_EQ(ai::extract_json("I cannot help with that."), std::nullopt);
  EXPECT_EQ(ai::extract_json("{\"a\": [1, 2}"), std::nullopt);
}

// --- the offline provider --------------------------------------------------------------------

const std::string kReport =
    "The new pricing page went live on Monday. Sign-ups from the pricing page doubled in the first week. "
    "The weather was mild. Most new sign-ups chose the team plan on the pricing page. "
    "Lunch was pizza. Support tickets about pricing fell by a third.";

TEST(AiOffline, SameRequestSameAnswerDrawnFromTheInput) {
  auto request = user_says(kReport);
  auto first = offline(request);
  auto second = offline(request);
  EXPECT_EQ(first.content, second.content);
  EXPECT_EQ(first.provider, "offline");
  EXPECT_EQ(first.model, "offline-1");
  EXPECT_EQ(first.finish_reason, "stop");
  // The best third of the six sentences, by their words' frequency, in their original order.
  EXPECT_EQ(first.content,
            "Sign-ups from the pricing page doubled in the first week. Most new sign-ups chose the team plan on the "
            "pricing page.");
}

TEST(AiOffline, SummaryIsBoundedByMaxTokens) {
  auto request = user_says(kReport);
  request.max_tokens = 5;  // about 20 characters: no whole sentence fits
  auto response = offline(request);
  EXPECT_EQ(response.finish_reason, "length");
  EXPECT_LE(response.content.size(), 20u);
  EXPECT_EQ(response.content, "Most new sign-ups");  // the best sentence, cut at a word
  EXPECT_EQ(offline(user_says("")).content, "There is no user message to answer.");
}

TEST(AiOffline, TokenCountsAreEstimatesOfFourCharactersEach) {
  auto response = offline(user_says("abcdefgh ijklm."));  // 15 characters in, 15 out
  EXPECT_EQ(response.usage.input_tokens, 4);
  EXPECT_EQ(response.usage.output_tokens, 4);
}

std::vector<ai::Tool> crm_tools() {
  return {
      {"send_email", "Send an email message to a contact",
       json::parse(R"({"type":"object","properties":{"to":{"type":"string"},"subject":{"type":"string"}},
                       "required":["to","subject"]})")},
      {"score_lead", "Score a sales lead from 0 to 100",
       json::parse(R"({"type":"object","properties":{"company":{"type":"string"},"employees":{"type":"integer"},
                       "tier":{"enum":["hot","warm","cold"]}},"required":["company"]})")},
      {"search_docs", "Search the product documentation",
       json::parse(R"({"type":"object","properties":{"query":{"type":"string"}},"required":["query"]})")},
  };
}

TEST(AiOffline, CallsTheToolWhoseWordsMatchWithArgumentsFromTheMessage) {
  auto request = user_says("Please score this lead.\ncompany: Acme Corp, employees: 1,200\n- tier: Hot");
  request.tools = crm_tools();
  auto response = offline(request);
  EXPECT_EQ(response.finish_reason, "tool_calls");
  EXPECT_EQ(response.content, "");
  ASSERT_EQ(response.tool_calls.size(), 1u);
  EXPECT_EQ(response.tool_calls[0].name, "score_lead");
  EXPECT_EQ(response.tool_calls[0].id, "call_offline_1");
  EXPECT_EQ(response.tool_calls[0].arguments, json::parse(R"({"company":"Acme Corp","employees":1200,"tier":"hot"})"));

  // From a JSON object in the message.
  request.messages.back().content = R"(Send an email: {"to":"ada@example.com","subject":"Hello"})";
  response = offline(request);
  ASSERT_EQ(response.tool_calls.size(), 1u);
  EXPECT_EQ(response.tool_calls[0].name, "send_email");
  EXPECT_EQ(response.tool_calls[0].arguments, json::parse(R"({"to":"ada@example.com","subject":"Hello"})"));

  // A single required string: the message itself.
  request.messages.back().content = "search the documentation for  SSO setup";
  response = offline(request);
  ASSERT_EQ(response.tool_calls.size(), 1u);
  EXPECT_EQ(response.tool_calls[0].name, "search_docs");
  EXPECT_EQ(response.tool_calls[0].arguments, json::parse(R"({"query":"search the documentation for SSO setup"})"));
}

TEST(AiOffline, WordsInAToolsNameCountTwice) {
  auto number = json::parse(R"({"type":"object","properties":{"number":{"type":"integer"}},"required":["number"]})");
  auto request = user_says("customer invoice number: 42");
  request.tools = {{"lookup", "Find a customer invoice record by number", number},  // 3 words in common
                   {"invoice_customer", "Bill a customer", number}};                  // 2 in its name: 4
  auto response = offline(request);
  ASSERT_EQ(response.tool_calls.size(), 1u);
  EXPECT_EQ(response.tool_calls[0].name, "invoice_customer");
  EXPECT_EQ(response.tool_calls[0].arguments, json::parse(R"({"number":42})"));
}

TEST(AiOffline, AnswersPlainlyWhenNoToolFits) {
  // The words match send_email, but its required arguments are not in the message.
  auto request = user_says("Send an email to the team about the launch.");
  request.tools = crm_tools();
  auto response = offline(request);
  EXPECT_EQ(response.finish_reason, "stop");
  EXPECT_TRUE(response.tool_calls.empty());
  EXPECT_EQ(response.content, "Send an email to the team about the launch.");
  request.messages.back().content = "What a lovely day.";
  EXPECT_TRUE(offline(request).tool_calls.empty());
}

TEST(AiOffline, RendersToolResults) {
  auto request = user_says("Score Acme.");
  ai::Message asked{ai::Role::assistant, ""};
  asked.tool_calls.push_back({"call_1", "score_lead", json::parse(R"({"company":"Acme"})")});
  request.messages.push_back(asked);
  ai::Message result{ai::Role::tool, R"({"score":87.5,"tier":"hot","signals":["funding","hiring"],
                                         "contact":{"name":"Ada","email":"ada@example.com"},"history":[{"year":2024}]})"};
  result.tool_call_id = "call_1";
  request.messages.push_back(result);
  ai::Message note{ai::Role::tool, "  Email queued\n for delivery. "};
  note.name = "send_email";
  request.messages.push_back(note);
  auto response = offline(request);
  EXPECT_EQ(response.finish_reason, "stop");
  EXPECT_EQ(response.content,
            "Result of score_lead:\n- score: 87.5\n- tier: hot\n- signals: funding, hiring\n- contact.name: Ada\n"
            "- contact.email: ada@example.com\n- history[0].year: 2024\n\nResult of send_email: Email queued for delivery.");
  request.max_tokens = 10;  // about 40 characters: whole lines only
  response = offline(request);
  EXPECT_EQ(response.finish_reason, "length");
  EXPECT_EQ(response.content, "Result of score_lead:\n- score: 87.5");
}

TEST(AiOffline, StructuredOutputIsBuiltFromTheConversationAndValidates) {
  auto schema = json::parse(R"({
    "$defs": {"tier": {"enum": ["hot", "warm", "cold"]}},
    "type": "object",
    "properties": {
      "company": {"type": "string"},
      "employees": {"type": "integer"},
      "tier": {"$ref": "#/$defs/tier"},
      "summary": {"type": "string", "maxLength": 60},
      "score": {"type": "number", "minimum": 1, "maximum": 100},
      "qualified": {"type": "boolean"},
      "competitor": {"type": ["string", "null"]},
      "website": {"type": "string"},
      "contact": {"type": "object", "properties": {"name": {"type": "string"}, "email": {"type": "string"}},
                  "required": ["name"]}
    },
    "required": ["company", "tier", "summary", "score", "qualified", "competitor", "contact"],
    "additionalProperties": false
  })");
  auto request = user_says(
      "Acme Corp is a warm lead: they asked for a demo and the demo went well.\n"
      "Company: Acme Corp\nEmployees = 250\n"
      R"(Their contact: {"contact": {"name": "Ada Lovelace", "email": "ada@acme.example"}})");
  request.json_schema = schema;
  auto response = offline(request);
  auto value = json::parse(response.content);
  EXPECT_EQ(ai::validate(value, schema).size(), 0u) << response.content;
  EXPECT_EQ(value, json::parse(R"({
    "company": "Acme Corp", "employees": 250, "tier": "warm",
    "summary": "Acme Corp is a warm lead: they asked for a demo and the demo", "score": 1,
    "qualified": false, "competitor": null,
    "contact": {"name": "Ada Lovelace", "email": "ada@acme.example"}})"))
      << response.content;  // website: optional and not in the input, so left out
  EXPECT_EQ(offline(request).content, response.content);
}

TEST(AiOffline, LaterMessagesOverrideEarlierValues) {
  auto request = user_says("employees: 10\ncompany: Acme");
  request.messages.push_back({ai::Role::assistant, "Noted."});
  request.messages.push_back({ai::Role::user, R"(Correction: {"employees": 12})"});
  request.json_schema = json::parse(R"({"type":"object","properties":{"company":{"type":"string"},
                                        "employees":{"type":"integer"}}})");
  EXPECT_EQ(json::parse(offline(request).content), json::parse(R"({"company":"Acme","employees":12})"));
}

// Long lines and many unbalanced brackets: no matcher that recurses per character (a stack
// overflow), no scan from every bracket to the end (quadratic work).
TEST(AiOffline, LongOddInputIsHandledInBoundedWork) {
  std::string odd(100'000, ' ');
  for (std::size_t i = 0; i < odd.size(); i += 2) odd[i] = '{';
  auto request = user_says(std::string(100'000, ' ') + "company: Acme\n" + odd);
  request.json_schema = json::parse(R"({"type":"object","properties":{"company":{"type":"string"}}})");
  request.tools = crm_tools();
  EXPECT_EQ(json::parse(offline(request).content), json::parse(R"({"company":"Acme"})"));
  EXPECT_EQ(ai::extract_json(odd + R"({"late":true})"), std::nullopt);  // past the first 64 brackets
  auto long_text = json::string(std::string(1'000'000, 'a'));
  auto errors = ai::validate(long_text, json::parse(R"({"pattern":"^([a-z]+ ?)+$"})"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].message,  // an error, not a crash
            "could not be matched against the pattern ^([a-z]+ ?)+$: Ran out of stack space trying to match the "
            "regular expression.");
}

TEST(AiOffline, StreamedPiecesMakeTheContent) {
  auto request = user_says(kReport);
  std::vector<std::string> pieces;
  request.on_token = [&](std::string_view piece) { pieces.emplace_back(piece); };
  auto response = offline(request);
  ASSERT_GT(pieces.size(), 10u);
  EXPECT_EQ(pieces[0], "Sign-ups ");
  std::string joined;
  for (const auto& piece : pieces) joined += piece;
  EXPECT_EQ(joined, response.content);
}

// --- prices ------------------------------------------------------------------------------------

TEST(AiPrices, ExactNameThenLongestDatedPrefix) {
  ai::PriceTable prices;
  EXPECT_DOUBLE_EQ(prices.find("gpt-4o")->input_usd_per_mtok, 2.5);
  EXPECT_DOUBLE_EQ(prices.find("gpt-4o-mini-2024-07-18")->input_usd_per_mtok, 0.15);  // not gpt-4o's
  EXPECT_DOUBLE_EQ(prices.find("claude-3-5-haiku-latest")->output_usd_per_mtok, 4);
  EXPECT_FALSE(prices.find("gpt-4oo"));  // a prefix counts only where a '-' follows it
  EXPECT_FALSE(prices.find("llama3.1:8b"));
  EXPECT_DOUBLE_EQ(*prices.cost("offline-1", {1000, 1000}), 0);
  EXPECT_DOUBLE_EQ(*prices.cost("gpt-4o-mini", {1'000'000, 2'000'000}), 0.15 + 1.20);
  EXPECT_FALSE(prices.cost("my-local-model", {10, 10}));
}

TEST(AiPrices, ConfigurationAddsAndOverridesAndNamesABadLine) {
  ai::PriceTable prices;
  prices.load("# local models\nllama3 0 0\n\ngpt-4o 2 8   # negotiated\n", "prices.txt");
  EXPECT_DOUBLE_EQ(prices.find("llama3")->output_usd_per_mtok, 0);
  EXPECT_DOUBLE_EQ(prices.find("gpt-4o-2024-08-06")->input_usd_per_mtok, 2);
  try {
    prices.load("mistral 1 2\ngpt-4o two 8\n", "prices.txt");
    FAIL() << "accepted a bad line";
  } catch (const core::Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "prices.txt line 2: expected `model input_usd_per_mtok output_usd_per_mtok` with two non-negative "
              "numbers, got \"gpt-4o two 8\"");
  }
  EXPECT_FALSE(prices.find("mistral"));  // nothing of a rejected text is kept
  EXPECT_THROW(prices.load("m 1 -2", "x"), core::Error);
  EXPECT_THROW(prices.load("m 1", "x"), core::Error);
}

// --- the service -------------------------------------------------------------------------------

TEST(AiService, FallsBackToTheNextProviderAndSkipsUnconfiguredOnes) {
  auto anthropic = std::make_shared<ScriptedProvider>("anthropic", std::vector{answers("unused")}, false);
  auto openai = std::make_shared<ScriptedProvider>("openai", std::vector{fails(401, false)});
  auto local = std::make_shared<ScriptedProvider>("offline", std::vector{answers("from the last one")});
  ai::AiService service({anthropic, openai, local}, quick({"anthropic", "openai", "offline"}));
  auto response = run(service.chat(user_says("hi")));
  EXPECT_EQ(response.content, "from the last one");
  EXPECT_EQ(response.attempts, 2);
  EXPECT_EQ(anthropic->requests.size(), 0u);
  ASSERT_EQ(openai->requests.size(), 1u);  // 401 is not retryable
  EXPECT_EQ(openai->requests[0].model, "openai-default");
  EXPECT_EQ(openai->requests[0].timeout, 60000ms);

  // A preferred provider goes first, with the model asked for.
  ai::CallOptions options;
  options.provider = "offline";
  options.model = "special";
  options.timeout = 5s;
  run(service.chat(user_says("hi"), options));
  EXPECT_EQ(openai->requests.size(), 1u);
  ASSERT_EQ(local->requests.size(), 2u);
  EXPECT_EQ(local->requests.back().model, "special");
  EXPECT_EQ(local->requests.back().timeout, 5000ms);
}

TEST(AiService, NoProviderAnsweringIsUnavailableWithEachReason) {
  auto anthropic = std::make_shared<ScriptedProvider>("anthropic", std::vector{answers("")}, false);
  auto openai = std::make_shared<ScriptedProvider>("openai", std::vector{fails(400, false)});
  ai::AiService service({anthropic, openai}, quick({"anthropic", "openai"}));
  try {
    run(service.chat(user_says("hi")));
    FAIL() << "answered";
  } catch (const core::Error& e) {
    EXPECT_EQ(e.kind(), core::ErrorKind::unavailable);
    EXPECT_EQ(std::string(e.what()), "no AI provider answered: anthropic: not configured; openai: HTTP 400");
  }
}

TEST(AiService, RetriesHonourRetryAfter) {
  auto openai = std::make_shared<ScriptedProvider>("openai", std::vector{fails(429, true, 60ms), answers("ok")});
  ai::AiService service({openai}, quick({"openai"}));
  auto started = std::chrono::steady_clock::now();
  auto response = run(service.chat(user_says("hi")));
  EXPECT_GE(std::chrono::steady_clock::now() - started, 60ms);
  EXPECT_EQ(response.content, "ok");
  EXPECT_EQ(response.attempts, 2);
  EXPECT_GE(response.latency_ms, 60);
}

TEST(AiService, RetriesUpToMaxAttemptsThenFallsBack) {
  auto openai = std::make_shared<ScriptedProvider>("openai", std::vector{fails(503, true)});
  auto local = std::make_shared<ScriptedProvider>("offline", std::vector{answers("fallback")});
  auto options = quick({"openai", "offline"});
  options.max_attempts = 2;
  ai::AiService service({openai, local}, options);
  auto response = run(service.chat(user_says("hi")));
  EXPECT_EQ(openai->requests.size(), 2u);
  EXPECT_EQ(response.content, "fallback");
  EXPECT_EQ(response.attempts, 3);
}

TEST(AiService, ARetryAfterLongerThanAllowedMovesOnAtOnce) {
  auto openai = std::make_shared<ScriptedProvider>("openai", std::vector{fails(429, true, 10s)});
  auto local = std::make_shared<ScriptedProvider>("offline", std::vector{answers("fallback")});
  ai::AiService service({openai, local}, quick({"openai", "offline"}));
  auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(run(service.chat(user_says("hi"))).content, "fallback");
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
  EXPECT_EQ(openai->requests.size(), 1u);
}

TEST(AiService, CircuitOpensAfterRepeatedFailuresThenLetsOneTrialThrough) {
  auto openai = std::make_shared<ScriptedProvider>(
      "openai", std::vector{fails(500, false), fails(500, false), fails(500, false), fails(500, false), answers("back")});
  auto local = std::make_shared<ScriptedProvider>("offline", std::vector{answers("fallback")});
  ai::AiService service({openai, local}, quick({"openai", "offline"}));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(run(service.chat(user_says("hi"))).content, "fallback");
  auto status = status_of(service.providers(), "openai");
  EXPECT_EQ(status.circuit, ai::CircuitState::open);
  EXPECT_EQ(status.consecutive_failures, 3);
  EXPECT_EQ(status.last_error, "HTTP 500");
  EXPECT_GT(status.open_until_ms, status.last_error_at_ms);
  EXPECT_EQ(status_of(service.providers(), "offline").circuit, ai::CircuitState::closed);

  run(service.chat(user_says("hi")));  // open: openai is not asked
  EXPECT_EQ(openai->requests.size(), 3u);

  std::this_thread::sleep_for(310ms);  // the cooldown: half-open, one trial, which fails
  EXPECT_EQ(status_of(service.providers(), "openai").circuit, ai::CircuitState::half_open);
  run(service.chat(user_says("hi")));
  EXPECT_EQ(openai->requests.size(), 4u);
  EXPECT_EQ(status_of(service.providers(), "openai").circuit, ai::CircuitState::open);

  std::this_thread::sleep_for(310ms);  // the next trial succeeds and closes the circuit
  EXPECT_EQ(run(service.chat(user_says("hi"))).content, "back");
  status = status_of(service.providers(), "openai");
  EXPECT_EQ(status.circuit, ai::CircuitState::closed);
  EXPECT_EQ(status.consecutive_failures, 0);
}

TEST(AiService, AHalfOpenCircuitLetsOnlyOneTrialThrough) {
  auto openai = std::make_shared<ScriptedProvider>(
      "openai", std::vector{fails(500, false), fails(500, false), fails(500, false), answers("back")}, true, 20ms);
  auto local = std::make_shared<ScriptedProvider>("offline", std::vector{answers("fallback")});
  ai::AiService service({openai, local}, quick({"openai", "offline"}));
  for (int i = 0; i < 3; ++i) run(service.chat(user_says("hi")));
  std::this_thread::sleep_for(310ms);
  boost::asio::io_context io;  // two calls at once: the second finds the trial in flight
  auto first = boost::asio::co_spawn(io, service.chat(user_says("hi")), boost::asio::use_future);
  auto second = boost::asio::co_spawn(io, service.chat(user_says("hi")), boost::asio::use_future);
  io.run();
  EXPECT_EQ(first.get().content, "back");
  EXPECT_EQ(second.get().content, "fallback");
  EXPECT_EQ(openai->requests.size(), 4u);
}

const json::value kScoreSchema = json::parse(
    R"({"type":"object","properties":{"score":{"type":"integer","minimum":0}},"required":["score"]})");

TEST(AiService, OneRepairRoundFixesInvalidJson) {
  auto openai = std::make_shared<ScriptedProvider>(
      "openai", std::vector{answers("Here: {\"score\": -3}"), answers("```json\n{\"score\": 7}\n```")});
  ai::AiService service({openai}, quick({"openai"}));
  auto request = user_says("Score it.");
  request.json_schema = kScoreSchema;
  auto response = run(service.chat(request));
  EXPECT_EQ(response.json, json::value({{"score", 7}}));
  EXPECT_EQ(response.attempts, 2);
  EXPECT_EQ(response.usage.input_tokens, 200);
  ASSERT_EQ(openai->requests.size(), 2u);
  const auto& repair = openai->requests[1].messages;
  ASSERT_EQ(repair.size(), 3u);
  EXPECT_EQ(repair[1].role, ai::Role::assistant);
  EXPECT_EQ(repair[1].content, "Here: {\"score\": -3}");
  EXPECT_EQ(repair[2].content,
            "Your answer is not valid JSON for the required schema:\n- $.score: must be >= 0\n"
            "Answer again with the corrected JSON only, and no other text.");
}

TEST(AiService, ASecondInvalidAnswerIsABadGatewayError) {
  auto openai = std::make_shared<ScriptedProvider>("openai", std::vector{answers("no idea"), answers("{\"score\":\"high\"}")});
  auto local = std::make_shared<ScriptedProvider>("offline", std::vector{answers("{\"score\":1}")});
  ai::AiService service({openai, local}, quick({"openai", "offline"}));
  auto request = user_says("Score it.");
  request.json_schema = kScoreSchema;
  try {
    run(service.chat(request));
    FAIL() << "answered";
  } catch (const core::Error& e) {
    EXPECT_EQ(e.kind(), core::ErrorKind::bad_gateway);
    EXPECT_EQ(std::string(e.what()),
              "openai (openai-default) answered JSON that does not match the schema, even when asked again: "
              "$.score: expected integer, got string");
  }
  EXPECT_EQ(openai->requests.size(), 2u);
  EXPECT_EQ(openai->requests[1].messages.back().content,
            "Your answer is not valid JSON for the required schema:\n- $: the answer holds no JSON\n"
            "Answer again with the corrected JSON only, and no other text.");
  EXPECT_EQ(local->requests.size(), 0u);  // a wrong answer is not a failed provider
}

TEST(AiService, CostComesFromThePriceTable) {
  auto openai = std::make_shared<ScriptedProvider>("openai", std::vector{answers("ok", {1'000'000, 500'000})});
  ai::PriceTable prices;
  prices.set("openai-default", {2, 10});
  ai::AiService service({openai}, quick({"openai"}), prices);
  auto response = run(service.chat(user_says("hi")));
  EXPECT_DOUBLE_EQ(response.cost_usd, 2 + 5);
  auto counters = service.usage();
  ASSERT_EQ(counters.size(), 1u);
  EXPECT_EQ(counters[0].provider, "openai");
  EXPECT_EQ(counters[0].model, "openai-default");
  EXPECT_EQ(counters[0].requests, 1);
  EXPECT_EQ(counters[0].input_tokens, 1'000'000);
  EXPECT_EQ(counters[0].output_tokens, 500'000);
  EXPECT_DOUBLE_EQ(counters[0].cost_usd, 7);

  // An unknown model costs 0 (and is warned about once in the log).
  ai::AiService unpriced({openai}, quick({"openai"}));
  EXPECT_DOUBLE_EQ(run(unpriced.chat(user_says("hi"))).cost_usd, 0);
}

TEST(AiService, TheUsageHookIsCalledOncePerCallWithItsLabels) {
  auto openai = std::make_shared<ScriptedProvider>("openai", std::vector{fails(503, true), answers("ok", {10, 5}), fails(400, false)});
  ai::PriceTable prices;
  prices.set("gpt-test", {1'000'000, 1'000'000});  // a dollar a token, to see it
  ai::AiService service({openai}, quick({"openai"}), prices);
  std::vector<ai::CallRecord> records;
  service.on_call([&](const ai::CallRecord& record) { records.push_back(record); });
  ai::CallOptions options;
  options.provider = "openai";
  options.model = "gpt-test";
  options.labels = {"agent-1", "workflow-2", "lead-summary", 3};
  run(service.chat(user_says("hi"), options));
  ASSERT_EQ(records.size(), 1u);
  const auto& record = records[0];
  EXPECT_TRUE(record.ok);
  EXPECT_EQ(record.provider, "openai");
  EXPECT_EQ(record.model, "gpt-test");
  EXPECT_EQ(record.usage.input_tokens, 10);
  EXPECT_EQ(record.usage.output_tokens, 5);
  EXPECT_DOUBLE_EQ(record.cost_usd, 15);
  EXPECT_EQ(record.attempts, 2);
  EXPECT_GT(record.latency_ms, 0);
  EXPECT_EQ(record.error, "");
  EXPECT_EQ(record.labels.agent_id, "agent-1");
  EXPECT_EQ(record.labels.workflow_id, "workflow-2");
  EXPECT_EQ(record.labels.prompt_name, "lead-summary");
  EXPECT_EQ(record.labels.prompt_version, 3);

  EXPECT_THROW(run(service.chat(user_says("hi"), options)), core::Error);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_FALSE(records[1].ok);
  EXPECT_EQ(records[1].error, "no AI provider answered: openai: HTTP 400");
  EXPECT_EQ(records[1].attempts, 1);
  EXPECT_EQ(records[1].labels.prompt_name, "lead-summary");

  auto counters = service.usage();
  ASSERT_EQ(counters.size(), 1u);
  EXPECT_EQ(counters[0].requests, 3);
  EXPECT_EQ(counters[0].errors, 2);
}

TEST(AiService, RejectsWhatCannotBeAsked) {
  auto local = std::make_shared<ai::OfflineProvider>();
  ai::AiService service({local}, quick({"offline"}));
  auto kind_of = [&](ai::ChatRequest request, ai::CallOptions options) {
    try {
      run(service.chat(std::move(request), std::move(options)));
    } catch (const core::Error& e) {
      return std::string(core::slug(e.kind())) + ": " + e.what();
    }
    return std::string("answered");
  };
  EXPECT_EQ(kind_of(user_says("hi"), {.provider = "gemini"}), R"(bad-request: unknown AI provider "gemini")");
  EXPECT_EQ(kind_of(user_says("hi"), {.model = "x"}), R"(bad-request: the model "x" needs its provider named too)");
  auto bad_schema = user_says("hi");
  bad_schema.json_schema = json::parse(R"({"type":"text"})");
  EXPECT_EQ(kind_of(bad_schema, {}).substr(0, 51), "bad-request: invalid JSON Schema: #/type: must be o");
  auto bad_tool = user_says("hi");
  bad_tool.tools.push_back({"t", "", json::parse(R"({"nullable":true})")});
  EXPECT_EQ(kind_of(bad_tool, {}), R"(bad-request: tool "t": invalid JSON Schema: #/nullable: unsupported keyword "nullable")");
  EXPECT_THROW(ai::AiService({local}, quick({"offline", "openai"})), core::Error);
}

TEST(AiService, OfflineAloneAnswersStructuredOutputThatValidates) {
  ai::AiService service({std::make_shared<ai::OfflineProvider>()}, quick({"offline"}));
  auto request = user_says("score: 42");
  request.json_schema = kScoreSchema;
  auto response = run(service.chat(request));
  EXPECT_EQ(response.json, json::value({{"score", 42}}));
  EXPECT_EQ(response.provider, "offline");
  EXPECT_EQ(response.cost_usd, 0);
  EXPECT_EQ(response.attempts, 1);
}

TEST(AiConfig, ProvidersModelsAndLimits) {
  auto config = core::load_config(std::nullopt, {});
  EXPECT_EQ(config.ai_providers, (std::vector<std::string>{"anthropic", "openai", "offline"}));
  EXPECT_EQ(config.openai_base_url, "https://api.openai.com/v1");
  EXPECT_EQ(config.openai_model, "gpt-4o-mini");
  EXPECT_EQ(config.anthropic_base_url, "https://api.anthropic.com");
  EXPECT_EQ(config.anthropic_model, "claude-3-5-haiku-latest");
  config = core::load_config(std::nullopt, {{"DE_AI_PROVIDERS", " openai , offline"},
                                            {"DE_AI_TIMEOUT", "5"},
                                            {"DE_AI_MAX_ATTEMPTS", "2"},
                                            {"DE_AI_PRICES", "prices.txt"}});
  auto options = ai::service_options(config);
  EXPECT_EQ(options.fallback_order, (std::vector<std::string>{"openai", "offline"}));
  EXPECT_EQ(options.timeout, 5000ms);
  EXPECT_EQ(options.max_attempts, 2);
  EXPECT_EQ(config.ai_prices_file, "prices.txt");
  for (auto bad : {"openai,openai", "gemini", "openai,,offline", ""})
    EXPECT_THROW(core::load_config(std::nullopt, {{"DE_AI_PROVIDERS", bad}}), core::Error) << bad;
  EXPECT_THROW(core::load_config(std::nullopt, {{"DE_AI_MAX_ATTEMPTS", "0"}}), core::Error);
}

// ---- budgets (docs/ai.md, "Budgets") ----------------------------------------------------------
namespace {
struct SpentFigures {
  std::int64_t requests = 0, tokens = 0;
  double cost_usd = 0;
};
}  // namespace

TEST(AiBudget, ConcurrentCallsHoldAPlaceUntilTheCallEnds) {
  ai::Budget budget;
  budget.concurrent_calls = 1;
  ai::CallGate gate;
  auto none = [](std::int64_t) { return SpentFigures{}; };
  auto first = ai::admit(budget, none, gate, "agent:a");
  ASSERT_TRUE(std::holds_alternative<ai::CallGate::Place>(first));
  EXPECT_EQ(gate.in_flight("agent:a"), 1);
  auto second = ai::admit(budget, none, gate, "agent:a");
  ASSERT_TRUE(std::holds_alternative<ai::BudgetReached>(second));
  EXPECT_EQ(std::get<ai::BudgetReached>(second).message(),
            "budget exceeded: concurrent_calls is 1, used 1; the model was not called");
  EXPECT_TRUE(std::holds_alternative<ai::CallGate::Place>(ai::admit(budget, none, gate, "agent:b")))
      << "another agent has a place of its own";
  first = ai::BudgetReached{};  // the first call ends: its place is given back
  EXPECT_EQ(gate.in_flight("agent:a"), 0);
  EXPECT_TRUE(std::holds_alternative<ai::CallGate::Place>(ai::admit(budget, none, gate, "agent:a")));
}

TEST(AiBudget, DailyAndPerMinuteLimitsAreCheckedOnTheirOwnWindows) {
  ai::Budget budget;
  budget.tokens_per_day = 1000;
  budget.usd_per_day = 2.5;
  budget.requests_per_minute = 3;
  ai::CallGate gate;
  std::vector<std::int64_t> asked;
  auto spent = [&](SpentFigures today, SpentFigures minute) {
    // The day's figures are asked for first, then the minute's (told apart by the order: in
    // the first minute after midnight UTC the day began within the last minute too).
    return [&asked, today, minute, calls = 0](std::int64_t since) mutable {
      asked.push_back(since);
      return calls++ == 0 ? today : minute;
    };
  };
  EXPECT_TRUE(std::holds_alternative<ai::CallGate::Place>(ai::admit(budget, spent({2, 999, 2.4}, {2, 10, 0.1}), gate, "k")));
  ASSERT_EQ(asked.size(), 2u);
  EXPECT_EQ(asked[0] % 86400000, 0) << "the day starts at midnight UTC";
  auto tokens = ai::admit(budget, spent({2, 1000, 0}, {0, 0, 0}), gate, "k");
  EXPECT_EQ(std::get<ai::BudgetReached>(tokens).budget, "tokens_per_day");
  auto cost = ai::admit(budget, spent({2, 10, 2.5}, {0, 0, 0}), gate, "k");
  EXPECT_EQ(std::get<ai::BudgetReached>(cost).to_json(), (json::object{{"budget", "usd_per_day"}, {"limit", 2.5}, {"used", 2.5}}));
  auto requests = ai::admit(budget, spent({3, 10, 0}, {3, 10, 0}), gate, "k");
  EXPECT_EQ(std::get<ai::BudgetReached>(requests).budget, "requests_per_minute");
}

TEST(AiBudget, BadFieldsAreNamed) {
  json::object config{{"budget", {{"tokens_per_day", 0}, {"usd_per_day", -1}, {"concurrent_calls", "two"}}}};
  core::ObjectReader r(config, "config");
  ai::read_budget(r, "budget");
  std::vector<std::string> fields;
  for (const auto& e : r.errors()) fields.push_back(e.field);
  EXPECT_EQ(fields, (std::vector<std::string>{"config.budget.tokens_per_day", "config.budget.concurrent_calls",
                                              "config.budget.usd_per_day"}));
}
