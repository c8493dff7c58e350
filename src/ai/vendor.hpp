#pragma once
// What the network providers share: posting JSON to a vendor's API, turning its failures into
// ProviderErrors (status, message, Retry-After; the API key never quoted back) and reading its
// JSON leniently (clients must ignore what they do not know).
#include <boost/asio/awaitable.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ai/chat.hpp"
#include "ai/http_client.hpp"
#include "ai/sse.hpp"

namespace de::ai::vendor {

struct Post {
  std::string_view provider;  // names the vendor in error messages
  std::string url;
  HttpHeaders headers;  // Content-Type is added
  std::string body;     // JSON
  std::chrono::milliseconds timeout;
  std::string_view api_key;  // taken out of anything the vendor says that is quoted back
};

// POSTs `post.body` on the calling coroutine's executor. Returns the 2xx answer's body, or,
// given `on_event`, hands over its server-sent events as they come and returns "". Throws
// ProviderError (status_error for a status other than 2xx).
boost::asio::awaitable<std::string> post(Post post, SseParser::Handler on_event = {});

// A vendor's answer other than 2xx as an error: 429, 408, 409 and 5xx (529 too) retryable, with
// Retry-After; 401, 402 and 403 not, their text never quoted (it may echo part of the key);
// other 4xx not, as bad_request. The message carries the vendor's own words and request id.
ProviderError status_error(std::string_view provider, const HttpAnswer& answer, std::string_view api_key,
                           std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

// The wait an answer asks for: `retry-after-ms` (OpenAI's), else `Retry-After` in seconds or
// as an HTTP date; nullopt when there is neither or it does not parse.
std::optional<std::chrono::milliseconds> retry_after(const HttpAnswer& answer,
                                                     std::chrono::system_clock::time_point now);

// `base` (with or without a trailing slash) and `path`.
std::string join_url(std::string_view base, std::string_view path);

// A JSON object from the vendor; throws ProviderError (not retryable) naming the provider and
// `what` when the text is not one.
boost::json::object parse_object(std::string_view provider, std::string_view what, std::string_view text);

// A tool call's arguments as the model wrote them: empty text is no arguments ({}).
boost::json::value parse_arguments(std::string_view provider, std::string_view tool, std::string_view text);

// Lenient field reads: a missing field, or one of another type, reads as empty, 0 or nullptr.
std::string_view string_field(const boost::json::object& object, std::string_view key);
std::int64_t integer_field(const boost::json::object& object, std::string_view key);
const boost::json::object* object_field(const boost::json::object& object, std::string_view key);
const boost::json::array* array_field(const boost::json::object& object, std::string_view key);

}  // namespace de::ai::vendor
