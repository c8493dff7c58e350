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

Request to_request(boost::beast::http::request<boost::beast::http::string_body>& in, const std::string& remote) {
  Request r;
  r.method = std::string(in.method_string());
  r.target = std::string(in.target());
  r.remote_address = remote;
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
