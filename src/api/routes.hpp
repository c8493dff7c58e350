#pragma once
#include "api/context.hpp"

namespace de::api {

// Every REST route of the platform.
void add_routes(Context& ctx, http::Router& router);

}  // namespace de::api
