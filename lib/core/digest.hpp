// SHA-256 for the whole code base (OpenSSL EVP): DKIM and ARC body hashes and
// signatures, the MIME parts' digests.
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

}  // namespace postern::core
