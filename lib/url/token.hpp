// Click tokens: the signed, self-contained reference a rewritten link carries
// (https://<click host>/v1/<token>), and the key ring that signs and verifies it.
//
// Contract: `KeyRing::load(path)` reads a key file (TOML, owner-only: a file that
// the group or others may read or write is refused):
//     current = "k2"                       # the key id that signs new tokens
//     [keys.k2]  secret = "<hex, 32-64 bytes>"
//     [keys.k1]  secret = "<hex>"           # still verifies
//     [keys.k0]  secret = "<hex>"  retired = true   # refused (as if removed, but named)
// errors at file:line:column. `issue` signs a Token with the current key;
// `verify` checks a token string: its size (<= kMaxTokenChars), its shape
// (base64url payload "." base64url MAC), the key id (known, not retired), the
// MAC (HMAC-SHA256, compared in constant time) and the age against `max_age`;
// every failure is a TokenError with the reason, never an exception. The
// payload is binary: a format byte, then the key id, the issue time (Unix
// seconds), the policy version, the scan id, the recipient hash and the URL,
// each length-prefixed; the MAC covers all of it, the key id included, so a
// token cannot be moved to another key. A URL longer than kMaxUrl cannot be
// issued (the link stays as it is). KeyRing is immutable after load and
// shared by threads; `issue` and `verify` are thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"
#include "policy/error.hpp"

namespace postern::url {

inline constexpr size_t kMaxUrl = 2048;         // bytes of URL a token may carry
inline constexpr size_t kMaxTokenChars = 3072;  // a longer token is refused unread
inline constexpr size_t kMaxKeyId = 32;
inline constexpr size_t kMaxField = 128;  // scan id, recipient hash, policy version

struct Token {
  std::string key_id;  // filled by issue / verify
  int64_t issued = 0;  // Unix seconds
  uint32_t policy_version = 0;
  std::string scan_id;
  std::string recipient;  // recipient hash (hex), "" = none
  std::string url;        // the original URL, as the message had it
};

enum class TokenFault { Malformed, UnknownKey, RetiredKey, BadSignature, Expired, TooLong };
struct TokenError {
  TokenFault fault;
  std::string detail;
};
std::string_view to_string(TokenFault f);

class KeyRing {
 public:
  struct Key {
    std::string id;
    std::string secret;  // raw bytes
    bool retired = false;
  };
  // Reads and checks a key file.
  static postern::expected<KeyRing, policy::Errors> load(const std::string& path);
  // From keys in memory (tests, tools); `current` must name a key that is not retired.
  static postern::expected<KeyRing, std::string> from(std::vector<Key> keys, std::string current);

  const std::string& current_id() const { return current_; }

  // The token for `t` signed with the current key (t.key_id is ignored); an error when
  // the URL or a field is over its bound.
  postern::expected<std::string, TokenError> issue(Token t) const;
  // The token's content when it is well formed, signed by a known key that is not
  // retired, and not older than `max_age` at `now` (nor issued more than 5 minutes
  // after it); max_age zero = no age check.
  postern::expected<Token, TokenError> verify(
      std::string_view token, std::chrono::seconds max_age,
      std::chrono::system_clock::time_point now = std::chrono::system_clock::now()) const;

 private:
  const Key* find(std::string_view id) const;
  std::vector<Key> keys_;
  std::string current_;
};

// base64url without padding (RFC 4648 §5), and its strict inverse (any other
// character, padding, or non-zero trailing bits: nullopt).
std::string base64url(std::string_view bytes);
std::optional<std::string> unbase64url(std::string_view text);

// The recipient hash a token carries: the first 16 hex digits of SHA-256 of the
// lower-cased addresses joined by ','; "" for none.
std::string recipient_hash(const std::vector<std::string>& addresses);

}  // namespace postern::url
