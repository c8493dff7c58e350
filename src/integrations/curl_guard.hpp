#pragma once
// The outbound guard (core/outbound.hpp) on a libcurl transfer to a URL a user chose (an SMTP
// relay, a workflow's http step): libcurl opens its sockets through the guard, which refuses
// every address the policy refuses, after libcurl's own name resolution, so a name that
// resolves to an internal address is refused at the moment it would be connected to. Proxies
// from the environment are not used: the guard would see the proxy's address, not the
// destination's. libcurl follows no redirect unless told to (nothing here tells it to).
#include <curl/curl.h>

#include <string>
#include <string_view>

namespace de::integrations {

class CurlGuard {
 public:
  // Sets `curl` up for a transfer to `url`; the guard must outlive the transfer.
  void apply(CURL* curl, std::string_view url);
  // Why the transfer that ended with `code` was not made: the guard's refusal when no
  // connection could be made (libcurl may try another address of the host after a refused
  // one, and a later failure is that transfer's own); empty otherwise.
  std::string_view refusal(CURLcode code) const {
    return code == CURLE_COULDNT_CONNECT ? std::string_view(refusal_) : std::string_view();
  }

 private:
  static curl_socket_t open_socket(void* guard, curlsocktype purpose, curl_sockaddr* address);

  std::string host_, refusal_;
};

// The host a URL of any scheme names (without brackets around IPv6), empty when it names none.
std::string url_host(std::string_view url);

}  // namespace de::integrations
