#include "ai/anthropic.hpp"

#include <boost/json/serialize.hpp>

#include <map>

#include "ai/vendor.hpp"

namespace de::ai {

namespace json = boost::json;
using core::ErrorKind;

namespace {

constexpr std::string_view provider_name = "anthropic";

// Structured output goes through a tool the model is made to call (tool_choice), whose input
// schema is the one asked for: that works on every Claude model with tool use (the native
// output_config.format only on the newest, with a narrower JSON Schema), and the answer comes
// back as parsed JSON. A tool's input is an object, so any other schema is wrapped as the
// property `value`. When the request offers tools of its own, the model must stay free to call
// them: the answer tool is then offered beside them, and the system prompt says to answer
// through it. The service validates the answer either way.
constexpr std::string_view answer_tool = "json_answer";
constexpr std::string_view answer_instruction =
    "When you have the final answer, give it by calling the tool json_answer: its input is the answer.";

struct AnswerShape {
  bool structured = false;
  bool wrapped = false;  // the schema is not an object's: the answer is the input's `value`
};

AnswerShape answer_shape(const ChatRequest& request) {
  if (!request.json_schema) return {};
  const auto* schema = request.json_schema->if_object();
  return {true, !schema || vendor::string_field(*schema, "type") != "object"};
}

json::object answer_tool_json(const json::value& schema, bool wrapped) {
  json::value input_schema = schema;
  if (wrapped)
    input_schema = {{"type", "object"}, {"properties", {{"value", schema}}}, {"required", json::array{"value"}}};
  return {{"name", answer_tool},
          {"description", "Gives the final answer: the input is the answer, valid against this schema."},
          {"input_schema", std::move(input_schema)}};
}

json::object text_block(std::string_view text) { return {{"type", "text"}, {"text", text}}; }

// Consecutive blocks of one role go in one message: the tool results that answer an assistant
// turn must all be in the user message that follows it.
void append(json::array& messages, std::string_view role, json::object block) {
  if (!messages.empty()) {
    auto& last = messages.back().as_object();
    if (last["role"].as_string() == role) {
      last["content"].as_array().push_back(std::move(block));
      return;
    }
  }
  json::array content;
  content.push_back(std::move(block));
  messages.push_back(json::object{{"role", role}, {"content", std::move(content)}});
}

json::array messages_json(const ChatRequest& request) {
  json::array messages;
  for (const auto& message : request.messages) {
    switch (message.role) {
      case Role::system: break;  // the top-level system prompt
      case Role::user: append(messages, "user", text_block(message.content)); break;
      case Role::tool:
        append(messages, "user",
               {{"type", "tool_result"}, {"tool_use_id", message.tool_call_id}, {"content", message.content}});
        break;
      case Role::assistant:  // the vendor refuses an empty text block: an empty turn is left out
        if (!message.content.empty()) append(messages, "assistant", text_block(message.content));
        for (const auto& call : message.tool_calls)
          append(messages, "assistant",
                 {{"type", "tool_use"},
                  {"id", call.id},
                  {"name", call.name},
                  {"input", call.arguments.is_object() ? call.arguments : json::value(json::object())}});
        break;
    }
  }
  return messages;
}

std::string system_prompt(const ChatRequest& request, const AnswerShape& shape) {
  std::string system;
  auto add = [&system](std::string_view text) {
    if (!system.empty()) system += "\n\n";
    system += text;
  };
  for (const auto& message : request.messages)
    if (message.role == Role::system) add(message.content);
  if (shape.structured && !request.tools.empty()) add(answer_instruction);
  return system;
}

json::object request_json(const ChatRequest& request, std::string_view model, const AnswerShape& shape) {
  json::object body{{"model", model}, {"max_tokens", request.max_tokens}};
  if (auto system = system_prompt(request, shape); !system.empty()) body["system"] = system;
  body["messages"] = messages_json(request);
  if (request.temperature) body["temperature"] = *request.temperature;
  json::array tools;
  for (const auto& tool : request.tools) {
    json::object definition{{"name", tool.name},
                            {"input_schema", tool.parameters.is_object() ? tool.parameters
                                                                         : json::value({{"type", "object"}})}};
    if (!tool.description.empty()) definition["description"] = tool.description;
    tools.push_back(std::move(definition));
  }
  if (shape.structured) {
    tools.push_back(answer_tool_json(*request.json_schema, shape.wrapped));
    if (request.tools.empty()) body["tool_choice"] = {{"type", "tool"}, {"name", answer_tool}};
  }
  if (!tools.empty()) body["tools"] = std::move(tools);
  if (request.on_token) body["stream"] = true;
  return body;
}

std::string finish_reason(std::string_view stop_reason) {
  if (stop_reason == "end_turn" || stop_reason == "stop_sequence") return "stop";
  if (stop_reason == "max_tokens") return "length";
  if (stop_reason == "tool_use") return "tool_calls";
  return std::string(stop_reason);  // refusal, pause_turn, ...: as the vendor says
}

// The answer as it is read, whole or streamed: text joined; tool_use blocks as tool calls, or
// as the structured answer when they are the answer tool's.
class Answer {
 public:
  Answer(AnswerShape shape, std::string_view model) : shape_(shape) {
    response_.provider = provider_name;
    response_.model = model;
  }

