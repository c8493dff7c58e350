// The network providers against the stand-in vendor server (tests/support/standins/llm_standin.py),
// which checks every request against the vendors' contracts: a request they reject fails the test.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <memory>

#include "ai/anthropic.hpp"
#include "ai/http_client.hpp"
#include "ai/openai.hpp"
#include "ai/sse.hpp"
#include "ai/vendor.hpp"
#include "core/ids.hpp"
#include "standin_process.hpp"

using namespace de;
namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

// Letters no request id or JSON of the stand-in's would hold by chance, to look for in messages.
constexpr std::string_view test_key = "sk-test-secret-KEY-wxyz";

// Runs `work` on an io_context of its own, on this thread, to its end.
template <class T>
T run(asio::awaitable<T> work) {
  asio::io_context io;
  auto result = asio::co_spawn(io, std::move(work), asio::use_future);
  io.run();
  return result.get();
}

asio::awaitable<ai::HttpAnswer> get(std::string url, std::size_t answer_limit = ai::default_answer_limit) {
  co_return co_await ai::request(co_await asio::this_coro::executor, "GET", std::move(url), {}, "", 5s, {},
                                 answer_limit);
}

// The LLM vendors' stand-in server, a child process for as long as this lives.
class StandIn : public de::testing::StandInProcess {
 public:
  explicit StandIn(const std::vector<std::string>& options = {}, const std::string& scheme = "http",
                   const std::string& host = "127.0.0.1")
      : StandInProcess(DE_SOURCE_DIR "/tests/support/standins/llm_standin.py", options, scheme, host) {}

  json::object stats() const {
    auto answer = run(get(base_url() + "/__stats"));
    return json::parse(answer.body).as_object();
  }
};

// Without the vendor contracts the stand-ins cannot check anything: CI (which sets
// DE_TEST_REQUIRE_POSTGRES=1 and has everything) fails, a developer's machine skips.
#define SKIP_OR_FAIL_WITHOUT(stand_in)                                                              \
  if (!(stand_in).problem().empty()) {                                                             \
    if ((stand_in).problem().starts_with("no-contracts") && !std::getenv("DE_TEST_REQUIRE_POSTGRES")) \
      GTEST_SKIP() << (stand_in).problem();                                                        \
    FAIL() << (stand_in).problem();                                                                \
  }

// What the stand-in has held against the contract so far: requests it rejected, answers of
// its own that broke it. A test looks at what its own requests added.
struct ContractBreaches {
  std::size_t rejections = 0;
  std::size_t invalid_answers = 0;
};

ContractBreaches breaches_so_far(const StandIn& stand_in) {
  auto stats = stand_in.stats();
  return {stats.at("rejections").as_array().size(), stats.at("invalid_answers").as_array().size()};
}

void expect_no_new_breaches(const StandIn& stand_in, const ContractBreaches& before) {
  auto stats = stand_in.stats();
  auto added = [&stats](std::string_view kind, std::size_t before) {
    const auto& all = stats.at(kind).as_array();
    return json::array(all.begin() + static_cast<std::ptrdiff_t>(before), all.end());
  };
  auto rejections = added("rejections", before.rejections);
  auto invalid_answers = added("invalid_answers", before.invalid_answers);
  EXPECT_TRUE(rejections.empty()) << "requests the vendor contract rejects: " << json::serialize(rejections);
  EXPECT_TRUE(invalid_answers.empty()) << "the stand-in's own answers break the contract: "
                                       << json::serialize(invalid_answers);
}

ai::Tool weather_tool() {
  return {"get_weather", "The weather in a city",
          json::parse(R"({"type":"object","properties":{"city":{"type":"string"}},"required":["city"]})")};
}

ai::ChatRequest ask(std::string model) {
  ai::ChatRequest request;
  request.model = std::move(model);
  request.messages = {{ai::Role::system, "Answer in one sentence."},
                      {ai::Role::user, "What is the weather in Paris?"}};
  request.max_tokens = 100;
  request.timeout = 10s;
  return request;
}

struct Tokens {
  std::vector<std::string> pieces;
  std::vector<Clock::time_point> times;

  void stream(ai::ChatRequest& request) {
    request.on_token = [this](std::string_view piece) {
      pieces.emplace_back(piece);
      times.push_back(Clock::now());
    };
  }
  std::string joined() const {
    std::string all;
    for (const auto& piece : pieces) all += piece;
    return all;
  }
};

