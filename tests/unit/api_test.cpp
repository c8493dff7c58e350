#include <gtest/gtest.h>

#include <set>

#include "api/openapi.hpp"
#include "api/routes.hpp"
#include "test_database.hpp"

using namespace de;

TEST(Api, OpenApiDocumentListsExactlyTheRoutesServed) {
  de::testing::TestDatabase database("sqlite");
  core::Config config;
  bus::MessageRouter bus(*database.db);
  analytics::Registry registry;
  boost::asio::thread_pool cpu(1);
  boost::asio::io_context io;
  hub::OrchestrationHub hub(io, *database.db, bus, {}, nullptr);
  workflow::WorkflowEngine workflows(io, *database.db, bus, hub);
  api::Context ctx{config, *database.db, bus, bus, hub, workflows, registry, cpu, auth::JwtCodec("secret-secret-secret-secret-32b!", 900),
                   auth::LoginThrottle()};
  http::Router router;
  api::add_routes(ctx, router);

  std::set<std::string> served, documented;
  for (const auto& r : router.routes()) {
    std::string method = r.method;
    for (auto& c : method) c = char(std::tolower(c));
    served.insert(method + " " + r.path);
  }
  auto doc = boost::json::parse(api::openapi_document()).as_object();
  EXPECT_EQ(doc["openapi"], "3.1.0");
  for (const auto& [path, item] : doc["paths"].as_object())
    for (const auto& [method, op] : item.as_object()) documented.insert(std::string(method) + " " + std::string(path));
  EXPECT_EQ(served, documented);
  cpu.join();
}

TEST(Api, JsonBodiesNeedTheJsonContentType) {
  http::Request r;
  r.body = R"({"a":1})";
  r.headers = {{"content-type", "text/plain"}};
  try {
    api::json_body(r);
    FAIL();
  } catch (const core::Error& e) {
    EXPECT_EQ(e.kind(), core::ErrorKind::unsupported_media_type);
  }
  r.headers = {{"content-type", "application/json; charset=utf-8"}};
  EXPECT_EQ(api::json_body(r).at("a").as_int64(), 1);
  r.headers = {{"content-type", "application/jsonx"}};
  EXPECT_THROW(api::json_body(r), core::Error);
}

TEST(Api, PageRequestsValidateLimitAndCursor) {
  http::Request r;
  EXPECT_EQ(api::page_request(r).limit, 50);
  r.query_params = {{"limit", "500"}, {"cursor", "01a20ce4-61b4-7003-b6ba-9486d2112aa4"}};
  EXPECT_EQ(api::page_request(r).limit, 500);
  for (const char* bad : {"0", "501", "ten", "5x"}) {
    r.query_params = {{"limit", bad}};
    EXPECT_THROW(api::page_request(r), core::Error) << bad;
  }
  r.query_params = {{"cursor", "nope"}};
  EXPECT_THROW(api::page_request(r), core::Error);
}