  void add_text(std::string_view text) { response_.content.append(text); }

  // True when the block was the structured answer, which is then the content.
  bool add_tool_use(std::string_view id, std::string_view name, const json::value& input) {
    if (!shape_.structured || name != answer_tool) {
      response_.tool_calls.push_back({std::string(id), std::string(name), input});
      return false;
    }
    const auto* value = shape_.wrapped && input.is_object() ? input.get_object().if_contains("value") : nullptr;
    response_.content = json::serialize(value ? *value : input);
    answered_ = true;
    return true;
  }

  void set_model(std::string_view model) {
    if (!model.empty()) response_.model = model;
  }

  void set_stop_reason(std::string_view reason) {
    if (!reason.empty()) stop_reason_ = reason;
  }

  // Counts present in `usage` replace those read before (a stream's are cumulative).
  void count(const json::object& usage) {
    auto read = [&usage](std::string_view key, std::int64_t& target) {
      if (const auto* value = usage.if_contains(key); value && value->is_number())
        target = vendor::integer_field(usage, key);
    };
    read("input_tokens", response_.usage.input_tokens);
    read("output_tokens", response_.usage.output_tokens);
  }

  const std::string& content() const { return response_.content; }

  ChatResponse finish() {
    response_.finish_reason = answered_ ? "stop" : finish_reason(stop_reason_);
    return std::move(response_);
  }

 private:
  AnswerShape shape_;
  ChatResponse response_;
  std::string stop_reason_;
  bool answered_ = false;
};

ChatResponse read_answer(std::string_view text, std::string_view model, AnswerShape shape) {
  auto message = vendor::parse_object(provider_name, "the answer", text);
  const auto* content = vendor::array_field(message, "content");
  if (!content)
    throw ProviderError(ErrorKind::unavailable, "anthropic: the answer has no content", 200, false);
  Answer answer(shape, model);
  answer.set_model(vendor::string_field(message, "model"));
  for (const auto& item : *content) {
    const auto* block = item.if_object();
    if (!block) continue;
    auto type = vendor::string_field(*block, "type");
    if (type == "text") answer.add_text(vendor::string_field(*block, "text"));
    if (type == "tool_use") {
      const auto* input = block->if_contains("input");
      answer.add_tool_use(vendor::string_field(*block, "id"), vendor::string_field(*block, "name"),
                          input ? *input : json::value(json::object()));
    }
  }
  answer.set_stop_reason(vendor::string_field(message, "stop_reason"));
  if (const auto* usage = vendor::object_field(message, "usage")) answer.count(*usage);
  return answer.finish();
}

// The HTTP status an in-stream error would have come with, had it come before the 200.
int status_of_error(std::string_view type) {
  if (type == "overloaded_error") return 529;
  if (type == "rate_limit_error") return 429;
  if (type == "timeout_error") return 504;
  return 500;
}

// Events as they come: message_start (model, input tokens), content blocks by index (text
// deltas joined and forwarded; a tool's input as JSON text in pieces, parsed when its block
// stops), message_delta (stop reason, cumulative usage), message_stop; ping and event types
// added later are passed over.
class StreamedAnswer {
 public:
  StreamedAnswer(const ChatRequest& request, std::string_view model, AnswerShape shape, std::string_view api_key)
      : on_token_(request.on_token), api_key_(api_key), answer_(shape, model) {}