// Each test runs for both vendors, against one stand-in for the suite.
class AiProviderVendor : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() { stand_in_ = new StandIn(); }
  static void TearDownTestSuite() {
    delete stand_in_;
    stand_in_ = nullptr;
  }
  void SetUp() override {
    SKIP_OR_FAIL_WITHOUT(*stand_in_);
    breaches_ = breaches_so_far(*stand_in_);
  }
  void TearDown() override {
    if (stand_in_->problem().empty()) expect_no_new_breaches(*stand_in_, breaches_);
  }

  std::unique_ptr<ai::Provider> provider(std::string_view api_key = test_key) const {
    if (GetParam() == "openai")
      return std::make_unique<ai::OpenAiProvider>(
          ai::OpenAiConfig{stand_in_->base_url() + "/v1", std::string(api_key), "standin"});
    return std::make_unique<ai::AnthropicProvider>(
        ai::AnthropicConfig{stand_in_->base_url(), std::string(api_key), "standin"});
  }

  ai::ProviderError chat_error(const ai::ChatRequest& request) const {
    try {
      run(provider()->chat(request));
    } catch (const ai::ProviderError& error) {
      return error;
    }
    ADD_FAILURE() << "the call succeeded";
    return ai::ProviderError(core::ErrorKind::internal, "", 0, false);
  }

  static StandIn* stand_in_;
  ContractBreaches breaches_;
};

StandIn* AiProviderVendor::stand_in_ = nullptr;

}  // namespace

TEST_P(AiProviderVendor, AnswersPlainly) {
  auto request = ask("");
  auto response = run(provider()->chat(request));
  EXPECT_EQ(response.provider, GetParam());
  EXPECT_EQ(response.model, "standin") << "the configured default model";
  EXPECT_EQ(response.content, "Hello from the stand-in.");
  EXPECT_EQ(response.finish_reason, "stop");
  EXPECT_TRUE(response.tool_calls.empty());
  EXPECT_EQ(response.usage.input_tokens, 21);
  EXPECT_EQ(response.usage.output_tokens, 7);
}

TEST_P(AiProviderVendor, StreamsTokensAsTheyArrive) {
  auto request = ask("standin");
  Tokens tokens;
  tokens.stream(request);
  auto response = run(provider()->chat(request));
  EXPECT_EQ(response.content, "Hello from the stand-in.");
  EXPECT_EQ(tokens.joined(), response.content);
  ASSERT_EQ(tokens.pieces.size(), 6u) << "one token per delta event";
  // The stand-in sends an event every 20 ms: tokens that came as the events did are spread out.
  EXPECT_GE(tokens.times.back() - tokens.times.front(), 60ms);
  EXPECT_EQ(response.finish_reason, "stop");
  EXPECT_EQ(response.usage.input_tokens, 21);
  EXPECT_EQ(response.usage.output_tokens, 7);
}

TEST_P(AiProviderVendor, CallsToolsPlainAndStreamed) {
  for (bool streamed : {false, true}) {
    SCOPED_TRACE(streamed ? "streamed" : "plain");
    auto request = ask("tool-call");
    request.tools = {weather_tool()};
    Tokens tokens;
    if (streamed) tokens.stream(request);
    auto response = run(provider()->chat(request));
    EXPECT_EQ(response.finish_reason, "tool_calls");
    ASSERT_EQ(response.tool_calls.size(), 1u);
    EXPECT_FALSE(response.tool_calls[0].id.empty());
    EXPECT_EQ(response.tool_calls[0].name, "get_weather");
    EXPECT_EQ(response.tool_calls[0].arguments, json::parse(R"({"city":"stand-in"})"));
    EXPECT_EQ(response.usage.output_tokens, 7);
  }
}

TEST_P(AiProviderVendor, SendsToolCallsAndResultsBackInTheVendorsForm) {
  auto request = ask("standin");
  request.tools = {weather_tool()};
  ai::Message asked{ai::Role::assistant, "Let me look both up."};
  asked.tool_calls = {{"call_1", "get_weather", json::parse(R"({"city":"Paris"})")},
                      {"call_2", "get_weather", json::parse(R"({"city":"Lyon"})")}};
  request.messages.push_back(asked);
  request.messages.push_back({ai::Role::tool, R"({"celsius":21})", {}, "call_1", "get_weather"});
  request.messages.push_back({ai::Role::tool, R"({"celsius":24})", {}, "call_2", "get_weather"});
  ai::Message only_calls{ai::Role::assistant, ""};
  only_calls.tool_calls = {{"call_3", "get_weather", json::object()}};
  request.messages.push_back(only_calls);
  request.messages.push_back({ai::Role::tool, "unknown city", {}, "call_3", "get_weather"});
  request.messages.push_back({ai::Role::user, "And tomorrow?"});
  request.temperature = 0.5;
  EXPECT_EQ(run(provider()->chat(request)).content, "Hello from the stand-in.");
}

