#include "integrations/curl_guard.hpp"

#include <sys/socket.h>

#include <memory>

#include "core/outbound.hpp"

namespace de::integrations {

std::string url_host(std::string_view url) {
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> parsed(curl_url(), curl_url_cleanup);
  if (!parsed || curl_url_set(parsed.get(), CURLUPART_URL, std::string(url).c_str(), CURLU_NON_SUPPORT_SCHEME))
    return {};
  char* host = nullptr;
  if (curl_url_get(parsed.get(), CURLUPART_HOST, &host, 0) != CURLUE_OK) return {};
  std::string out(host);
  curl_free(host);
  if (out.size() > 2 && out.front() == '[' && out.back() == ']') out = out.substr(1, out.size() - 2);
  return out;
}

void CurlGuard::apply(CURL* curl, std::string_view url) {
  host_ = url_host(url);
  refusal_.clear();
  curl_easy_setopt(curl, CURLOPT_OPENSOCKETFUNCTION, open_socket);
  curl_easy_setopt(curl, CURLOPT_OPENSOCKETDATA, this);
  curl_easy_setopt(curl, CURLOPT_PROXY, "");  // an empty proxy: none, whatever the environment says
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
}

curl_socket_t CurlGuard::open_socket(void* state, curlsocktype, curl_sockaddr* address) {
  auto* guard = static_cast<CurlGuard*>(state);
  auto resolved = core::net::from_sockaddr(&address->addr);
  auto why = resolved ? core::outbound::policy().refusal(guard->host_, *resolved) : "not an IP address";
  if (!why.empty()) {
    guard->refusal_ = std::move(why);
    return CURL_SOCKET_BAD;
  }
  return ::socket(address->family, address->socktype, address->protocol);
}

}  // namespace de::integrations
