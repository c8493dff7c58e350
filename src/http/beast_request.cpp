#include "http/beast_request.hpp"

#include <boost/url/parse.hpp>

#include <cctype>

#include "core/ids.hpp"

namespace de::http {

namespace {
bool valid_request_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id)
    if (c < 0x21 || c > 0x7e) return false;
  return true;
}
}  // namespace

std::string client_address(const std::string& peer, const std::vector<std::string_view>& forwarded_for,
                           const std::vector<core::net::Network>& trusted_proxies) {
  if (trusted_proxies.empty()) return peer;
  auto hop = core::net::parse_literal(peer);
  if (!hop || !core::net::contains(trusted_proxies, *hop)) return peer;
  std::string client = peer;
  for (auto field = forwarded_for.rbegin(); field != forwarded_for.rend(); ++field) {
    std::string_view rest = *field;
    while (!rest.empty()) {
      auto comma = rest.rfind(',');
      auto entry = comma == std::string_view::npos ? rest : rest.substr(comma + 1);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(0, comma);
      while (!entry.empty() && (entry.front() == ' ' || entry.front() == '\t')) entry.remove_prefix(1);
      while (!entry.empty() && (entry.back() == ' ' || entry.back() == '\t')) entry.remove_suffix(1);
      hop = core::net::parse_literal(entry);
      if (!hop) return client;
      client = core::net::to_text(*hop);
      if (!core::net::contains(trusted_proxies, *hop)) return client;
    }
  }
  return client;
}

Request to_request(boost::beast::http::request<boost::beast::http::string_body>& in, const std::string& peer,
                   const std::vector<core::net::Network>& trusted_proxies) {
  Request r;
  r.method = std::string(in.method_string());
  r.target = std::string(in.target());
  std::vector<std::string_view> forwarded_for;
  auto [first, last] = in.equal_range("x-forwarded-for");
  for (auto field = first; field != last; ++field) forwarded_for.push_back(field->value());
  r.remote_address = client_address(peer, forwarded_for, trusted_proxies);
  for (const auto& field : in) {
    std::string name(field.name_string());
    for (auto& c : name) c = char(std::tolower(static_cast<unsigned char>(c)));
    r.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  r.body = std::move(in.body());
  auto parsed = boost::urls::parse_origin_form(r.target);
  if (parsed) {
    r.path = std::string(parsed->path());
    for (auto param : parsed->params()) r.query_params.emplace_back(param.key, param.value);
  } else {
    r.path = r.target.substr(0, r.target.find('?'));
  }
  if (r.path.empty()) r.path = "/";
  auto id = r.header("x-request-id");
  r.request_id = valid_request_id(id) ? std::string(id) : core::new_id();
  return r;
}

}  // namespace de::http
