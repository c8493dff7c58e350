#pragma once
// Routes (method + path template with {params}) to handlers; unknown paths 404, known paths
// with another method 405 with Allow; a handler's core::Error becomes problem+json.
#include <boost/asio/awaitable.hpp>

#include <functional>
#include <string>
#include <vector>

#include "http/message.hpp"
#include "http/websocket.hpp"

namespace de::http {

using Handler = std::function<boost::asio::awaitable<Response>(Request&)>;

struct RouteInfo {
  std::string method;
  std::string path;  // template
};

class Router {
 public:
  // `body_limit`: the largest request body this route takes, when it is more than the
  // server's (0: the server's); the server reads it before it dispatches.
  void add(std::string method, std::string path_template, Handler handler, std::size_t body_limit = 0);
  // The body limit of the route `method` `path` names (0: the server's).
  std::size_t body_limit(std::string_view method, std::string_view path) const;
  std::size_t largest_body_limit() const { return largest_body_limit_; }
  // For paths no route matches and outside /api/ and /ws/ (the dashboard's files).
  void set_fallback(Handler handler) { fallback_ = std::move(handler); }

  void add_websocket(std::string path, WebSocketEndpoint endpoint);
  const WebSocketEndpoint* websocket(std::string_view path) const;

  // Sets the request's `route` and `slot`.
  boost::asio::awaitable<Response> dispatch(Request& request) const;
  std::vector<RouteInfo> routes() const;

  // Metrics slots, one per label set a request can be counted under: every route, every
  // WebSocket path (GET), then "(static)" (the dashboard's files) and "(none)" (404 and 405
  // alike, any method: a label per unknown path would grow without bound).
  std::vector<RouteInfo> slots() const;
  std::size_t websocket_slot(std::string_view path) const;  // the "(none)" slot when unknown
  std::size_t static_slot() const { return routes_.size() + websockets_.size(); }
  std::size_t none_slot() const { return static_slot() + 1; }

 private:
  struct Segment {
    std::string text;  // a literal, or a {parameter}'s name
    bool parameter = false;
  };
  struct Route {
    std::string method;
    std::string path;
    std::vector<Segment> segments;
    Handler handler;
    std::size_t literals = 0;  // segments that are not {parameters}
    std::size_t body_limit = 0;
  };
  static bool matches(const Route& route, const std::vector<std::string_view>& segments);
  // The routes that own `segments`: of those matching, the ones with the most literal segments.
  std::vector<const Route*> owners(const std::vector<std::string_view>& segments) const;
  static void capture(const Route& route, const std::vector<std::string_view>& segments,
                      std::vector<std::pair<std::string, std::string>>& params);
  std::vector<Route> routes_;
  std::vector<std::vector<std::size_t>> by_length_;  // routes_ indexes by their segment count
  std::vector<std::pair<std::string, WebSocketEndpoint>> websockets_;
  Handler fallback_;
  std::size_t largest_body_limit_ = 0;
};

}  // namespace de::http
