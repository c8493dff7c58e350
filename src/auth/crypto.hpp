#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace de::auth {

// Argon2id (libsodium, interactive limits). CPU- and memory-heavy: call off the I/O threads.
std::string hash_password(std::string_view password);
bool verify_password(const std::string& hash, std::string_view password);

// `bytes` random bytes from the OS, URL-safe base64 without padding.
std::string random_token(std::size_t bytes);
// Base64 with the standard alphabet and padding (RFC 4648, section 4).
std::string base64(std::string_view bytes);
// SHA-256 in hex: how refresh tokens and API keys are stored (they are high-entropy).
std::string sha256_hex(std::string_view text);
// Whether two secrets (signatures, nonces, states) are equal, in time that does not depend on
// where they differ.
bool same_secret(std::string_view a, std::string_view b);

// Secrets at rest (provider keys): libsodium's secretbox (XSalsa20-Poly1305) under a key
// derived from `master` (BLAKE2b), a random nonce each time; base64 text. unseal gives nothing
// for text sealed under another master key, or altered.
std::string seal(std::string_view master, std::string_view plaintext);
std::optional<std::string> unseal(std::string_view master, std::string_view sealed);

}  // namespace de::auth
