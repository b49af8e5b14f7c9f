// Store: the state postern keeps between messages and shares between MTAs —
// classifier tokens, sender history, rate counters, the sandbox verdict cache,
// the quarantine index, click events — behind one interface with two backends:
// SqliteStore (one host, a file) and RedisStore (many hosts, one server).
//
// Contract:
// - Every key lives in a namespace `ns` (1..32 of [a-z0-9_.-], one per user of the
//   store: "senders", "rate", "quarantine"...), so two users never collide.
//   Keys and ids are bytes, 1..kMaxKeyBytes long; values are bytes, at most the
//   store's `max_value_bytes()` (default kDefaultMaxValueBytes).
// - Key/value: `put(ns, key, value, ttl)` (ttl 0 = never expires; a put
//   replaces the value and its ttl), `get` (nullopt when absent or expired),
//   `erase` (whether it was there).
// - Sliding-window counter: `hit(ns, key, n, window, now)` adds `n` hits at
//   second `now` (n = 0 only reads) and returns the hits of that key at seconds
//   t with now - window < t, all in one atomic step (threads and hosts adding at
//   once give the exact total). A key is used with one window: hits older than
//   the window of the call are dropped by it. Times are the caller's clock in
//   Unix seconds (hosts sharing a Redis keep their clocks in sync with NTP).
// - Ordered index per namespace: `index_add(ns, id, time, value)` (an existing
//   id is replaced), `index_range(ns, from, to, limit)` the entries with
//   from <= time <= to, newest first (ties: id descending), at most `limit`
//   (<= kMaxRangeLimit); `index_get`, `index_remove`, and `index_expire(ns,
//   before)` removing every entry with time < before (returns how many).
// - `sweep(now)` removes the expired key/value entries and counter hits (SQLite:
//   also done lazily; Redis: the server expires keys itself, sweep does nothing).
// - Expiry of key/value entries is judged by the `now` the caller passes (the
//   default: the system clock), the same way on both backends.
// - Errors: postern::expected with a state::Error (kind + one line of text);
//   nothing throws across this interface. Invalid: a bad namespace, key or
//   argument (the caller's bug). TooLarge: a value over the bound (nothing is
//   written). Unavailable: the backend cannot be reached or did not answer in
//   time (Redis down, the SQLite file locked past the busy timeout, disk I/O):
//   the next call retries. Corrupt: the backend answered with something that is
//   not ours (a foreign file, a malformed entry).
// Threading: every method may be called from any thread at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"

namespace postern::state {

inline constexpr size_t kMaxKeyBytes = 512;
inline constexpr size_t kMaxNamespaceBytes = 32;
inline constexpr size_t kDefaultMaxValueBytes = 1 << 20;
inline constexpr size_t kMaxRangeLimit = 10000;
inline constexpr int64_t kMaxWindowSeconds = 366 * 86400;

enum class ErrorKind { Invalid, TooLarge, Unavailable, Corrupt };
std::string_view to_string(ErrorKind k);

struct Error {
  ErrorKind kind;
  std::string text;  // one line
};
std::string to_string(const Error& e);  // "unavailable: ..."

template <typename T>
using Result = postern::expected<T, Error>;

struct IndexEntry {
  std::string id;
  int64_t time = 0;
  std::string value;
  bool operator==(const IndexEntry&) const = default;
};

// Unix seconds of the system clock.
int64_t now_seconds();

class Store {
 public:
  virtual ~Store() = default;

  virtual Result<std::optional<std::string>> get(std::string_view ns, std::string_view key,
                                                 int64_t now = now_seconds()) = 0;
  virtual Result<void> put(std::string_view ns, std::string_view key, std::string_view value,
                           std::chrono::seconds ttl = std::chrono::seconds{0},
                           int64_t now = now_seconds()) = 0;
  virtual Result<bool> erase(std::string_view ns, std::string_view key) = 0;

  virtual Result<uint64_t> hit(std::string_view ns, std::string_view key, uint32_t n,
                               std::chrono::seconds window, int64_t now = now_seconds()) = 0;

  virtual Result<void> index_add(std::string_view ns, std::string_view id, int64_t time,
                                 std::string_view value) = 0;
  virtual Result<std::vector<IndexEntry>> index_range(std::string_view ns, int64_t from, int64_t to,
                                                      size_t limit) = 0;
  virtual Result<std::optional<IndexEntry>> index_get(std::string_view ns, std::string_view id) = 0;
  virtual Result<bool> index_remove(std::string_view ns, std::string_view id) = 0;
  virtual Result<size_t> index_expire(std::string_view ns, int64_t before) = 0;

  virtual Result<size_t> sweep(int64_t now = now_seconds()) = 0;

  // "sqlite:/var/lib/postern/state.db", "redis:tcp://127.0.0.1:6379/0" (for logs).
  virtual std::string describe() const = 0;
  size_t max_value_bytes() const { return max_value_; }

 protected:
  explicit Store(size_t max_value) : max_value_(max_value) {}
  // The argument checks both backends share (Invalid / TooLarge).
  std::optional<Error> check_ns(std::string_view ns) const;
  std::optional<Error> check_key(std::string_view ns, std::string_view key) const;
  std::optional<Error> check_value(std::string_view ns, std::string_view key,
                                   std::string_view value) const;
  static std::optional<Error> check_window(std::chrono::seconds window);
  static std::optional<Error> check_limit(size_t limit);

 private:
  size_t max_value_;
};

}  // namespace postern::state
