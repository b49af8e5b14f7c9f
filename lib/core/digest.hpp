// SHA-256 for the whole code base (OpenSSL EVP): DKIM and ARC body hashes and
// signatures, the MIME parts' digests; HMAC-SHA256 for the signed tokens.
//
// Contract: pure functions, thread-safe, never fail.
#pragma once

#include <string>
#include <string_view>

namespace postern::core {

// The 32 raw bytes of SHA-256(data).
std::string sha256(std::string_view data);
// The same as 64 lower-case hex digits.
std::string sha256_hex(std::string_view data);
// The 32 raw bytes of HMAC-SHA256(key, data) (click tokens, quarantine release headers).
std::string hmac_sha256(std::string_view key, std::string_view data);

}  // namespace postern::core