TEST_P(AiProviderVendor, AsksForStructuredOutput) {
  auto object_schema = json::parse(
      R"({"type":"object","properties":{"city":{"type":"string"},"celsius":{"type":"number"}},"required":["city","celsius"]})");
  auto list_schema = json::parse(R"({"type":"array","items":{"type":"string"}})");
  for (bool streamed : {false, true}) {
    SCOPED_TRACE(streamed ? "streamed" : "plain");
    auto request = ask("standin");
    request.json_schema = object_schema;
    Tokens tokens;
    if (streamed) tokens.stream(request);
    auto response = run(provider()->chat(request));
    EXPECT_EQ(json::parse(response.content), json::parse(R"({"city":"stand-in","celsius":4.2})"));
    EXPECT_EQ(response.finish_reason, "stop");
    EXPECT_TRUE(response.tool_calls.empty());
    if (streamed) {
      EXPECT_EQ(tokens.joined(), response.content);
    }

    request.json_schema = list_schema;  // not an object: Anthropic's answer tool wraps it
    EXPECT_EQ(json::parse(run(provider()->chat(request)).content), json::parse(R"(["stand-in"])"));
  }
  auto with_tools = ask("standin");
  with_tools.json_schema = object_schema;
  with_tools.tools = {weather_tool()};
  EXPECT_FALSE(run(provider()->chat(with_tools)).content.empty());
}

TEST_P(AiProviderVendor, RejectedKeyIsNotRetryableAndNeverQuoted) {
  auto error = chat_error(ask("unauthorized"));
  EXPECT_EQ(error.status, 401);
  EXPECT_FALSE(error.retryable);
  std::string message = error.what();
  EXPECT_NE(message.find("401"), std::string::npos) << message;
  EXPECT_NE(message.find("API key"), std::string::npos) << message;
  EXPECT_EQ(message.find(test_key), std::string::npos) << message;
  EXPECT_EQ(message.find("wxyz"), std::string::npos) << "not even the masked key the vendor quotes: " << message;
}

TEST_P(AiProviderVendor, RateLimitIsRetryableAfterTheWaitAsked) {
  auto request = ask("rate-limited");
  auto error = chat_error(request);
  EXPECT_EQ(error.status, 429);
  EXPECT_EQ(error.kind(), core::ErrorKind::too_many_requests);
  EXPECT_TRUE(error.retryable);
  ASSERT_TRUE(error.retry_after);
  EXPECT_EQ(*error.retry_after, 1000ms);
  EXPECT_NE(std::string(error.what()).find("request id"), std::string::npos) << error.what();
  EXPECT_EQ(run(provider()->chat(request)).content, "Hello from the stand-in.") << "the next request succeeds";
}

TEST_P(AiProviderVendor, ServerErrorIsRetryable) {
  auto error = chat_error(ask("server-error"));
  EXPECT_EQ(error.status, 500);
  EXPECT_EQ(error.kind(), core::ErrorKind::unavailable);
  EXPECT_TRUE(error.retryable);
  EXPECT_FALSE(error.retry_after);
}

TEST_P(AiProviderVendor, HungServerTimesOutInTime) {
  auto request = ask("hung");
  request.timeout = 300ms;
  auto started = Clock::now();
  auto error = chat_error(request);
  auto took = Clock::now() - started;
  EXPECT_EQ(error.kind(), core::ErrorKind::timeout) << error.what();
  EXPECT_TRUE(error.retryable);
  EXPECT_EQ(error.status, 0);
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 2s);
}

