#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

#include "core/error.hpp"
#include "http/beast_request.hpp"
#include "http/router.hpp"

using namespace de;
namespace asio = boost::asio;

namespace {
http::Response dispatch(const http::Router& router, const std::string& method, const std::string& path) {
  asio::io_context io;
  http::Request request;
  request.method = method;
  request.path = path;
  auto future = asio::co_spawn(io, router.dispatch(request), asio::use_future);
  io.run();
  return future.get();
}

http::Handler reply(std::string text) {
  return [text](http::Request& r) -> asio::awaitable<http::Response> {
    auto body = boost::json::object{{"text", text}, {"route", r.route}};
    for (auto& [k, v] : r.path_params) body[k] = v;
    co_return http::Response::json(200, body);
  };
}

boost::json::object body_of(const http::Response& r) { return boost::json::parse(r.body).as_object(); }
}  // namespace

TEST(HttpRouter, MatchesTemplatesAndCapturesParams) {
  http::Router router;
  router.add("GET", "/api/v1/agents", reply("list"));
  router.add("GET", "/api/v1/agents/{id}", reply("one"));
  router.add("POST", "/api/v1/agents/{id}/start", reply("start"));
  auto one = body_of(dispatch(router, "GET", "/api/v1/agents/abc"));
  EXPECT_EQ(one["text"], "one");
  EXPECT_EQ(one["id"], "abc");
  EXPECT_EQ(one["route"], "/api/v1/agents/{id}");
  EXPECT_EQ(body_of(dispatch(router, "POST", "/api/v1/agents/abc/start"))["text"], "start");
  EXPECT_EQ(body_of(dispatch(router, "GET", "/api/v1/agents/"))["text"], "list") << "trailing slash";
  EXPECT_EQ(dispatch(router, "HEAD", "/api/v1/agents").status, 200);
}

TEST(HttpRouter, AnswersUnknownRoutesAndWrongMethodsWithProblems) {
  http::Router router;
  router.add("GET", "/api/v1/agents/{id}", reply("one"));
  router.add("DELETE", "/api/v1/agents/{id}", reply("delete"));
  auto missing = dispatch(router, "GET", "/api/v1/nothing");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.content_type, "application/problem+json");
  EXPECT_EQ(body_of(missing)["type"], "https://digital-enterprise.dev/problems/no-route");
  auto wrong = dispatch(router, "PUT", "/api/v1/agents/x");
  EXPECT_EQ(wrong.status, 405);
  ASSERT_EQ(wrong.headers.size(), 1u);
  EXPECT_EQ(wrong.headers[0].first, "Allow");
  EXPECT_EQ(wrong.headers[0].second, "DELETE, GET");
}

TEST(HttpRouter, PrefersLiteralSegmentsOverParameters) {
  http::Router router;
  router.add("GET", "/api/v1/tasks/{id}", reply("one"));
  router.add("POST", "/api/v1/tasks/batch", reply("batch"));
  EXPECT_EQ(body_of(dispatch(router, "POST", "/api/v1/tasks/batch"))["text"], "batch");
  EXPECT_EQ(body_of(dispatch(router, "GET", "/api/v1/tasks/abc"))["text"], "one");
  auto wrong = dispatch(router, "GET", "/api/v1/tasks/batch");
  EXPECT_EQ(wrong.status, 405) << "batch names the batch route, not a task";
  ASSERT_EQ(wrong.headers.size(), 1u);
  EXPECT_EQ(wrong.headers[0].second, "POST");
}

TEST(HttpRouter, KnowsTheBodyLimitOfTheRouteAPathNames) {
  http::Router router;
  router.add("POST", "/api/v1/leads", reply("create"));
  router.add("POST", "/api/v1/leads/import", reply("import"), 64 << 20);
  router.add("POST", "/api/v1/leads/{id}/score", reply("score"));
  router.add("PATCH", "/api/v1/leads/{id}", reply("change"));
  EXPECT_EQ(router.body_limit("POST", "/api/v1/leads/import"), std::size_t(64) << 20);
  EXPECT_EQ(router.body_limit("POST", "/api/v1/leads/import/"), std::size_t(64) << 20);
  EXPECT_EQ(router.body_limit("PATCH", "/api/v1/leads/import"), 0u);  // the import route owns the path: a 405
  EXPECT_EQ(router.body_limit("POST", "/api/v1/leads"), 0u);
  EXPECT_EQ(router.body_limit("POST", "/nowhere"), 0u);
  EXPECT_EQ(router.largest_body_limit(), std::size_t(64) << 20);
}

