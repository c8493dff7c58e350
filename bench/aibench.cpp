// de-aibench: the AI adapter's own cost, against a stand-in vendor on loopback (load (e) of
// script/bench; figures in docs/performance.md, "AI adapter").
//
//   de-aibench standin [--chunks 200] [--gap-ms 25]
//     Prints its port, then serves until killed: POST .../chat/completions (OpenAI Chat
//     Completions) and .../v1/messages (Anthropic Messages), a canned answer at once; a body
//     asking for "stream":true gets the vendor's event stream, `chunks` text events `gap-ms`
//     apart. Under /close/ every answer says `Connection: close`. One thread, no JSON parsed.
//   de-aibench calls --url http://127.0.0.1:PORT [--calls 20000]
//     Non-streamed calls one after another, through ai::AiService and through each provider
//     class, on one thread; this process's CPU per call (user and system, getrusage) and wall
//     time per call. Then the same through the service with every answer closing its
//     connection (a new connection per call, as before the pool).
//   de-aibench streams --url ... [--counts 100,1000,1000]
//     Rounds of N streamed calls at once through ai::AiService (half to each provider), on one
//     thread: RSS before each round, its peak while the streams run, and after.
// Each client mode prints one line of JSON and exits 1 when a call failed.
#include <boost/asio.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <sys/resource.h>

#include "ai/anthropic.hpp"
#include "ai/openai.hpp"
#include "ai/service.hpp"

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
namespace json = boost::json;
namespace ai = de::ai;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::string_view openai_model = "gpt-4o-mini";
constexpr std::string_view anthropic_model = "claude-3-5-haiku-latest";

struct Options {
  std::string mode, url;
  int chunks = 200, gap_ms = 25, calls = 20000;
  std::vector<int> counts{100, 1000, 1000};
};

Options parse(int argc, char** argv) {
  if (argc < 2) throw std::runtime_error("usage: de-aibench standin|calls|streams [options]");
  Options o;
  o.mode = argv[1];
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string key = argv[i], value = argv[i + 1];
    if (key == "--url") o.url = value;
    else if (key == "--chunks") o.chunks = std::stoi(value);
    else if (key == "--gap-ms") o.gap_ms = std::stoi(value);
    else if (key == "--calls") o.calls = std::stoi(value);
    else if (key == "--counts") {
      o.counts.clear();
      for (std::size_t at = 0; at < value.size(); at = value.find(',', at) + 1) {
        o.counts.push_back(std::stoi(value.substr(at)));
        if (value.find(',', at) == std::string::npos) break;
      }
    } else throw std::runtime_error("unknown option " + key);
  }
  if (o.mode != "standin" && !o.url.starts_with("http://127.0.0.1:"))
    throw std::runtime_error("--url http://127.0.0.1:PORT: loopback only");
  return o;
}

// A thousand streams hold a thousand sockets on each side.
void raise_file_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
}

// ---- the stand-in ----

std::string http_head(std::string_view content_type, bool close) {
  std::string head = "HTTP/1.1 200 OK\r\nContent-Type: ";
  head.append(content_type).append("\r\nx-request-id: req_bench\r\n");
  if (close) head.append("Connection: close\r\n");
  return head;
}

std::string whole_answer(const json::object& body, bool close) {
  auto text = json::serialize(body);
  return http_head("application/json", close) + "Content-Length: " + std::to_string(text.size()) + "\r\n\r\n" + text;
}

std::string chunk(std::string_view event, const json::object& data) {
  std::string text;
  if (!event.empty()) text.append("event: ").append(event).append("\n");
  text.append("data: ").append(json::serialize(data)).append("\n\n");
  char size[20];
  std::snprintf(size, sizeof size, "%zx\r\n", text.size());
  return size + text + "\r\n";
}

// What a vendor answers, as bytes made once: whole (kept alive or closing), and streamed (the
// opening, one text event, the end).
struct Canned {
  std::string whole, whole_closing, opening, text_event, end;
};

json::value usage_value(std::string_view input, std::string_view output) {
  return json::object{{input, 21}, {output, 7}};
}

