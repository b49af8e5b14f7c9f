// RedisStore: the Store (state/store.hpp) on a Redis server, shared by every
// postern behind the same MX records.
//
// Contract: `open(options)` parses `url` — "tcp://host:port/db" (port 6379 and
// db 0 when left out) or "unix:/path/to/redis.sock" — and connects lazily: a
// store whose server is down opens, and its calls fail Unavailable until the
// server answers. Every key is "<prefix><ns>:..." (prefix default "postern:"),
// so several postern installations (or other programs) can share one server.
// Each call takes a hiredis connection from a pool (one per thread inside a call
// at the same moment); connecting and every command are bounded by `timeout`.
// A connection that fails (server restarted, timeout) is dropped with the idle
// ones, and a later call connects again, so a restarted server is used again
// without restarting postern; after a failed connect or command, calls fail at
// once for `retry_after` (no thread waits on a server known to be down). The counter, the index
// add, range, get, remove and expire are each one Lua script (EVALSHA, named by its SHA1, sent once
// per server): atomic on the server, with the SQLite backend's semantics. Key/value entries carry
// their expiry time (the `now` of put + ttl) before the value and the server expires them too
// (EXPIRE ttl), so expiry is judged as in SQLite. `sweep` does nothing (the server expires keys).
// Threading: as Store.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "state/pool.hpp"
#include "state/store.hpp"

namespace postern::state {

struct RedisOptions {
  std::string url;
  std::string prefix = "postern:";
  std::chrono::milliseconds timeout{500};
  std::chrono::milliseconds retry_after{200};
  size_t max_value_bytes = kDefaultMaxValueBytes;
  size_t max_idle = 8;
};

// The parsed url (pure; exposed for the config reader and its tests).
struct RedisAddress {
  std::string host;  // tcp
  int port = 6379;
  std::string unix_path;  // unix: (host empty)
  int db = 0;
};
postern::expected<RedisAddress, std::string> parse_redis_url(std::string_view url);

class RedisStore final : public Store {
 public:
  static Result<std::shared_ptr<RedisStore>> open(RedisOptions options);
  ~RedisStore() override;

  Result<std::optional<std::string>> get(std::string_view ns, std::string_view key,
                                         int64_t now = now_seconds()) override;
  Result<void> put(std::string_view ns, std::string_view key, std::string_view value,
                   std::chrono::seconds ttl = std::chrono::seconds{0},
                   int64_t now = now_seconds()) override;
  Result<bool> erase(std::string_view ns, std::string_view key) override;
  Result<uint64_t> hit(std::string_view ns, std::string_view key, uint32_t n,
                       std::chrono::seconds window, int64_t now = now_seconds()) override;
  Result<void> index_add(std::string_view ns, std::string_view id, int64_t time,
                         std::string_view value) override;
  Result<std::vector<IndexEntry>> index_range(std::string_view ns, int64_t from, int64_t to,
                                              size_t limit) override;
  Result<std::optional<IndexEntry>> index_get(std::string_view ns, std::string_view id) override;
  Result<bool> index_remove(std::string_view ns, std::string_view id) override;
  Result<size_t> index_expire(std::string_view ns, int64_t before) override;
  Result<size_t> sweep(int64_t now = now_seconds()) override;
  std::string describe() const override { return "redis:" + options_.url; }

  struct Conn;   // one hiredis context (redis_store.cpp)
  struct Reply;  // an owned redisReply

 private:
  RedisStore(RedisOptions options, RedisAddress address);
  // Runs script `which` with `keys` and `args` on a pooled connection.
  Result<Reply> script(int which, std::initializer_list<std::string_view> keys,
                       std::initializer_list<std::string_view> args);
  Result<Reply> command(std::vector<std::string_view> argv, const char* script_text = nullptr);
  Result<std::unique_ptr<Conn>> connect();
  std::string key(std::string_view ns, char kind, std::string_view k) const;

  RedisOptions options_;
  RedisAddress address_;
  Pool<Conn> pool_;
  std::atomic<int64_t> down_until_ms_{0};  // steady clock; calls fail at once before it
};

}  // namespace postern::state