TEST(HttpRouter, TurnsHandlerErrorsIntoProblemJson) {
  http::Router router;
  router.add("GET", "/fail", [](http::Request&) -> asio::awaitable<http::Response> {
    throw core::Error(core::ErrorKind::validation, "name: is required", {{"name", "is required"}});
    co_return http::Response{};
  });
  router.add("GET", "/store", [](http::Request&) -> asio::awaitable<http::Response> {
    throw core::Error(core::ErrorKind::internal, "PostgreSQL: secret table detail");
    co_return http::Response{};
  });
  router.add("GET", "/crash", [](http::Request&) -> asio::awaitable<http::Response> {
    throw std::runtime_error("secret internals");
    co_return http::Response{};
  });
  auto fail = dispatch(router, "GET", "/fail");
  EXPECT_EQ(fail.status, 422);
  auto problem = body_of(fail);
  EXPECT_EQ(problem["status"], 422);
  EXPECT_EQ(problem["errors"].as_array().at(0).at("field"), "name");
  auto crash = dispatch(router, "GET", "/crash");
  EXPECT_EQ(crash.status, 500);
  EXPECT_EQ(crash.body.find("secret"), std::string::npos) << "internals are not leaked";
  auto store = dispatch(router, "GET", "/store");
  EXPECT_EQ(store.status, 500);
  EXPECT_EQ(store.body.find("secret"), std::string::npos) << "database errors are not leaked";
}

TEST(HttpRouter, FallsBackToStaticFilesOutsideTheApi) {
  http::Router router;
  router.set_fallback(reply("static"));
  EXPECT_EQ(body_of(dispatch(router, "GET", "/agents/123"))["text"], "static");
  EXPECT_EQ(dispatch(router, "GET", "/api/v1/unknown").status, 404);
  EXPECT_EQ(dispatch(router, "GET", "/ws/unknown").status, 404);
  EXPECT_EQ(dispatch(router, "POST", "/agents").status, 404);
}

namespace {
std::string client(const std::string& peer, std::vector<std::string_view> forwarded_for, std::string_view trusted) {
  return http::client_address(peer, forwarded_for, core::net::parse_networks(trusted, "DE_TRUSTED_PROXIES"));
}
}  // namespace

TEST(HttpClientAddress, IsThePeerUnlessThePeerIsATrustedProxy) {
  EXPECT_EQ(client("203.0.113.7", {"198.51.100.1"}, ""), "203.0.113.7");
  EXPECT_EQ(client("203.0.113.7", {"198.51.100.1"}, "10.0.0.0/8"), "203.0.113.7");
  EXPECT_EQ(client("10.1.2.3", {}, "10.0.0.0/8"), "10.1.2.3");
  EXPECT_EQ(client("10.1.2.3", {"198.51.100.1"}, "10.0.0.0/8"), "198.51.100.1");
}

TEST(HttpClientAddress, ReadsForwardedForFromTheRightPastTrustedHops) {
  // A client that writes the header itself only adds entries to the left of what proxies append.
  EXPECT_EQ(client("10.0.0.1", {"1.1.1.1, 198.51.100.1, 10.0.0.2"}, "10.0.0.0/8"), "198.51.100.1");
  // Several fields are one list, in order.
  EXPECT_EQ(client("10.0.0.1", {"1.1.1.1", "198.51.100.1,10.0.0.2"}, "10.0.0.0/8"), "198.51.100.1");
  EXPECT_EQ(client("::1", {"2001:db8::5"}, "::1/128"), "2001:db8::5");
  // Only trusted hops: the first of them.
  EXPECT_EQ(client("10.0.0.1", {"10.0.0.3, 10.0.0.2"}, "10.0.0.0/8"), "10.0.0.3");
}

TEST(HttpClientAddress, StopsAtAnEntryThatIsNotAnAddress) {
  EXPECT_EQ(client("10.0.0.1", {"198.51.100.1, unknown"}, "10.0.0.0/8"), "10.0.0.1");
  EXPECT_EQ(client("10.0.0.1", {"nonsense, 198.51.100.1"}, "10.0.0.0/8"), "198.51.100.1");
  EXPECT_EQ(client("10.0.0.1", {"198.51.100.1, 10.0.0.2, "}, "10.0.0.0/8"), "10.0.0.1");
}

TEST(HttpClientAddress, RefusesATrustListItCannotRead) {
  for (const char* bad : {"10.0.0.0/33", "proxy.internal", "10.0.0.0/8,x"}) {
    try {
      core::net::parse_networks(bad, "DE_TRUSTED_PROXIES");
      ADD_FAILURE() << bad;
    } catch (const core::Error& e) {
      EXPECT_NE(std::string(e.what()).find("DE_TRUSTED_PROXIES"), std::string::npos) << e.what();
    }
  }
}
