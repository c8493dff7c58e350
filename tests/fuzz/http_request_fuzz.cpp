// Fuzz target: an HTTP request as raw bytes, the way the server reads one without the socket:
// Beast's parser with the server's limits, the server's conversion (http/beast_request), the
// router with every route of the OpenAPI document (the API's own table: tests/contract checks
// that the two agree), and handlers that parse and read the JSON body as the API's do. Any input
// ends in a parse error or an answer that is not a 500.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/json.hpp>

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>

#include "core/json.hpp"
#include "http/beast_request.hpp"
#include "http/router.hpp"

namespace {
namespace bhttp = boost::beast::http;
using de::http::Request;
using de::http::Response;

boost::asio::awaitable<Response> api_handler(Request& request) {
  for (const auto& [name, value] : request.path_params)
    if (request.param(name) != value) __builtin_trap();
  request.query("limit");
  request.header("authorization");
  if (request.method == "POST" || request.method == "PUT" || request.method == "PATCH") {
    auto body = de::core::parse_object(request.body);
    de::core::ObjectReader reader(body);
    reader.string("name", false, 200);
    reader.integer("limit", false, 1, 1000);
    reader.strings("tags", false);
    for (const auto& member : body) reader.any(member.key(), false);
    reader.finish();
  }
  co_return Response::json(200, boost::json::object{{"route", request.route}});
}

const de::http::Router& router() {
  static const de::http::Router instance = [] {
    de::http::Router r;
    std::ifstream file(DE_SOURCE_DIR "/src/api/openapi.json");
    std::stringstream text;
    text << file.rdbuf();
    auto document = boost::json::parse(text.str()).as_object();
    for (const auto& [path, operations] : document.at("paths").as_object())
      for (const auto& [method, operation] : operations.as_object()) {
        std::string upper(method);
        for (auto& c : upper) c = char(std::toupper(static_cast<unsigned char>(c)));
        if (upper != "PARAMETERS") r.add(upper, std::string(path), api_handler);
      }
    r.set_fallback([](Request&) -> boost::asio::awaitable<Response> { co_return Response::no_content(); });
    return r;
  }();
  return instance;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  bhttp::request_parser<bhttp::string_body> parser;
  parser.header_limit(de::http::request_header_limit);
  parser.body_limit(1024 * 1024);  // ServerOptions::body_limit
  parser.eager(true);
  boost::beast::error_code ec;
  std::size_t offset = 0;
  while (!parser.is_done()) {
    auto used = parser.put(boost::asio::buffer(data + offset, size - offset), ec);
    offset += used;
    if (ec == bhttp::error::need_more && offset == size) {
      parser.put_eof(ec);
      break;
    }
    if (ec && ec != bhttp::error::need_more) return 0;
    if (used == 0) break;
  }
  if (ec || !parser.is_done()) return 0;

  // Every address a trusted proxy: X-Forwarded-For is read to its first entry.
  static const auto trusted = de::core::net::parse_networks("0.0.0.0/0,::/0", "fuzz");
  Request request = de::http::to_request(parser.get(), "127.0.0.1", trusted);
  static boost::asio::io_context io;
  Response response;
  boost::asio::co_spawn(io, router().dispatch(request), [&](std::exception_ptr error, Response r) {
    if (error) __builtin_trap();  // the router answers every error
    response = std::move(r);
  });
  io.restart();
  io.run();
  if (response.status >= 500) __builtin_trap();  // an input the API does not handle
  return 0;
}
