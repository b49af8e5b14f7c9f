// Authentication for the quarantine web page (postern-quarantined): password
// hashes and the password file, sessions with expiry, and CSRF tokens.
//
// Contract:
// - `hash_password(pw, iterations)` is "pbkdf2-sha256$ITER$SALT$HASH" (PBKDF2-HMAC-SHA256
//   from OpenSSL, 16 random salt bytes and a 32-byte hash, both hex). `verify_password`
//   recomputes it and compares in constant time; a malformed hash, or iterations
//   outside [kMinIterations, kMaxIterations], never verifies.
// - `PasswordFile::load(path)`: "user:hash" lines ('#' comments and blank lines
//   allowed; at most kMaxPasswordFile bytes); every bad line is an error at
//   file:line:column. `check(user, pw)` verifies; an unknown user costs one KDF too,
//   so the time does not tell which users exist. `set_password(path, user, hash)`
//   replaces the user's line or appends one, written whole (temporary file, rename),
//   keeping the file's mode and owner (a new file: 0640, owned like its directory).
// - `Sessions`: in memory; `create(user, now)` returns a new session (32 random
//   bytes, hex) lasting `ttl` seconds; `find(id, now)` is the live session or
//   nullopt (expired ones are dropped); at most `max` sessions, the one closest to
//   expiry is dropped to make room. Keyed by the SHA-256 of the id. `csrf(s)` is the
//   session's CSRF token, HMAC-SHA256 with the process's random secret over the
//   session id; `csrf_ok` compares in constant time. Thread-safe.
// - `valid_user(name)`: 1..64 of [A-Za-z0-9._@+-].
// - Digest links (the end-user digest, `postern quarantine digest`): a token is
//   "ID.EXPIRES.RCPTHEX.MAC": the entry id, the Unix time the link stops working, the
//   recipient (lower-cased) in hex, and HMAC-SHA256 (hex) with the release key over
//   "postern-digest-v1", the id, the expiry and the recipient, one per line.
//   `verify_digest_token` checks the shape (at most kMaxDigestToken bytes), the MAC
//   (constant time) and the expiry at `now`; the error is one line. A token names one
//   recipient and one entry: it lets that recipient release or delete that entry only.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "core/expected.hpp"
#include "policy/error.hpp"

namespace postern::quarantine {

inline constexpr int kDefaultIterations = 600000;
inline constexpr int kMinIterations = 1000;
inline constexpr int kMaxIterations = 10000000;
inline constexpr size_t kMaxPasswordFile = 1 << 20;
inline constexpr size_t kMaxPassword = 1024;

bool valid_user(std::string_view name);
std::string hash_password(std::string_view password, int iterations = kDefaultIterations);
bool verify_password(std::string_view password, std::string_view stored);

class PasswordFile {
 public:
  static postern::expected<PasswordFile, policy::Errors> load(const std::string& path);
  bool check(std::string_view user, std::string_view password) const;
  size_t size() const { return users_.size(); }

 private:
  std::map<std::string, std::string, std::less<>> users_;
};

// Writes `user`'s hash into the file at `path`; the error is one line.
postern::expected<void, std::string> set_password(const std::string& path, std::string_view user,
                                                  std::string_view hash);

inline constexpr size_t kMaxDigestToken = 1024;

struct DigestClaim {
  std::string id;
  std::string rcpt;  // lower-cased
  int64_t expires = 0;
};

std::string digest_token(std::string_view key, const DigestClaim& c);
postern::expected<DigestClaim, std::string> verify_digest_token(std::string_view key,
                                                                std::string_view token,
                                                                int64_t now);

struct Session {
  std::string id;
  std::string user;
  int64_t expires = 0;
};

class Sessions {
 public:
  explicit Sessions(int64_t ttl_seconds, size_t max = 10000);
  Session create(std::string user, int64_t now);
  std::optional<Session> find(std::string_view id, int64_t now);
  void remove(std::string_view id);
  std::string csrf(const Session& s) const;
  bool csrf_ok(const Session& s, std::string_view token) const;
  size_t size();

 private:
  std::string secret_;
  int64_t ttl_;
  size_t max_;
  std::mutex mu_;
  std::map<std::string, Session, std::less<>> by_digest_;
};

}  // namespace postern::quarantine
