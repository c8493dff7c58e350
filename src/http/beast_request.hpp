#pragma once
// A request Beast has parsed, as the router and handlers see it: the server's one conversion,
// shared with the HTTP fuzz target (tests/fuzz/http_request_fuzz.cpp).
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <cstddef>
#include <string>

#include "http/message.hpp"

namespace de::http {

inline constexpr std::size_t request_header_limit = 32 * 1024;  // the request line and header fields together

// Moves the body out of `in`. The request id is the client's X-Request-Id when it is printable
// ASCII of at most 128 characters, else a new one.
Request to_request(boost::beast::http::request<boost::beast::http::string_body>& in, const std::string& remote);

}  // namespace de::http