  void add(const SseEvent& event) {
    auto data = vendor::parse_object(provider_name, "a streamed event", event.data);
    auto type = vendor::string_field(data, "type");
    auto index = vendor::integer_field(data, "index");
    if (type == "message_start") {
      if (const auto* message = vendor::object_field(data, "message")) {
        answer_.set_model(vendor::string_field(*message, "model"));
        if (const auto* usage = vendor::object_field(*message, "usage")) answer_.count(*usage);
      }
    } else if (type == "content_block_start") {
      const auto* block = vendor::object_field(data, "content_block");
      if (!block) return;
      blocks_[index] = {std::string(vendor::string_field(*block, "type")),
                        std::string(vendor::string_field(*block, "id")),
                        std::string(vendor::string_field(*block, "name")), {}};
      emit(vendor::string_field(*block, "text"));
    } else if (type == "content_block_delta") {
      const auto* delta = vendor::object_field(data, "delta");
      if (!delta) return;
      auto delta_type = vendor::string_field(*delta, "type");
      if (delta_type == "text_delta") emit(vendor::string_field(*delta, "text"));
      if (delta_type == "input_json_delta") blocks_[index].input.append(vendor::string_field(*delta, "partial_json"));
    } else if (type == "content_block_stop") {
      end_block(index);
    } else if (type == "message_delta") {
      if (const auto* delta = vendor::object_field(data, "delta"))
        answer_.set_stop_reason(vendor::string_field(*delta, "stop_reason"));
      if (const auto* usage = vendor::object_field(data, "usage")) answer_.count(*usage);
    } else if (type == "message_stop") {
      stopped_ = true;
    } else if (type == "error") {
      const auto* error = vendor::object_field(data, "error");
      auto status = status_of_error(error ? vendor::string_field(*error, "type") : "");
      throw vendor::status_error(provider_name, {status, {}, std::string(event.data)}, api_key_);
    }
  }

  ChatResponse finish() {
    if (!stopped_)
      throw ProviderError(ErrorKind::unavailable, "anthropic: the stream ended before message_stop", 200, true);
    return answer_.finish();
  }

 private:
  struct Block {
    std::string type;
    std::string id;
    std::string name;
    std::string input;  // a tool's input, as JSON text so far
  };

  void emit(std::string_view text) {
    if (text.empty()) return;
    answer_.add_text(text);
    on_token_(text);
  }

  // The structured answer is handed over whole: it is a value, not prose to watch being written.
  void end_block(std::int64_t index) {
    auto found = blocks_.find(index);
    if (found == blocks_.end()) return;
    auto block = std::move(found->second);
    blocks_.erase(found);
    if (block.type != "tool_use") return;
    if (answer_.add_tool_use(block.id, block.name, vendor::parse_arguments(provider_name, block.name, block.input)))
      on_token_(answer_.content());
  }

  const std::function<void(std::string_view)>& on_token_;
  std::string_view api_key_;
  Answer answer_;
  std::map<std::int64_t, Block> blocks_;
  bool stopped_ = false;
};

}  // namespace

boost::asio::awaitable<ChatResponse> AnthropicProvider::chat(const ChatRequest& request) {
  auto model = request.model.empty() ? config_.default_model : request.model;
  auto shape = answer_shape(request);
  vendor::Post post{provider_name,
                    vendor::join_url(config_.base_url, "/v1/messages"),
                    {{"x-api-key", config_.api_key}, {"anthropic-version", "2023-06-01"}},
                    json::serialize(request_json(request, model, shape)),
                    request.timeout,
                    config_.api_key};
  if (!request.on_token) co_return read_answer(co_await vendor::post(std::move(post)), model, shape);
  StreamedAnswer answer(request, model, shape, config_.api_key);
  co_await vendor::post(std::move(post), [&answer](const SseEvent& event) { answer.add(event); });
  co_return answer.finish();
}

}  // namespace de::ai
