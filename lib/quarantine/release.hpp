// Release headers: the signed X-Postern-Release field `postern quarantine release`
// puts on a message it re-injects, and its check in the milter.
//
// Contract: the value is "v=1; id=ID; t=UNIX; mac=HEX", at most kMaxHeaderValue
// bytes (folding whitespace ignored). The MAC is HMAC-SHA256 (core/digest.hpp)
// with the release key over "postern-release-v1", the id, the time, the body
// digest and the recipients (lower-cased, sorted, distinct, ',' joined), one per
// line. `body_digest(body)` is SHA-256 hex of the body with CRLF read as LF and
// trailing line ends dropped: what survives re-injection through the MTA (which
// adds Received on top and may rewrite header addresses, but leaves the body).
// `verify_release` checks the shape, the MAC (constant time) and the age (t no
// older than max_age at `now`, nor more than 5 minutes after it): a value copied
// onto another message, for other recipients, tampered with, signed with another
// key or too old fails with a ReleaseFault and a one-line reason, never throws.
// `load_or_create_key(path)`: the key file (64 hex digits), created with 32 random
// bytes, mode 0600 (owner: the directory's when root, core/state_file.hpp) when
// it does not exist; a file others may read or write, or of another shape, is an
// error. Pure functions except the key file; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"

namespace postern::quarantine {

inline constexpr std::string_view kReleaseHeader = "X-Postern-Release";
inline constexpr size_t kMaxHeaderValue = 512;
inline constexpr size_t kMaxIdChars = 32;

struct ReleaseClaim {
  std::string id;
  int64_t time = 0;
  std::string body_sha256;  // body_digest of the message
  std::vector<std::string> recipients;
};

enum class ReleaseFault { Malformed, BadSignature, Stale };
std::string_view to_string(ReleaseFault f);
struct ReleaseError {
  ReleaseFault fault;
  std::string detail;
};

std::string body_digest(std::string_view body);
std::string release_header_value(std::string_view key, const ReleaseClaim& c);
// The id the header releases when it is valid for this body, these recipients, at `now`.
postern::expected<std::string, ReleaseError> verify_release(
    std::string_view key, std::string_view value, std::string_view body_sha256,
    const std::vector<std::string>& recipients, int64_t now, int64_t max_age);

// The key file's raw 32 bytes, or the error (one line naming the path).
postern::expected<std::string, std::string> load_or_create_key(const std::string& path);

// An id that is short, unguessable and URL-safe: 16 base64url characters (96 random bits).
std::string new_id();
bool valid_id(std::string_view id);

// Lower-case hex of bytes, and its strict inverse (lower-case digits, even length).
std::string hex(std::string_view bytes);
std::optional<std::string> unhex(std::string_view h);

}  // namespace postern::quarantine
