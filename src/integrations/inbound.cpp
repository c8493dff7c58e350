#include "integrations/inbound.hpp"

#include <sodium.h>

#include <algorithm>

#include "auth/crypto.hpp"

namespace de::integrations {

namespace {
std::string hex(std::string_view bytes) {
  std::string out(bytes.size() * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  out.pop_back();
  return out;
}

// A decimal timestamp in `unit_ms` milliseconds, within the window around `now_ms`.
std::string timestamp_problem(std::string_view text, std::int64_t unit_ms, std::int64_t now_ms) {
  if (text.empty() || text.size() > 15 || !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return "the request has no valid timestamp header";
  auto at = std::stoll(std::string(text)) * unit_ms;
  if (at < now_ms - signature_window_ms || at > now_ms + signature_window_ms)
    return "the request's timestamp is more than 5 minutes from now";
  return {};
}

std::string secret_of(const Credentials& credentials, const char* name) {
  auto it = credentials.find(name);
  return it == credentials.end() ? std::string() : it->second;
}
}  // namespace

std::string hmac_sha256(std::string_view key, std::initializer_list<std::string_view> parts) {
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key.data()), key.size());
  for (auto part : parts)
    crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(part.data()), part.size());
  std::string mac(crypto_auth_hmacsha256_BYTES, '\0');
  crypto_auth_hmacsha256_final(&state, reinterpret_cast<unsigned char*>(mac.data()));
  return mac;
}

std::string slack_signature(std::string_view secret, std::string_view timestamp, std::string_view body) {
  return "v0=" + hex(hmac_sha256(secret, {"v0:", timestamp, ":", body}));
}

std::string hubspot_v3_signature(std::string_view secret, std::string_view method, std::string_view uri,
                                 std::string_view body, std::string_view timestamp) {
  return auth::base64(hmac_sha256(secret, {method, uri, body, timestamp}));
}

std::string generic_signature(std::string_view secret, std::string_view timestamp, std::string_view body) {
  return "sha256=" + hex(hmac_sha256(secret, {timestamp, ".", body}));
}

Verdict verify_inbound(std::string_view type, const Credentials& credentials, const InboundRequest& request,
                       std::int64_t now_ms) {
  std::string secret, timestamp, given, expected, problem;
  std::int64_t unit_ms = 1000;
  if (type == "slack") {
    secret = secret_of(credentials, "signing_secret");
    timestamp = request.header("x-slack-request-timestamp");
    given = request.header("x-slack-signature");
    if (!secret.empty()) expected = slack_signature(secret, timestamp, request.body);
  } else if (type == "hubspot") {
    secret = secret_of(credentials, "client_secret");
    timestamp = request.header("x-hubspot-request-timestamp");
    given = request.header("x-hubspot-signature-v3");
    unit_ms = 1;
    if (!secret.empty()) expected = hubspot_v3_signature(secret, request.method, request.uri, request.body, timestamp);
  } else {
    secret = secret_of(credentials, "webhook_secret");
    timestamp = request.header("x-webhook-timestamp");
    given = request.header("x-webhook-signature");
    if (!secret.empty()) expected = generic_signature(secret, timestamp, request.body);
  }
  if (secret.empty()) return {false, "this integration has no secret to check webhooks with", ""};
  if (auto late = timestamp_problem(timestamp, unit_ms, now_ms); !late.empty()) return {false, late, ""};
  if (given.empty() || !auth::same_secret(given, expected)) return {false, "the signature does not match", ""};
  return {true, "", given};
}

}  // namespace de::integrations
