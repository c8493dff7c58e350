#include "workflow/http_call.hpp"

#include <curl/curl.h>

#include <boost/json.hpp>

#include "core/json.hpp"
#include "integrations/curl_guard.hpp"

#include <memory>

namespace de::workflow {

namespace {
constexpr std::size_t max_answer = 1024 * 1024;

std::size_t collect(char* data, std::size_t size, std::size_t count, void* target) {
  auto* out = static_cast<std::string*>(target);
  std::size_t n = size * count;
  if (out->size() + n > max_answer) return 0;  // stops the transfer
  out->append(data, n);
  return n;
}

int check_abort(void* abort, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<const std::atomic<bool>*>(abort)->load() ? 1 : 0;
}

struct CurlInit {
  CurlInit() { curl_global_init(CURL_GLOBAL_DEFAULT); }
};
}  // namespace

HttpResult http_call(const std::string& method, const std::string& url, const boost::json::value& headers,
                     const boost::json::value& body, std::int64_t timeout_ms, const std::atomic<bool>& abort) {
  static CurlInit init;
  HttpResult result;
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return {false, 0, nullptr, "cannot start an HTTP client"};
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> list(nullptr, curl_slist_free_all);
  auto add_header = [&](const std::string& h) { list.reset(curl_slist_append(list.release(), h.c_str())); };
  std::string payload, answer;
  if (!body.is_null()) {
    payload = core::to_text(body);
    add_header("Content-Type: application/json");
  }
  if (headers.is_object())
    for (const auto& [name, value] : headers.get_object())
      if (value.is_string()) add_header(std::string(name) + ": " + std::string(value.get_string()));
  add_header("User-Agent: digital-enterprise-workflow");
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  integrations::CurlGuard guard;
  guard.apply(curl.get(), url);
  curl_easy_setopt(curl.get(), CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, long(timeout_ms));
  curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, list.get());
  if (!body.is_null()) curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, payload.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl.get(), CURLOPT_XFERINFOFUNCTION, check_abort);
  curl_easy_setopt(curl.get(), CURLOPT_XFERINFODATA, const_cast<std::atomic<bool>*>(&abort));
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &answer);
  auto code = curl_easy_perform(curl.get());
  if (code != CURLE_OK) {
    result.error = code == CURLE_OPERATION_TIMEDOUT ? "no answer from " + url + " within " + std::to_string(timeout_ms) + " ms"
                   : !guard.refusal(code).empty() ? "the call to " + url + " was not made: " + std::string(guard.refusal(code))
                                                  : "the call to " + url + " failed: " + curl_easy_strerror(code);
    return result;
  }
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &result.status);
  boost::system::error_code ec;
  auto parsed = boost::json::parse(answer, ec);
  result.body = ec ? boost::json::value(boost::json::string(answer)) : parsed;
  if (core::find_nul(result.body)) {
    result.error = "the answer from " + url + " holds a NUL character (U+0000), which cannot be stored";
    return result;
  }
  result.ok = result.status >= 200 && result.status < 300;
  if (!result.ok) result.error = "HTTP " + std::to_string(result.status) + " from " + url;
  return result;
}

}  // namespace de::workflow
