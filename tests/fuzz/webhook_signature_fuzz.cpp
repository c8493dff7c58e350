// Fuzz target: inbound webhook signatures (integrations/inbound), as POST
// /api/v1/integrations/{id}/webhook checks them. Input: a selector byte (which vendor; whether
// the signature is computed rightly), then lines: secret, timestamp, signature, body. Besides
// not crashing: a request is accepted only with the signature the vendor's scheme gives, and
// always with it when its timestamp is in the window.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "integrations/inbound.hpp"

namespace {
using namespace de::integrations;
constexpr std::int64_t now_ms = 1'700'000'000'000;

std::vector<std::string_view> split_lines(std::string_view text, std::size_t parts) {
  std::vector<std::string_view> out;
  while (out.size() + 1 < parts) {
    auto end = text.find('\n');
    if (end == std::string_view::npos) break;
    out.push_back(text.substr(0, end));
    text.remove_prefix(end + 1);
  }
  out.push_back(text);
  out.resize(parts);
  return out;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  static const char* const types[] = {"slack", "hubspot", "generic"};
  static const char* const secret_names[] = {"signing_secret", "client_secret", "webhook_secret"};
  int vendor = data[0] % 3;
  bool sign_rightly = data[0] & 4;
  auto parts = split_lines(std::string_view(reinterpret_cast<const char*>(data + 1), size - 1), 4);
  std::string_view secret = parts[0], timestamp = parts[1], body = parts[3];
  std::string signature(parts[2]);
  std::string method = "POST", uri = "https://de.example/api/v1/integrations/x/webhook";
  std::string expected = vendor == 0   ? slack_signature(secret, timestamp, body)
                         : vendor == 1 ? hubspot_v3_signature(secret, method, uri, body, timestamp)
                                       : generic_signature(secret, timestamp, body);
  if (sign_rightly) signature = expected;

  Credentials credentials{{secret_names[vendor], std::string(secret)}};
  auto header = [&](std::string_view name) -> std::string_view {
    if (name.ends_with("timestamp")) return timestamp;
    if (name.ends_with("signature") || name.ends_with("signature-v3")) return signature;
    return {};
  };
  InboundRequest request{method, uri, body, header};
  auto verdict = verify_inbound(types[vendor], credentials, request, now_ms);
  if (verdict.ok && (secret.empty() || signature != expected)) __builtin_trap();  // a forgery accepted
  if (!verdict.ok && verdict.problem.empty()) __builtin_trap();
  // A rightly signed request with a timestamp of now is accepted.
  std::string now_text = std::to_string(vendor == 1 ? now_ms : now_ms / 1000);
  if (!secret.empty() && timestamp == now_text && sign_rightly && !verdict.ok) __builtin_trap();
  return 0;
}
