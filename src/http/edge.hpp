#pragma once
// What every answer carries at the HTTP edge (docs/security.md, "HTTP edge"): the security
// header fields (a Content-Security-Policy per kind of answer, framing refused, no referrer,
// HSTS behind TLS), `Cache-Control: no-store` on the API, the CORS policy for the configured
// origins, and which WebSocket upgrades may open (Origin checked against the same list).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.hpp"

namespace de::http {

struct EdgeOptions {
  std::vector<std::string> cors_origins;  // exact, lower-case origins ("https://app.example.com")
  bool tls = false;                       // the server speaks HTTPS: HSTS is sent
};

class Edge {
 public:
  explicit Edge(EdgeOptions options);

  // A CORS preflight (OPTIONS under /api/ with Origin and Access-Control-Request-Method): its
  // answer, 204 with the allowed methods and headers for an allowed origin, 403 without any
  // CORS field for another. Anything else: nullopt.
  std::optional<Response> preflight(const Request& request) const;
  // Adds to an answer what depends on the request: the CORS fields for an allowed origin,
  // `Vary: Origin` when origins are configured, `Cache-Control: no-store` on /api/ answers
  // that set no Cache-Control of their own.
  void decorate(const Request& request, Response& response) const;
  // The security header fields of an answer ("Name: value\r\n" lines), the same text for
  // every answer of its kind: the dashboard's pages, the API reference, everything else.
  std::string_view security_fields(const Request& request, const Response& response) const;
  std::string_view security_fields() const { return api_fields_; }  // before a request is read
  // A WebSocket upgrade opens when it comes from no browser (no Origin), from the page's own
  // origin (Origin's host is the Host the client asked for) or from an allowed origin.
  bool websocket_allowed(const Request& request) const;

 private:
  bool allowed_origin(std::string_view origin) const;
  EdgeOptions options_;
  std::string api_fields_, dashboard_fields_, docs_fields_;
};

}  // namespace de::http
