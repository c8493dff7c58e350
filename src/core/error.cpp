#include "core/error.hpp"

#include <fmt/format.h>

namespace de::core {

Error::Error(ErrorKind kind, std::string detail, std::vector<FieldError> fields)
    : std::runtime_error(std::move(detail)), kind_(kind), fields_(std::move(fields)) {}

namespace {
struct KindInfo {
  int status;
  std::string_view slug;
  std::string_view title;
};

KindInfo info(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::bad_request: return {400, "bad-request", "Bad request"};
    case ErrorKind::unauthorized: return {401, "unauthorized", "Authentication required"};
    case ErrorKind::forbidden: return {403, "forbidden", "Permission denied"};
    case ErrorKind::account_deactivated: return {403, "account-deactivated", "Account deactivated"};
    case ErrorKind::not_found: return {404, "not-found", "Resource not found"};
    case ErrorKind::no_route: return {404, "no-route", "No such route"};
    case ErrorKind::method_not_allowed: return {405, "method-not-allowed", "Method not allowed"};
    case ErrorKind::conflict: return {409, "conflict", "Conflict"};
    case ErrorKind::payload_too_large: return {413, "payload-too-large", "Payload too large"};
    case ErrorKind::headers_too_large:
      return {431, "request-header-fields-too-large", "Request header fields too large"};
    case ErrorKind::unsupported_media_type:
      return {415, "unsupported-media-type", "Unsupported media type"};
    case ErrorKind::validation: return {422, "validation", "Validation failed"};
    case ErrorKind::too_many_requests: return {429, "too-many-requests", "Too many requests"};
    case ErrorKind::budget_exceeded: return {429, "budget-exceeded", "Budget exceeded"};
    case ErrorKind::bad_gateway: return {502, "bad-gateway", "Bad gateway"};
    case ErrorKind::unavailable: return {503, "unavailable", "Service unavailable"};
    case ErrorKind::timeout: return {504, "timeout", "Timed out"};
    case ErrorKind::not_implemented: return {501, "not-implemented", "Not implemented yet"};
    case ErrorKind::internal: break;
  }
  return {500, "internal", "Internal server error"};
}
}  // namespace

int http_status(ErrorKind kind) { return info(kind).status; }
std::string_view slug(ErrorKind kind) { return info(kind).slug; }
std::string_view title(ErrorKind kind) { return info(kind).title; }

Error not_found(std::string_view resource, std::string_view id) {
  return Error(ErrorKind::not_found, fmt::format("{} {} does not exist", resource, id));
}

Error validation_error(std::string field, std::string message) {
  std::string detail = field + ": " + message;
  return Error(ErrorKind::validation, std::move(detail), {{std::move(field), std::move(message)}});
}

}  // namespace de::core
