#pragma once
// An HTTP/1.1 client for the server's event loop (Boost.Beast): a coroutine per call, so that
// hundreds of calls wait on one thread. http:// and https:// (TLS with the system's CA store,
// peer and host-name verification, SNI); one deadline for the whole call; the body read whole
// or handed over piece by piece as it arrives (server-sent events) in bounded memory.
// Connections are kept alive and reused: a pool per execution context (io_context) of idle
// connections per origin (scheme, host, port), at most 32 each, none kept idle past 45 s. A
// connection goes back to it when its answer was read whole, streamed or not, and the server
// did not close it (`Connection: close`, HTTP/1.0, a body that ends with the connection). A
// reused connection found closed before any byte of the answer came (the server closed it
// while idle) is replaced by a fresh one and the request sent once more: only then, never
// after part of an answer arrived.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace de::ai {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpAnswer {
  int status = 0;
  HttpHeaders headers;  // names in lower case
  std::string body;     // empty when a 2xx body went to on_chunk

  // The first field of that name (given in lower case); empty when there is none.
  std::string_view header(std::string_view name) const;
};

// Who chose where a call goes. A URL a user set (an integration's base URL, a webhook
// subscription) is guarded: an address core::outbound's policy refuses (loopback, private,
// link-local, ...) is never connected to, whatever its name resolved to. The AI providers' base
// URLs come from the operator's configuration (a local model server on loopback is usual).
enum class Destination { user_chosen, operator_configured };

// The host an http:// or https:// URL names, in lower case; empty for any other text.
std::string url_host(std::string_view url);

inline constexpr std::size_t default_answer_limit = 16 * 1024 * 1024;

// Sends `method url` with `headers` and `body` (Host and Content-Length are set here) over a
// pooled connection or a new one, and reads the answer; `timeout` bounds the whole call, name resolution included. With
// `on_chunk`, a 2xx answer's body goes there piece by piece as it arrives; other statuses are
// read whole into `body`, for their error details. Throws ProviderError: retryable when the
// deadline passes (kind timeout) or the connection fails or breaks (unavailable); not retryable
// for a URL it cannot use, an address the outbound guard refuses (kind forbidden), a TLS
// handshake or certificate that fails, or an answer over `answer_limit` bytes. Exceptions from `on_chunk` pass through unchanged.
boost::asio::awaitable<HttpAnswer> request(boost::asio::any_io_executor executor, std::string method, std::string url,
                                           HttpHeaders headers, std::string body, std::chrono::milliseconds timeout,
                                           std::function<void(std::string_view)> on_chunk = {},
                                           std::size_t answer_limit = default_answer_limit,
                                           Destination destination = Destination::user_chosen);

}  // namespace de::ai
