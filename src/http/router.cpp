#include "http/router.hpp"

#include <spdlog/spdlog.h>

#include "core/json.hpp"

#include <set>

namespace de::http {

namespace {
std::vector<std::string_view> split(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    if (path.front() == '/') path.remove_prefix(1);
    auto slash = path.find('/');
    if (path.empty()) break;  // a trailing slash names the same resource
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash);
  }
  return out;
}

bool is_parameter(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}
}  // namespace

void Router::add(std::string method, std::string path_template, Handler handler, std::size_t body_limit) {
  Route route{std::move(method), std::move(path_template), {}, std::move(handler), 0, body_limit};
  largest_body_limit_ = std::max(largest_body_limit_, body_limit);
  for (auto s : split(route.path)) {
    bool parameter = is_parameter(s);
    route.segments.push_back({std::string(parameter ? s.substr(1, s.size() - 2) : s), parameter});
    if (!parameter) ++route.literals;
  }
  if (by_length_.size() <= route.segments.size()) by_length_.resize(route.segments.size() + 1);
  by_length_[route.segments.size()].push_back(routes_.size());
  routes_.push_back(std::move(route));
}

bool Router::matches(const Route& route, const std::vector<std::string_view>& segments) {
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const auto& pattern = route.segments[i];
    if (pattern.parameter ? segments[i].empty() : pattern.text != segments[i]) return false;
  }
  return true;
}

void Router::capture(const Route& route, const std::vector<std::string_view>& segments,
                     std::vector<std::pair<std::string, std::string>>& params) {
  params.clear();
  for (std::size_t i = 0; i < segments.size(); ++i)
    if (route.segments[i].parameter) params.emplace_back(route.segments[i].text, std::string(segments[i]));
}

std::vector<const Router::Route*> Router::owners(const std::vector<std::string_view>& segments) const {
  // The path's owner is the matching template with the most literal segments, so that
  // GET /tasks/batch is a 405 from POST /tasks/batch, not a lookup of the task "batch".
  static const std::vector<std::size_t> none;
  const auto& candidates = segments.size() < by_length_.size() ? by_length_[segments.size()] : none;
  std::size_t best_literals = 0;
  for (auto index : candidates)
    if (matches(routes_[index], segments)) best_literals = std::max(best_literals, routes_[index].literals);
  std::vector<const Route*> out;
  for (auto index : candidates)
    if (routes_[index].literals == best_literals && matches(routes_[index], segments)) out.push_back(&routes_[index]);
  return out;
}

std::size_t Router::body_limit(std::string_view method, std::string_view path) const {
  for (const auto* route : owners(split(path)))
    if (route->method == method) return route->body_limit;
  return 0;
}

boost::asio::awaitable<Response> Router::dispatch(Request& request) const {
  auto segments = split(request.path);
  auto owning = owners(segments);
  const Route* found = nullptr;
  for (const auto* route : owning)
    if (route->method == request.method || (request.method == "HEAD" && route->method == "GET")) {
      found = route;
      break;
    }
  std::set<std::string> allowed;  // for a 405
  if (!found)
    for (const auto* route : owning) allowed.insert(route->method);
  try {
    if (found) {
      capture(*found, segments, request.path_params);
      request.route = found->path;
      request.slot = std::size_t(found - routes_.data());
      co_return co_await found->handler(request);
    }
    if (!allowed.empty()) {
      request.route = request.path;
      request.slot = none_slot();
      std::string allow;
      for (const auto& m : allowed) allow += (allow.empty() ? "" : ", ") + m;
      auto response = Response::problem(core::Error(
          core::ErrorKind::method_not_allowed,
          request.method + " is not allowed on " + request.path + "; allowed: " + allow));
      response.set_header("Allow", allow);
      co_return response;
    }
    bool api = request.path.starts_with("/api/") || request.path == "/api" ||
               request.path.starts_with("/ws/");
    if (fallback_ && !api && (request.method == "GET" || request.method == "HEAD")) {
      request.route = "(static)";
      request.slot = static_slot();
      co_return co_await fallback_(request);
    }
    request.route = "(none)";
    request.slot = none_slot();
    co_return Response::problem(
        core::Error(core::ErrorKind::no_route, "no route for " + request.method + " " + request.path));
  } catch (const core::Error& e) {
    if (e.kind() == core::ErrorKind::internal)
      spdlog::error(R"("msg":"internal error","request_id":"{}","error":{})", request.request_id,
                    core::quoted(e.what()));
    co_return Response::problem(e);
  } catch (const std::exception& e) {
    spdlog::error(R"("msg":"unhandled exception","request_id":"{}","error":{})", request.request_id,
                  core::quoted(e.what()));
    co_return Response::problem(core::Error(core::ErrorKind::internal, "internal error"));
  }
}

void Router::add_websocket(std::string path, WebSocketEndpoint endpoint) {
  websockets_.emplace_back(std::move(path), std::move(endpoint));
}

std::size_t Router::websocket_slot(std::string_view path) const {
  for (std::size_t i = 0; i < websockets_.size(); ++i)
    if (websockets_[i].first == path) return routes_.size() + i;
  return none_slot();
}

std::vector<RouteInfo> Router::slots() const {
  auto out = routes();
  for (const auto& [path, endpoint] : websockets_) out.push_back({"GET", path});
  out.push_back({"GET", "(static)"});
  out.push_back({"ANY", "(none)"});
  return out;
}

const WebSocketEndpoint* Router::websocket(std::string_view path) const {
  for (const auto& [p, endpoint] : websockets_)
    if (p == path) return &endpoint;
  return nullptr;
}

std::vector<RouteInfo> Router::routes() const {
  std::vector<RouteInfo> out;
  for (const auto& r : routes_) out.push_back({r.method, r.path});
  return out;
}

}  // namespace de::http