Canned openai_answers() {
  Canned c;
  json::object message{{"role", "assistant"}, {"content", "Hello from the stand-in."}, {"refusal", nullptr}};
  json::object choice{{"index", 0}, {"message", message}, {"logprobs", nullptr}, {"finish_reason", "stop"}};
  json::object answer{{"id", "chatcmpl-bench"}, {"object", "chat.completion"}, {"created", 1767225600},
                      {"model", openai_model}, {"choices", json::array{choice}},
                      {"usage", usage_value("prompt_tokens", "completion_tokens")}};
  c.whole = whole_answer(answer, false);
  c.whole_closing = whole_answer(answer, true);
  auto stream_chunk = [](json::object delta, json::value finish_reason) {
    json::object choice{{"index", 0}, {"delta", std::move(delta)}, {"finish_reason", std::move(finish_reason)}};
    return json::object{{"id", "chatcmpl-bench"}, {"object", "chat.completion.chunk"}, {"created", 1767225600},
                        {"model", openai_model}, {"choices", json::array{choice}}};
  };
  c.opening = http_head("text/event-stream", false) + "Transfer-Encoding: chunked\r\n\r\n" +
              chunk("", stream_chunk({{"role", "assistant"}, {"content", ""}}, nullptr));
  c.text_event = chunk("", stream_chunk({{"content", "token "}}, nullptr));
  auto last = stream_chunk({}, "stop");
  auto usage = stream_chunk({}, nullptr);
  usage["choices"] = json::array();
  usage["usage"] = usage_value("prompt_tokens", "completion_tokens");
  c.end = chunk("", last) + chunk("", usage) + "e\r\ndata: [DONE]\n\n\r\n0\r\n\r\n";
  return c;
}

Canned anthropic_answers() {
  Canned c;
  json::object text{{"type", "text"}, {"text", "Hello from the stand-in."}};
  json::object answer{{"id", "msg_bench"}, {"type", "message"}, {"role", "assistant"}, {"model", anthropic_model},
                      {"content", json::array{text}}, {"stop_reason", "end_turn"}, {"stop_sequence", nullptr},
                      {"usage", usage_value("input_tokens", "output_tokens")}};
  c.whole = whole_answer(answer, false);
  c.whole_closing = whole_answer(answer, true);
  auto started = answer;
  started["content"] = json::array();
  started["stop_reason"] = nullptr;
  c.opening = http_head("text/event-stream", false) + "Transfer-Encoding: chunked\r\n\r\n" +
              chunk("message_start", {{"type", "message_start"}, {"message", started}}) +
              chunk("content_block_start", {{"type", "content_block_start"}, {"index", 0},
                                            {"content_block", {{"type", "text"}, {"text", ""}}}});
  c.text_event = chunk("content_block_delta", {{"type", "content_block_delta"}, {"index", 0},
                                               {"delta", {{"type", "text_delta"}, {"text", "token "}}}});
  c.end = chunk("content_block_stop", {{"type", "content_block_stop"}, {"index", 0}}) +
          chunk("message_delta", {{"type", "message_delta"}, {"delta", {{"stop_reason", "end_turn"}}},
                                  {"usage", {{"output_tokens", 7}}}}) +
          chunk("message_stop", {{"type", "message_stop"}}) + "0\r\n\r\n";
  return c;
}

struct StandIn {
  Canned openai = openai_answers();
  Canned anthropic = anthropic_answers();
  int chunks;
  std::chrono::milliseconds gap;
};

asio::awaitable<void> write(tcp::socket& socket, const std::string& bytes) {
  co_await asio::async_write(socket, asio::buffer(bytes), asio::use_awaitable);
}

