#pragma once
// The outbound call of an `http` workflow step (libcurl), run off the I/O and writer threads.
#include <boost/json/value.hpp>

#include <atomic>
#include <cstdint>
#include <string>

namespace de::workflow {

struct HttpResult {
  bool ok = false;          // a 2xx answer
  long status = 0;          // 0 when no answer came (connection refused, timeout)
  boost::json::value body;  // parsed JSON when the answer is JSON, else its text
  std::string error;
};

// `body` is sent as JSON unless null; `headers` is an object of strings. Answers over 1 MiB
// are cut off. Setting `abort` ends the call early (shutdown).
HttpResult http_call(const std::string& method, const std::string& url, const boost::json::value& headers,
                     const boost::json::value& body, std::int64_t timeout_ms, const std::atomic<bool>& abort);

}  // namespace de::workflow