TEST_P(AiProviderVendor, AnswersHundredsOfCallsInFlightOnOneThread) {
  constexpr int calls = 200;
  auto chat_provider = provider();
  auto request = ask("standin");
  request.timeout = 60s;
  asio::io_context io;
  int in_flight = 0, most_in_flight = 0, answered = 0;
  std::vector<std::string> failures;
  for (int i = 0; i < calls; ++i)
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          most_in_flight = std::max(most_in_flight, ++in_flight);
          auto response = co_await chat_provider->chat(request);
          --in_flight;
          if (response.content == "Hello from the stand-in.") ++answered;
        },
        [&](std::exception_ptr error) {
          if (!error) return;
          try {
            std::rethrow_exception(error);
          } catch (const std::exception& e) {
            failures.emplace_back(e.what());
          }
        });
  io.run();
  EXPECT_TRUE(failures.empty()) << failures.size() << " failed, the first: " << failures.front();
  EXPECT_EQ(answered, calls);
  EXPECT_EQ(most_in_flight, calls) << "every call was waiting at once";
}

INSTANTIATE_TEST_SUITE_P(AiProvider, AiProviderVendor, ::testing::Values("openai", "anthropic"),
                         [](const auto& info) { return info.param; });

TEST(AiProviderConfig, SaysWhenItIsConfigured) {
  EXPECT_FALSE(ai::OpenAiProvider({}).configured()) << "OpenAI itself needs a key";
  EXPECT_TRUE(ai::OpenAiProvider({.api_key = "sk-1"}).configured());
  EXPECT_TRUE(ai::OpenAiProvider({.base_url = "http://127.0.0.1:11434/v1"}).configured()) << "a local server";
  EXPECT_FALSE(ai::OpenAiProvider({.base_url = "", .api_key = "sk-1"}).configured());
  EXPECT_FALSE(ai::OpenAiProvider({.base_url = "HTTPS://API.OpenAI.com/v1/"}).configured());
  EXPECT_FALSE(ai::AnthropicProvider({}).configured());
  EXPECT_TRUE(ai::AnthropicProvider({.api_key = "sk-ant-1"}).configured());
  EXPECT_EQ(ai::OpenAiProvider({}).default_model(), "gpt-4o-mini") << "as core::Config's default";
  EXPECT_EQ(ai::AnthropicProvider({}).default_model(), "claude-3-5-haiku-latest");
}

TEST(AiProviderSse, JoinsEventsCutAnywhere) {
  const std::string stream =
      ": keep-alive\r\n"
      "event: message_start\r\ndata: {\"a\":1}\r\n\r\n"
      "data: first\ndata:second\nid: 7\n\n"
      "event: empty\n\n"  // no data: not an event
      "retry: 100\rdata: cr only\r\r"
      "data\n\n";
  std::vector<std::vector<std::string_view>> ways_to_cut;  // in two at every place, and byte by byte
  std::string_view all = stream;
  for (std::size_t cut = 0; cut <= all.size(); ++cut) ways_to_cut.push_back({all.substr(0, cut), all.substr(cut)});
  ways_to_cut.emplace_back();
  for (std::size_t at = 0; at < all.size(); ++at) ways_to_cut.back().push_back(all.substr(at, 1));
  for (const auto& pieces : ways_to_cut) {
    std::vector<ai::SseEvent> events;
    ai::SseParser parser([&events](const ai::SseEvent& event) { events.push_back(event); });
    for (auto piece : pieces) parser.feed(piece);
    ASSERT_EQ(events.size(), 4u) << "in " << pieces.size() << " pieces, the first " << pieces[0].size() << " bytes";
    EXPECT_EQ(events[0].event, "message_start");
    EXPECT_EQ(events[0].data, "{\"a\":1}");
    EXPECT_EQ(events[1].event, "message");
    EXPECT_EQ(events[1].data, "first\nsecond");
    EXPECT_EQ(events[1].id, "7");
    EXPECT_EQ(events[2].data, "cr only");
    EXPECT_EQ(events[2].id, "7") << "the last id stays";
    EXPECT_EQ(events[3].data, "") << "a bare `data` line is an empty data line";
  }
}

TEST(AiProviderSse, BoundsAnEventsSize) {
  ai::SseParser parser([](const ai::SseEvent&) {}, 64);
  parser.feed("data: " + std::string(40, 'x') + "\n");
  EXPECT_THROW(parser.feed("data: " + std::string(40, 'y')), ai::ProviderError);
}