asio::awaitable<void> serve(tcp::socket socket, const StandIn& stand_in) {
  boost::beast::flat_buffer buffer;
  for (;;) {
    bhttp::request<bhttp::string_body> request;
    if (auto [ec, read] = co_await bhttp::async_read(socket, buffer, request, use_tuple); ec) co_return;
    const auto& canned = request.target().ends_with("/v1/messages") ? stand_in.anthropic : stand_in.openai;
    bool closing = request.target().starts_with("/close/");
    if (request.body().find("\"stream\":true") == std::string::npos) {
      co_await write(socket, closing ? canned.whole_closing : canned.whole);
      if (closing) co_return;
      continue;
    }
    co_await write(socket, canned.opening);
    asio::steady_timer gap(socket.get_executor());
    for (int i = 0; i < stand_in.chunks; ++i) {
      gap.expires_after(stand_in.gap);
      co_await gap.async_wait(asio::use_awaitable);
      co_await write(socket, canned.text_event);
    }
    co_await write(socket, canned.end);
  }
}

asio::awaitable<void> accept(tcp::acceptor& acceptor, const StandIn& stand_in) {
  for (;;) {
    auto socket = co_await acceptor.async_accept(asio::use_awaitable);
    socket.set_option(tcp::no_delay(true));
    asio::co_spawn(acceptor.get_executor(), serve(std::move(socket), stand_in), asio::detached);
  }
}

int run_stand_in(const Options& o) {
  StandIn stand_in{.chunks = o.chunks, .gap = std::chrono::milliseconds(o.gap_ms)};
  asio::io_context io(1);
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  std::cout << acceptor.local_endpoint().port() << std::endl;
  asio::co_spawn(io, accept(acceptor, stand_in), asio::detached);
  io.run();
  return 0;
}

// ---- the client ----

double cpu_seconds(bool system) {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto& time = system ? usage.ru_stime : usage.ru_utime;
  return double(time.tv_sec) + double(time.tv_usec) / 1e6;
}

double rss_mib() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.starts_with("VmRSS:")) return std::stod(line.substr(6)) / 1024;
  return 0;
}

std::vector<std::shared_ptr<ai::Provider>> providers(const std::string& base) {
  return {std::make_shared<ai::OpenAiProvider>(ai::OpenAiConfig{base + "/v1", "sk-bench", std::string(openai_model)}),
          std::make_shared<ai::AnthropicProvider>(
              ai::AnthropicConfig{base, "sk-ant-bench", std::string(anthropic_model)})};
}

ai::AiService service_of(const std::string& base) {
  ai::AiServiceOptions options;
  options.fallback_order = {"openai", "anthropic"};
  return ai::AiService(providers(base), options);
}

// What an agent asks: a system prompt and a question.
ai::ChatRequest question() {
  ai::ChatRequest request;
  request.messages = {{ai::Role::system, "You are the sales assistant of a small software company. Answer briefly."},
                      {ai::Role::user, "Which of our three plans suits a team of twelve, and why?"}};
  request.max_tokens = 300;
  return request;
}

ai::CallOptions through(std::string_view provider) {
  ai::CallOptions options;
  options.provider = provider;
  return options;
}

using OneCall = std::function<asio::awaitable<ai::ChatResponse>()>;

// `calls` calls one after another on this thread, after a warm-up; CPU and wall time per call.
json::object measure(int calls, const OneCall& one) {
  asio::io_context io(1);
  int failures = 0, answered = 0;
  auto loop = [&](int count) -> asio::awaitable<void> {
    for (int i = 0; i < count; ++i) {
      try {
        if ((co_await one()).content == "Hello from the stand-in.") ++answered;
      } catch (const std::exception& e) {
        if (failures++ == 0) std::cerr << "de-aibench: " << e.what() << "\n";
      }
    }
  };
  asio::co_spawn(io, loop(std::max(calls / 20, 50)), asio::detached);
  io.run();
  answered = 0;
  auto user = cpu_seconds(false), system = cpu_seconds(true);
  auto started = Clock::now();
  asio::co_spawn(io, loop(calls), asio::detached);
  io.restart();
  io.run();
  double wall = std::chrono::duration<double>(Clock::now() - started).count();
  user = cpu_seconds(false) - user;
  system = cpu_seconds(true) - system;
  return {{"calls", calls},
          {"answered", answered},
          {"failures", failures},
          {"cpu_us_per_call", 1e6 * (user + system) / calls},
          {"user_us_per_call", 1e6 * user / calls},
          {"system_us_per_call", 1e6 * system / calls},
          {"wall_us_per_call", 1e6 * wall / calls}};
}

