#include "integrations/mail.hpp"

#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <memory>

#include "auth/crypto.hpp"
#include "integrations/curl_guard.hpp"

namespace de::integrations {

namespace {
struct CurlInit {
  CurlInit() { curl_global_init(CURL_GLOBAL_DEFAULT); }
};

using Easy = std::unique_ptr<CURL, decltype(&curl_easy_cleanup)>;
using List = std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)>;

Easy connect_options(const SmtpSettings& s, CurlGuard& guard) {
  static CurlInit init;
  Easy curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return curl;
  curl_easy_setopt(curl.get(), CURLOPT_URL, s.url.c_str());
  guard.apply(curl.get(), s.url);
  curl_easy_setopt(curl.get(), CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, long(s.timeout.count()));
  curl_easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT_MS, long(std::min<std::int64_t>(s.timeout.count(), 10000)));
  // smtps:// is TLS from the start; smtp:// upgrades with STARTTLS, always or when offered.
  curl_easy_setopt(curl.get(), CURLOPT_USE_SSL, s.require_tls ? long(CURLUSESSL_ALL) : long(CURLUSESSL_TRY));
  if (s.username) curl_easy_setopt(curl.get(), CURLOPT_USERNAME, s.username->c_str());
  if (s.password) curl_easy_setopt(curl.get(), CURLOPT_PASSWORD, s.password->c_str());
  return curl;
}

// The stage a libcurl error belongs to, with what the server said when it said something.
SmtpOutcome outcome(CURLcode code, const char* details, bool sending, const CurlGuard& guard) {
  if (code == CURLE_OK) return {};
  if (auto refused = guard.refusal(code); !refused.empty()) return {"connect", std::string(refused)};
  std::string detail = details[0] ? details : curl_easy_strerror(code);
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
      return {"connect", "cannot connect: " + detail};
    case CURLE_USE_SSL_FAILED:
      return {"starttls", "the server does not offer STARTTLS: " + detail};
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
      return {"starttls", "TLS failed: " + detail};
    case CURLE_LOGIN_DENIED:
      return {"auth", "the server refused the user name or password: " + detail};
    default:
      return {sending ? "send" : "connect", detail};
  }
}

struct Upload {
  const std::string* text;
  std::size_t sent = 0;
};

std::size_t read_upload(char* buffer, std::size_t size, std::size_t count, void* state) {
  auto* upload = static_cast<Upload*>(state);
  auto n = std::min(size * count, upload->text->size() - upload->sent);
  std::memcpy(buffer, upload->text->data() + upload->sent, n);
  upload->sent += n;
  return n;
}

bool ascii(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

// A header value: RFC 2047 encoded-word when it is not plain ASCII.
std::string header_text(std::string_view text) {
  return ascii(text) ? std::string(text) : "=?UTF-8?B?" + auth::base64(text) + "?=";
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}
}  // namespace

std::string mail_address(const std::string& mailbox) {
  auto open = mailbox.rfind('<');
  auto close = mailbox.rfind('>');
  if (open != std::string::npos && close != std::string::npos && close > open) return mailbox.substr(open + 1, close - open - 1);
  return mailbox;
}

SmtpOutcome smtp_check(const SmtpSettings& settings) {
  CurlGuard guard;
  auto curl = connect_options(settings, guard);
  if (!curl) return {"connect", "cannot start an SMTP client"};
  char details[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(curl.get(), CURLOPT_ERRORBUFFER, details);
  // With no recipient and no upload, libcurl sends this command after the login: nothing is mailed.
  curl_easy_setopt(curl.get(), CURLOPT_CUSTOMREQUEST, "NOOP");
  curl_easy_setopt(curl.get(), CURLOPT_NOBODY, 1L);
  return outcome(curl_easy_perform(curl.get()), details, false, guard);
}

std::string format_mail(const Mail& mail, const std::string& message_id, std::int64_t now_ms) {
  std::time_t seconds = now_ms / 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char date[64];
  std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &utc);
  std::string body;
  // CRLF line ends, as SMTP carries them.
  for (std::size_t start = 0; start <= mail.text.size();) {
    auto end = mail.text.find('\n', start);
    auto line = mail.text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    body += line + "\r\n";
    if (end == std::string::npos) break;
    start = end + 1;
  }
  std::string out = fmt::format("Date: {}\r\nFrom: {}\r\nTo: {}\r\n", date, mail.from, join(mail.to));
  if (!mail.cc.empty()) out += "Cc: " + join(mail.cc) + "\r\n";
  out += fmt::format("Subject: {}\r\nMessage-ID: {}\r\nMIME-Version: 1.0\r\n", header_text(mail.subject), message_id);
  if (ascii(body)) return out + "Content-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n\r\n" + body;
  // Not every relay takes 8-bit mail: base64 in lines of 76.
  out += "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n";
  auto encoded = auth::base64(body);
  for (std::size_t i = 0; i < encoded.size(); i += 76) out += encoded.substr(i, 76) + "\r\n";
  return out;
}

SmtpOutcome smtp_send(const SmtpSettings& settings, const Mail& mail, const std::string& message) {
  CurlGuard guard;
  auto curl = connect_options(settings, guard);
  if (!curl) return {"connect", "cannot start an SMTP client"};
  char details[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(curl.get(), CURLOPT_ERRORBUFFER, details);
  auto from = "<" + mail_address(mail.from) + ">";
  curl_easy_setopt(curl.get(), CURLOPT_MAIL_FROM, from.c_str());
  List recipients(nullptr, curl_slist_free_all);
  for (const auto* list : {&mail.to, &mail.cc})
    for (const auto& r : *list) {
      auto address = "<" + mail_address(r) + ">";
      recipients.reset(curl_slist_append(recipients.release(), address.c_str()));
    }
  curl_easy_setopt(curl.get(), CURLOPT_MAIL_RCPT, recipients.get());
  Upload upload{&message};
  curl_easy_setopt(curl.get(), CURLOPT_READFUNCTION, read_upload);
  curl_easy_setopt(curl.get(), CURLOPT_READDATA, &upload);
  curl_easy_setopt(curl.get(), CURLOPT_UPLOAD, 1L);
  return outcome(curl_easy_perform(curl.get()), details, true, guard);
}

}  // namespace de::integrations