TEST(AiProviderRetryAfter, ReadsSecondsMillisecondsAndHttpDates) {
  auto now = std::chrono::system_clock::from_time_t(1445412480);  // Wed, 21 Oct 2015 07:28:00 GMT
  auto wait = [now](ai::HttpHeaders headers) { return ai::vendor::retry_after({429, std::move(headers), ""}, now); };
  EXPECT_EQ(wait({{"retry-after", "1"}}), 1000ms);
  EXPECT_EQ(wait({{"retry-after", "0.5"}}), 500ms);
  EXPECT_EQ(wait({{"retry-after-ms", "250"}, {"retry-after", "9"}}), 250ms) << "OpenAI's finer header first";
  EXPECT_EQ(wait({{"retry-after", "Wed, 21 Oct 2015 07:28:30 GMT"}}), 30000ms);
  EXPECT_EQ(wait({{"retry-after", "Wed, 21 Oct 2015 07:27:00 GMT"}}), 0ms) << "a date gone by: now";
  EXPECT_EQ(wait({{"retry-after", "soon"}}), std::nullopt);
  EXPECT_EQ(wait({}), std::nullopt);
}

TEST(AiProviderHttp, RefusedConnectionIsRetryable) {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  auto port = acceptor.local_endpoint().port();
  acceptor.close();
  try {
    run(get("http://127.0.0.1:" + std::to_string(port) + "/v1/models?key=secret"));
    FAIL() << "connected";
  } catch (const ai::ProviderError& error) {
    EXPECT_EQ(error.kind(), core::ErrorKind::unavailable);
    EXPECT_TRUE(error.retryable);
    EXPECT_EQ(std::string(error.what()).find("secret"), std::string::npos) << "no path or query in messages";
  }
  EXPECT_THROW(run(get("ftp://127.0.0.1/")), ai::ProviderError);
}

TEST(AiProviderHttp, CutsOffAnswersOverTheLimit) {
  StandIn stand_in;
  SKIP_OR_FAIL_WITHOUT(stand_in);
  EXPECT_EQ(run(get(stand_in.base_url() + "/__stats")).status, 200);
  try {
    run(get(stand_in.base_url() + "/__stats", 16));
    FAIL() << "read an answer over the limit";
  } catch (const ai::ProviderError& error) {
    EXPECT_FALSE(error.retryable);
    EXPECT_NE(std::string(error.what()).find("limit"), std::string::npos) << error.what();
  }
}

// TLS against the stand-in with certificates made here: one the client trusts (through
// SSL_CERT_FILE, which the system CA store's loading honours) and one it does not. The first
// TLS call of the process loads the store, so this test sets it before any.
TEST(AiProviderHttp, VerifiesCertificatesAndHostNames) {
  struct TemporaryDirectory {
    std::filesystem::path path = std::filesystem::temp_directory_path() / ("de-tls-" + core::new_id());
    TemporaryDirectory() { std::filesystem::create_directories(path); }
    ~TemporaryDirectory() { std::filesystem::remove_all(path); }
  } dir;
  auto file = [&dir](const std::string& name) { return (dir.path / name).string(); };
  auto make_certificate = [&file](const std::string& name) {
    auto command = "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost"
                   " -addext subjectAltName=DNS:localhost -keyout " + file(name + ".key") +
                   " -out " + file(name + ".pem") + " 2>/dev/null";
    return std::system(command.c_str()) == 0;
  };
  if (!make_certificate("trusted") || !make_certificate("untrusted")) GTEST_SKIP() << "no openssl command";
  setenv("SSL_CERT_FILE", file("trusted.pem").c_str(), 1);
  auto serving = [&file](const std::string& name) {
    return std::vector<std::string>{"--tls-cert", file(name + ".pem"), "--tls-key", file(name + ".key")};
  };
  StandIn trusted(serving("trusted"), "https", "localhost");
  SKIP_OR_FAIL_WITHOUT(trusted);
  EXPECT_EQ(run(get(trusted.base_url() + "/__stats")).status, 200);

  auto expect_refused = [](const std::string& url, const std::string& why) {
    try {
      run(get(url));
      ADD_FAILURE() << why;
    } catch (const ai::ProviderError& error) {
      EXPECT_FALSE(error.retryable) << error.what();
      EXPECT_NE(std::string(error.what()).find("TLS"), std::string::npos) << error.what();
    }
  };
  auto port = trusted.base_url().substr(trusted.base_url().rfind(':'));
  expect_refused("https://127.0.0.1" + port + "/__stats", "the certificate names localhost, not 127.0.0.1");
  StandIn untrusted(serving("untrusted"), "https", "localhost");
  expect_refused(untrusted.base_url() + "/__stats", "nobody vouches for the certificate");
}
