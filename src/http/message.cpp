#include "http/message.hpp"

#include <boost/json.hpp>

#include <algorithm>

#include "core/json.hpp"

namespace de::http {

std::string_view Request::header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers)
    if (name == lower_name) return value;
  return {};
}

std::optional<std::string> Request::query(std::string_view key) const {
  for (const auto& [name, value] : query_params)
    if (name == key) return value;
  return std::nullopt;
}

const std::string& Request::param(std::string_view name) const {
  static const std::string empty;
  for (const auto& [key, value] : path_params)
    if (key == name) return value;
  return empty;
}

Response Response::json(int status, const boost::json::value& value) {
  return json_text(status, core::to_text(value));
}

Response Response::json_text(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

Response Response::no_content() {
  Response r;
  r.status = 204;
  r.content_type.clear();
  return r;
}

Response Response::problem(const core::Error& error) {
  boost::json::object body{
      {"type", "https://digital-enterprise.dev/problems/" + std::string(core::slug(error.kind()))},
      {"title", core::title(error.kind())},
      {"status", core::http_status(error.kind())},
      // An internal error's text names our database or libraries: it goes to the log only.
      {"detail", error.kind() == core::ErrorKind::internal
                     ? "internal error; the server log has the details"
                     : error.what()}};
  if (!error.fields().empty()) {
    boost::json::array fields;
    for (const auto& f : error.fields()) fields.push_back({{"field", f.field}, {"message", f.message}});
    body["errors"] = std::move(fields);
  }
  Response r = json(core::http_status(error.kind()), body);
  r.content_type = "application/problem+json";
  if (error.kind() == core::ErrorKind::unauthorized) r.set_header("WWW-Authenticate", "Bearer");
  if (error.retry_after_seconds > 0)
    r.set_header("Retry-After", std::to_string(error.retry_after_seconds));
  return r;
}

void Response::set_header(std::string name, std::string value) {
  for (auto& [n, v] : headers)
    if (n == name) {
      v = std::move(value);
      return;
    }
  headers.emplace_back(std::move(name), std::move(value));
}

}  // namespace de::http
