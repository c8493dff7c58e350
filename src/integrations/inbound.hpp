#pragma once
// Inbound webhooks (docs/integrations.md): the vendors' request signatures, checked within a
// five-minute window. Slack v0 (signing_secret), HubSpot v3 (client_secret) and, for the other
// types, a generic HMAC-SHA256 (webhook_secret).
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>

#include "integrations/catalog.hpp"

namespace de::integrations {

// HMAC-SHA256 under `key` of the parts one after another: the 32 raw bytes.
std::string hmac_sha256(std::string_view key, std::initializer_list<std::string_view> parts);

// "v0=" + hex(HMAC(secret, "v0:" + timestamp + ":" + body)), timestamp in seconds.
std::string slack_signature(std::string_view secret, std::string_view timestamp, std::string_view body);
// base64(HMAC(secret, method + uri + body + timestamp)), timestamp in milliseconds.
std::string hubspot_v3_signature(std::string_view secret, std::string_view method, std::string_view uri,
                                 std::string_view body, std::string_view timestamp);
// "sha256=" + hex(HMAC(secret, timestamp + "." + body)), timestamp in seconds.
std::string generic_signature(std::string_view secret, std::string_view timestamp, std::string_view body);

inline constexpr std::int64_t signature_window_ms = 5 * 60 * 1000;

struct InboundRequest {
  std::string_view method, uri, body;
  std::function<std::string_view(std::string_view)> header;  // by lower-case name; empty when absent
};

struct Verdict {
  bool ok = false;
  std::string problem;    // why not, when not
  std::string dedup_key;  // the signature: a replay carries the same one
};

// Checks `request` as `type`'s vendor signs it, with its secret from `credentials`, at `now_ms`.
Verdict verify_inbound(std::string_view type, const Credentials& credentials, const InboundRequest& request,
                       std::int64_t now_ms);

}  // namespace de::integrations
