#pragma once
// One error type for the whole platform; the API turns it into RFC 9457 problem+json.
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace de::core {

enum class ErrorKind {
  bad_request,
  unauthorized,
  forbidden,
  account_deactivated,  // the right password for an account an admin deactivated
  not_found,
  no_route,
  method_not_allowed,
  conflict,
  payload_too_large,
  headers_too_large,
  unsupported_media_type,
  validation,
  too_many_requests,
  budget_exceeded,  // an AI budget was reached: the model was not called
  bad_gateway,  // an upstream service (an AI provider) answered, but not usably
  unavailable,
  timeout,
  not_implemented,
  internal,
};

struct FieldError {
  std::string field;
  std::string message;
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, std::string detail, std::vector<FieldError> fields = {});

  ErrorKind kind() const { return kind_; }
  const std::vector<FieldError>& fields() const { return fields_; }

  int retry_after_seconds = 0;  // for too_many_requests

 private:
  ErrorKind kind_;
  std::vector<FieldError> fields_;
};

int http_status(ErrorKind kind);
std::string_view slug(ErrorKind kind);
std::string_view title(ErrorKind kind);

Error not_found(std::string_view resource, std::string_view id);
Error validation_error(std::string field, std::string message);

}  // namespace de::core
