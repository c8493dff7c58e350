#include "ai/openai.hpp"

#include <boost/json/serialize.hpp>

#include <map>

#include "ai/vendor.hpp"

namespace de::ai {

namespace json = boost::json;
using core::ErrorKind;

namespace {

constexpr std::string_view provider_name = "openai";

json::object message_json(const Message& message) {
  json::object out{{"role", to_string(message.role)}, {"content", message.content}};
  if (message.role == Role::tool) out["tool_call_id"] = message.tool_call_id;
  if (message.role == Role::assistant && !message.tool_calls.empty()) {
    if (message.content.empty()) out["content"] = nullptr;  // the contract's way of "only tool calls"
    json::array calls;
    for (const auto& call : message.tool_calls)
      calls.push_back(json::object{
          {"id", call.id},
          {"type", "function"},
          {"function", {{"name", call.name}, {"arguments", json::serialize(call.arguments)}}}});
    out["tool_calls"] = std::move(calls);
  }
  return out;
}

json::object request_json(const ChatRequest& request, std::string_view model, bool openai_itself) {
  json::object body{{"model", model}};
  json::array messages;
  for (const auto& message : request.messages) messages.push_back(message_json(message));
  body["messages"] = std::move(messages);
  // OpenAI's newer models refuse max_tokens; the servers that copy the API know it best.
  body[openai_itself ? "max_completion_tokens" : "max_tokens"] = request.max_tokens;
  if (request.temperature) body["temperature"] = *request.temperature;
  if (!request.tools.empty()) {
    json::array tools;
    for (const auto& tool : request.tools) {
      json::object function{{"name", tool.name}};
      if (!tool.description.empty()) function["description"] = tool.description;
      if (tool.parameters.is_object()) function["parameters"] = tool.parameters;
      tools.push_back(json::object{{"type", "function"}, {"function", std::move(function)}});
    }
    body["tools"] = std::move(tools);
  }
  // Not `strict`: OpenAI's strict mode takes only a subset of JSON Schema (every property
  // required, no others allowed), and the service validates the answer on our side anyway.
  if (request.json_schema)
    body["response_format"] = {{"type", "json_schema"},
                               {"json_schema", {{"name", "answer"}, {"schema", *request.json_schema}}}};
  if (request.on_token) {
    body["stream"] = true;
    body["stream_options"] = {{"include_usage", true}};
  }
  return body;
}

ProviderError malformed(std::string_view what) {
  return ProviderError(ErrorKind::unavailable, std::string(provider_name) + ": " + std::string(what), 200, false);
}

Usage usage_of(const json::object& answer) {
  Usage usage;
  if (const auto* counts = vendor::object_field(answer, "usage")) {
    usage.input_tokens = vendor::integer_field(*counts, "prompt_tokens");
    usage.output_tokens = vendor::integer_field(*counts, "completion_tokens");
  }
  return usage;
}

std::string model_of(const json::object& answer, std::string_view requested) {
  auto model = vendor::string_field(answer, "model");
  return std::string(model.empty() ? requested : model);
}

ChatResponse read_answer(std::string_view text, std::string_view requested_model) {
  auto answer = vendor::parse_object(provider_name, "the answer", text);
  const auto* choices = vendor::array_field(answer, "choices");
  if (!choices || choices->empty() || !choices->front().is_object()) throw malformed("the answer has no choices");
  const auto& choice = choices->front().get_object();
  const auto* message = vendor::object_field(choice, "message");
  if (!message) throw malformed("the answer's choice has no message");
  ChatResponse response;
  response.provider = provider_name;
  response.model = model_of(answer, requested_model);
  response.content = vendor::string_field(*message, "content");
  response.finish_reason = vendor::string_field(choice, "finish_reason");
  if (auto refusal = vendor::string_field(*message, "refusal"); !refusal.empty() && response.content.empty()) {
    response.content = refusal;
    response.finish_reason = "refusal";
  }
  if (const auto* calls = vendor::array_field(*message, "tool_calls"))
    for (const auto& item : *calls) {
      const auto* call = item.if_object();
      const auto* function = call ? vendor::object_field(*call, "function") : nullptr;
      if (!function) continue;  // a custom tool's call: we offer none
      auto name = vendor::string_field(*function, "name");
      response.tool_calls.push_back(
          {std::string(vendor::string_field(*call, "id")), std::string(name),
           vendor::parse_arguments(provider_name, name, vendor::string_field(*function, "arguments"))});
    }
  response.usage = usage_of(answer);
  return response;
}

// Chunks as they come: text deltas joined (and forwarded), tool calls assembled by their
// index (the id and name come first, the arguments' JSON text in pieces), the usage from the
// last chunk (its choices are empty).
class StreamedAnswer {
 public:
  StreamedAnswer(const ChatRequest& request, std::string_view model, std::string_view api_key)
      : on_token_(request.on_token), api_key_(api_key) {
    response_.provider = provider_name;
    response_.model = model;
  }

