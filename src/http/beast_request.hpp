#pragma once
// A request Beast has parsed, as the router and handlers see it: the server's one conversion,
// shared with the HTTP fuzz target (tests/fuzz/http_request_fuzz.cpp).
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <cstddef>
#include <string>
#include <vector>

#include "core/net_address.hpp"
#include "http/message.hpp"

namespace de::http {

inline constexpr std::size_t request_header_limit = 32 * 1024;  // the request line and header fields together

// Moves the body out of `in`. The request id is the client's X-Request-Id when it is printable
// ASCII of at most 128 characters, else a new one. The remote address is `client_address`'s.
Request to_request(boost::beast::http::request<boost::beast::http::string_body>& in, const std::string& peer,
                   const std::vector<core::net::Network>& trusted_proxies);

// Who the client is (login throttling, the audit log, the request log): the connection's `peer`,
// unless the peer is one of the `trusted_proxies` (DE_TRUSTED_PROXIES). Then X-Forwarded-For
// (every such field, in order, comma-separated) is read from the right, each proxy having
// appended the address it was connected from: the first address that is not a trusted proxy
// is the client. An entry that is not an address ends the walk at the last hop that was one,
// so a client cannot pass for another by writing the header itself.
std::string client_address(const std::string& peer, const std::vector<std::string_view>& forwarded_for,
                           const std::vector<core::net::Network>& trusted_proxies);

}  // namespace de::http
