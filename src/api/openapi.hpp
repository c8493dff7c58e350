#pragma once
#include <string_view>

namespace de::api {

// The OpenAPI 3.1 document (src/api/openapi.json, embedded at build time).
std::string_view openapi_document();

}  // namespace de::api
