#include "ai/vendor.hpp"

#include <boost/asio/this_coro.hpp>
#include <boost/json/parse.hpp>

#include <charconv>
#include <cmath>
#include <ctime>

#include <fmt/format.h>

namespace de::ai::vendor {

namespace json = boost::json;
using core::ErrorKind;

namespace {

struct StatusClass {
  ErrorKind kind;
  bool retryable;
};

StatusClass classify(int status) {
  if (status == 429) return {ErrorKind::too_many_requests, true};
  if (status == 408) return {ErrorKind::timeout, true};
  if (status == 409 || status >= 500) return {ErrorKind::unavailable, true};
  // The platform is fine and so is its caller: the provider's account is not.
  if (status == 401 || status == 402 || status == 403) return {ErrorKind::unavailable, false};
  if (status >= 400) return {ErrorKind::bad_request, false};
  return {ErrorKind::unavailable, false};  // 1xx or 3xx: nothing a vendor's API answers
}

// At most `limit` bytes of `text`, control characters blanked, for quoting in a message.
std::string excerpt(std::string_view text, std::size_t limit = 200) {
  std::string out;
  for (char c : text.substr(0, limit)) out.push_back(static_cast<unsigned char>(c) < 0x20 ? ' ' : c);
  if (text.size() > limit) out += "...";
  return out;
}

void redact(std::string& text, std::string_view secret) {
  if (secret.empty()) return;
  constexpr std::string_view mark = "[redacted]";
  for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at + mark.size()))
    text.replace(at, secret.size(), mark);
}

struct VendorWords {
  std::string message;
  std::string code;
};

// {"error": {"message", "code" or "type"}} (OpenAI, Anthropic, and the servers that copy them)
// or {"error": "text"} (Ollama); else an excerpt of whatever the body is.
VendorWords vendor_words(std::string_view body) {
  json::error_code ec;
  auto parsed = json::parse(body, ec);
  if (!ec && parsed.is_object()) {
    const auto* error = parsed.get_object().if_contains("error");
    if (error && error->is_string()) return {std::string(error->get_string()), ""};
    if (error && error->is_object()) {
      const auto& fields = error->get_object();
      auto code = string_field(fields, "code");
      if (code.empty()) code = string_field(fields, "type");
      return {std::string(string_field(fields, "message")), std::string(code)};
    }
  }
  return {excerpt(body), ""};
}

std::string_view credential_problem(int status) {
  switch (status) {
    case 401: return "the API key was not accepted";
    case 402: return "the account cannot pay for this (billing)";
    default: return "the API key is not allowed to do this";
  }
}

}  // namespace

boost::asio::awaitable<std::string> post(Post post, SseParser::Handler on_event) {
  bool streamed = static_cast<bool>(on_event);
  post.headers.emplace_back("content-type", "application/json");
  post.headers.emplace_back("accept", streamed ? "text/event-stream" : "application/json");
  SseParser events(std::move(on_event));
  std::function<void(std::string_view)> on_chunk;
  if (streamed) on_chunk = [&events](std::string_view piece) { events.feed(piece); };
  auto answer = co_await request(co_await boost::asio::this_coro::executor, "POST", std::move(post.url),
                                 std::move(post.headers), std::move(post.body), post.timeout, std::move(on_chunk),
                                 default_answer_limit, Destination::operator_configured);
  if (answer.status / 100 != 2) throw status_error(post.provider, answer, post.api_key);
  co_return std::move(answer.body);
}

ProviderError status_error(std::string_view provider, const HttpAnswer& answer, std::string_view api_key,
                           std::chrono::system_clock::time_point now) {
  auto [kind, retryable] = classify(answer.status);
  auto [message, code] = vendor_words(answer.body);
  // What the vendor says about a key is never quoted: it may echo part of it.
  bool credentials = answer.status == 401 || answer.status == 402 || answer.status == 403;
  auto said = credentials ? std::string(credential_problem(answer.status)) : excerpt(message, 500);
  auto text = fmt::format("{}: HTTP {}{}: {}", provider, answer.status,
                          code.empty() ? "" : " (" + excerpt(code, 100) + ")", said);
  auto request_id = answer.header("request-id");
  if (request_id.empty()) request_id = answer.header("x-request-id");
  if (!request_id.empty()) text += fmt::format(" [request id {}]", excerpt(request_id, 100));
  redact(text, api_key);
  return ProviderError(kind, std::move(text), answer.status, retryable,
                       retryable ? retry_after(answer, now) : std::nullopt);
}

std::optional<std::chrono::milliseconds> retry_after(const HttpAnswer& answer,
                                                     std::chrono::system_clock::time_point now) {
  auto number = [](std::string_view text) -> std::optional<double> {
    double value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || !(value >= 0)) return std::nullopt;
    return value;
  };
  if (auto ms = number(answer.header("retry-after-ms")))
    return std::chrono::milliseconds(std::llround(*ms));
  auto text = std::string(answer.header("retry-after"));
  if (text.empty()) return std::nullopt;
  if (auto seconds = number(text)) return std::chrono::milliseconds(std::llround(*seconds * 1000));
  std::tm date{};
  const char* end = ::strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &date);
  if (!end || *end) return std::nullopt;
  auto wait = std::chrono::system_clock::from_time_t(::timegm(&date)) - now;
  return std::max(std::chrono::milliseconds(0), std::chrono::duration_cast<std::chrono::milliseconds>(wait));
}

std::string join_url(std::string_view base, std::string_view path) {
  while (base.ends_with('/')) base.remove_suffix(1);
  return std::string(base).append(path);
}

json::object parse_object(std::string_view provider, std::string_view what, std::string_view text) {
  json::error_code ec;
  auto value = json::parse(text, ec);
  if (!ec && value.is_object()) return std::move(value.get_object());
  throw ProviderError(ErrorKind::unavailable,
                      fmt::format("{}: {} is not a JSON object ({}): {}", provider, what,
                                  ec ? ec.message() : "another JSON value", excerpt(text, 120)),
                      200, false);
}

json::value parse_arguments(std::string_view provider, std::string_view tool, std::string_view text) {
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) return json::object();
  json::error_code ec;
  auto value = json::parse(text, ec);
  if (ec)
    throw ProviderError(ErrorKind::unavailable,
                        fmt::format("{}: the model's arguments for tool {} are not valid JSON ({}): {}", provider,
                                    tool, ec.message(), excerpt(text, 120)),
                        200, false);
  return value;
}

std::string_view string_field(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value && value->is_string() ? std::string_view(value->get_string()) : std::string_view();
}

std::int64_t integer_field(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  if (!value) return 0;
  if (value->is_int64()) return value->get_int64();
  if (value->is_uint64()) return static_cast<std::int64_t>(value->get_uint64());
  return 0;
}

const json::object* object_field(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value ? value->if_object() : nullptr;
}

const json::array* array_field(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value ? value->if_array() : nullptr;
}

}  // namespace de::ai::vendor