json::object case_row(std::string_view provider, std::string_view path, json::object measured) {
  measured["provider"] = provider;
  measured["through"] = path;
  return measured;
}

int run_calls(const Options& o) {
  json::array cases;
  for (std::string_view name : {"openai", "anthropic"}) {
    auto service = service_of(o.url);
    cases.push_back(case_row(name, "AiService, connection reused", measure(o.calls, [&]() {
                               return service.chat(question(), through(name));
                             })));
    auto direct = providers(o.url)[name == "openai" ? 0 : 1];
    auto request = question();
    request.model = direct->default_model();
    cases.push_back(case_row(name, "provider class, connection reused",
                             measure(o.calls, [&]() { return direct->chat(request); })));
    auto closing = service_of(o.url + "/close");
    cases.push_back(case_row(name, "AiService, a new connection per call",
                             measure(o.calls / 4, [&]() { return closing.chat(question(), through(name)); })));
  }
  bool ok = true;
  for (const auto& c : cases) ok = ok && c.as_object().at("failures").as_int64() == 0;
  std::cout << json::serialize(json::object{{"mode", "calls"}, {"cases", cases}}) << std::endl;
  return ok ? 0 : 1;
}

// One round: `count` streamed calls at once; RSS sampled every 50 ms while they run.
json::object stream_round(ai::AiService& service, int count) {
  asio::io_context io(1);
  int started = 0, done = 0, failures = 0;
  std::size_t tokens = 0;
  double before = rss_mib(), peak = before, all_streaming = 0;
  auto one = [&](int index) -> asio::awaitable<void> {
    auto request = question();
    bool first = true;
    request.on_token = [&](std::string_view) {
      ++tokens;
      if (first) first = false, ++started;
    };
    try {
      co_await service.chat(std::move(request), through(index % 2 ? "anthropic" : "openai"));
    } catch (const std::exception& e) {
      if (failures++ == 0) std::cerr << "de-aibench: " << e.what() << "\n";
    }
    ++done;
  };
  auto sample = [&]() -> asio::awaitable<void> {
    asio::steady_timer tick(co_await asio::this_coro::executor);
    while (done < count) {
      tick.expires_after(50ms);
      co_await tick.async_wait(asio::use_awaitable);
      peak = std::max(peak, rss_mib());
      if (started == count && all_streaming == 0) all_streaming = rss_mib();
    }
  };
  auto cpu = cpu_seconds(false) + cpu_seconds(true);
  auto begun = Clock::now();
  for (int i = 0; i < count; ++i) asio::co_spawn(io, one(i), asio::detached);
  asio::co_spawn(io, sample(), asio::detached);
  io.run();
  cpu = cpu_seconds(false) + cpu_seconds(true) - cpu;
  return {{"streams", count},
          {"failures", failures},
          {"tokens", tokens},
          {"seconds", std::chrono::duration<double>(Clock::now() - begun).count()},
          {"cpu_us_per_token", tokens ? 1e6 * cpu / double(tokens) : 0.0},
          {"rss_mib_before", before},
          {"rss_mib_all_streaming", all_streaming},
          {"rss_mib_peak", peak},
          {"rss_mib_after", rss_mib()}};
}

int run_streams(const Options& o) {
  auto service = service_of(o.url);
  json::array rounds;
  bool ok = true;
  for (int count : o.counts) {
    auto round = stream_round(service, count);
    ok = ok && round.at("failures").as_int64() == 0;
    rounds.push_back(std::move(round));
  }
  std::cout << json::serialize(json::object{{"mode", "streams"}, {"rounds", rounds}}) << std::endl;
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    auto options = parse(argc, argv);
    raise_file_limit();
    if (options.mode == "standin") return run_stand_in(options);
    if (options.mode == "calls") return run_calls(options);
    if (options.mode == "streams") return run_streams(options);
    throw std::runtime_error("unknown mode " + options.mode);
  } catch (const std::exception& e) {
    std::cerr << "de-aibench: " << e.what() << "\n";
    return 2;
  }
}
