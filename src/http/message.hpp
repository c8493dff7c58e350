#pragma once
// HTTP request and response as the router and handlers see them (Beast stays in server.cpp).
#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace de::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method;
  std::string target;  // as sent
  std::string path;    // percent-decoded
  std::vector<std::pair<std::string, std::string>> query_params;  // decoded
  Headers headers;                                                 // names lower-case
  std::string body;
  std::string remote_address;
  bool tls = false;  // came over HTTPS (WSS) to this server
  std::string request_id;
  std::string route;  // the matched path template, e.g. /api/v1/agents/{id}
  std::size_t slot = std::size_t(-1);  // the route's metrics slot (Router::slots)
  std::vector<std::pair<std::string, std::string>> path_params;
  // Header fields for whatever answer the request gets, an error's too (rate-limit state).
  Headers response_headers;

  std::string_view header(std::string_view lower_name) const;
  std::optional<std::string> query(std::string_view key) const;
  const std::string& param(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  Headers headers;
  std::string body;

  static Response json(int status, const boost::json::value& value);
  static Response json_text(int status, std::string body);  // `body`: JSON text already
  static Response no_content();
  // RFC 9457 problem+json.
  static Response problem(const core::Error& error);
  void set_header(std::string name, std::string value);
};

}  // namespace de::http
