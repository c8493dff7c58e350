#include "http/edge.hpp"

#include <boost/beast/core/string.hpp>

#include <algorithm>

namespace de::http {

namespace {

// The built dashboard (Vite) has no inline script or style: its own files, data: images (the
// icon), fetch and WebSocket to its own origin ('self' covers ws: and wss: there).
constexpr std::string_view dashboard_policy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";
// Swagger UI sets style attributes through its markup (its own icons are data: images).
constexpr std::string_view docs_policy =
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'";
// JSON, scripts, style sheets, images: nothing in them may load or run anything.
constexpr std::string_view resource_policy = "default-src 'none'; frame-ancestors 'none'";

constexpr std::string_view allowed_methods = "GET, POST, PUT, PATCH, DELETE";
constexpr std::string_view allowed_headers = "Authorization, Content-Type, X-API-Key, X-Request-Id, Idempotency-Key";
constexpr std::string_view exposed_headers =
    "Location, Retry-After, X-Request-Id, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset";

bool is_api(std::string_view path) { return path == "/api" || path.starts_with("/api/"); }

bool has_header(const Response& response, std::string_view name) {
  return std::any_of(response.headers.begin(), response.headers.end(),
                     [&](const auto& field) { return boost::beast::iequals(field.first, name); });
}

std::string fields(std::string_view policy, bool tls) {
  std::string out;
  out.append("Content-Security-Policy: ").append(policy).append("\r\n");
  out.append("X-Content-Type-Options: nosniff\r\nX-Frame-Options: DENY\r\nReferrer-Policy: no-referrer\r\n");
  out.append("Cross-Origin-Opener-Policy: same-origin\r\n");
  if (tls) out.append("Strict-Transport-Security: max-age=31536000\r\n");
  return out;
}

}  // namespace

Edge::Edge(EdgeOptions options)
    : options_(std::move(options)),
      api_fields_(fields(resource_policy, options_.tls)),
      dashboard_fields_(fields(dashboard_policy, options_.tls)),
      docs_fields_(fields(docs_policy, options_.tls)) {}

bool Edge::allowed_origin(std::string_view origin) const {
  return std::any_of(options_.cors_origins.begin(), options_.cors_origins.end(),
                     [&](const std::string& allowed) { return boost::beast::iequals(allowed, origin); });
}

std::optional<Response> Edge::preflight(const Request& request) const {
  if (request.method != "OPTIONS" || !is_api(request.path)) return std::nullopt;
  auto origin = request.header("origin");
  if (origin.empty() || request.header("access-control-request-method").empty()) return std::nullopt;
  if (!allowed_origin(origin))
    return Response::problem(core::Error(
        core::ErrorKind::forbidden, "the origin " + std::string(origin) + " may not call this API (DE_CORS_ORIGINS)"));
  // The origin's own fields (Allow-Origin, Vary: Origin) are decorate's, as on every API answer.
  auto answer = Response::no_content();
  answer.set_header("Access-Control-Allow-Methods", std::string(allowed_methods));
  answer.set_header("Access-Control-Allow-Headers", std::string(allowed_headers));
  answer.set_header("Access-Control-Max-Age", "600");
  answer.set_header("Vary", "Access-Control-Request-Method, Access-Control-Request-Headers");
  return answer;
}

void Edge::decorate(const Request& request, Response& response) const {
  if (!is_api(request.path)) return;
  if (!has_header(response, "Cache-Control")) response.headers.emplace_back("Cache-Control", "no-store");
  if (options_.cors_origins.empty()) return;
  response.headers.emplace_back("Vary", "Origin");
  auto origin = request.header("origin");
  if (origin.empty() || !allowed_origin(origin)) return;
  response.headers.emplace_back("Access-Control-Allow-Origin", std::string(origin));
  response.headers.emplace_back("Access-Control-Expose-Headers", std::string(exposed_headers));
}

std::string_view Edge::security_fields(const Request& request, const Response& response) const {
  if (!response.content_type.starts_with("text/html")) return api_fields_;
  return request.path == "/api/docs" ? docs_fields_ : dashboard_fields_;
}

bool Edge::websocket_allowed(const Request& request) const {
  auto origin = request.header("origin");
  if (origin.empty()) return true;  // not a browser: no page of another site is behind it
  if (allowed_origin(origin)) return true;
  auto authority = origin;
  if (authority.starts_with("https://")) authority.remove_prefix(8);
  else if (authority.starts_with("http://")) authority.remove_prefix(7);
  else return false;
  auto host = request.header("host");
  return !host.empty() && boost::beast::iequals(authority, host);
}

}  // namespace de::http