  void add(const SseEvent& event) {
    if (event.data == "[DONE]") return;
    auto chunk = vendor::parse_object(provider_name, "a streamed chunk", event.data);
    if (chunk.contains("error"))  // broke off after the 200: as the status it would have come with
      throw vendor::status_error(provider_name, {500, {}, std::string(event.data)}, api_key_);
    response_.model = model_of(chunk, response_.model);
    if (vendor::object_field(chunk, "usage")) response_.usage = usage_of(chunk);
    const auto* choices = vendor::array_field(chunk, "choices");
    if (!choices || choices->empty() || !choices->front().is_object()) return;
    const auto& choice = choices->front().get_object();
    if (auto reason = vendor::string_field(choice, "finish_reason"); !reason.empty())
      response_.finish_reason = reason;
    const auto* delta = vendor::object_field(choice, "delta");
    if (!delta) return;
    if (auto text = vendor::string_field(*delta, "content"); !text.empty()) {
      response_.content.append(text);
      on_token_(text);
    }
    if (const auto* calls = vendor::array_field(*delta, "tool_calls"))
      for (const auto& item : *calls) {
        const auto* piece = item.if_object();
        if (!piece) continue;
        auto& call = calls_[vendor::integer_field(*piece, "index")];
        if (auto id = vendor::string_field(*piece, "id"); !id.empty()) call.id = id;
        if (const auto* function = vendor::object_field(*piece, "function")) {
          if (auto name = vendor::string_field(*function, "name"); !name.empty()) call.name = name;
          call.arguments.append(vendor::string_field(*function, "arguments"));
        }
      }
  }

  ChatResponse finish() {
    if (response_.finish_reason.empty())
      throw ProviderError(ErrorKind::unavailable, "openai: the stream ended before the answer did", 200, true);
    for (auto& [index, call] : calls_)
      response_.tool_calls.push_back(
          {std::move(call.id), call.name, vendor::parse_arguments(provider_name, call.name, call.arguments)});
    return std::move(response_);
  }

 private:
  struct PartialCall {
    std::string id;
    std::string name;
    std::string arguments;
  };

  const std::function<void(std::string_view)>& on_token_;
  std::string_view api_key_;
  ChatResponse response_;
  std::map<std::int64_t, PartialCall> calls_;
};

}  // namespace

OpenAiProvider::OpenAiProvider(OpenAiConfig config)
    : config_(std::move(config)), openai_itself_(url_host(config_.base_url) == "api.openai.com") {}

bool OpenAiProvider::configured() const {
  return !config_.base_url.empty() && (!config_.api_key.empty() || !openai_itself_);
}

boost::asio::awaitable<ChatResponse> OpenAiProvider::chat(const ChatRequest& request) {
  auto model = request.model.empty() ? config_.default_model : request.model;
  vendor::Post post{provider_name, vendor::join_url(config_.base_url, "/chat/completions"), {},
                    json::serialize(request_json(request, model, openai_itself_)), request.timeout,
                    config_.api_key};
  if (!config_.api_key.empty()) post.headers.emplace_back("authorization", "Bearer " + config_.api_key);
  if (!request.on_token) co_return read_answer(co_await vendor::post(std::move(post)), model);
  StreamedAnswer answer(request, model, config_.api_key);
  co_await vendor::post(std::move(post), [&answer](const SseEvent& event) { answer.add(event); });
  co_return answer.finish();
}

}  // namespace de::ai
