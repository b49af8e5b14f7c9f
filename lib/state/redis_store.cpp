// RedisStore: the Store on a Redis server (see redis_store.hpp).
#include "state/redis_store.hpp"

#include <fmt/format.h>
#include <hiredis/hiredis.h>
#include <openssl/sha.h>

#include <array>
#include <charconv>
#include <cstring>
#include <vector>

namespace postern::state {
namespace {

// KEYS: the counter's hash (second -> hits, "sum" -> their total) and its sorted
// set of seconds. ARGV: now, window, n. Drops the seconds <= now - window, adds
// n at now, returns the total: the SQLite backend's hits with t > now - window.
constexpr const char* kHitScript = R"(
local h, z = KEYS[1], KEYS[2]
local now, win, n = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local old = redis.call('ZRANGEBYSCORE', z, '-inf', ARGV[4])
for _, s in ipairs(old) do
  local c = tonumber(redis.call('HGET', h, s) or '0')
  redis.call('HDEL', h, s)
  redis.call('HINCRBY', h, 'sum', -c)
end
if #old > 0 then redis.call('ZREMRANGEBYSCORE', z, '-inf', ARGV[4]) end
if n > 0 then
  redis.call('HINCRBY', h, ARGV[1], n)
  redis.call('ZADD', z, ARGV[1], ARGV[1])
  redis.call('HINCRBY', h, 'sum', n)
  redis.call('EXPIRE', h, win + 1)
  redis.call('EXPIRE', z, win + 1)
end
return tonumber(redis.call('HGET', h, 'sum') or '0')
)";

// The index of a namespace: KEYS[1] a hash id -> value, KEYS[2] a sorted set id -> time.
constexpr const char* kIndexAddScript = R"(
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
return 1
)";
// ARGV: from, to, limit. Newest first; ties by id descending (as SQLite's ORDER BY).
constexpr const char* kIndexRangeScript = R"(
local ids = redis.call('ZREVRANGEBYSCORE', KEYS[2], ARGV[2], ARGV[1], 'WITHSCORES', 'LIMIT', 0, ARGV[3])
local out = {}
for i = 1, #ids, 2 do
  local v = redis.call('HGET', KEYS[1], ids[i])
  if v then out[#out + 1] = ids[i]; out[#out + 1] = ids[i + 1]; out[#out + 1] = v end
end
return out
)";
constexpr const char* kIndexGetScript = R"(
local t = redis.call('ZSCORE', KEYS[2], ARGV[1])
if not t then return false end
local v = redis.call('HGET', KEYS[1], ARGV[1])
if not v then return false end
return {t, v}
)";
constexpr const char* kIndexRemoveScript = R"(
local n = redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[1], ARGV[1])
return n
)";
constexpr const char* kIndexExpireScript = R"(
local ids = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[1])
for _, id in ipairs(ids) do redis.call('HDEL', KEYS[1], id) end
if #ids > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[1]) end
return #ids
)";

enum Script : int { kHit, kIndexAdd, kIndexRange, kIndexGet, kIndexRemove, kIndexExpire, kScripts };
constexpr std::array<const char*, kScripts> kScriptText{kHitScript,         kIndexAddScript,
                                                        kIndexRangeScript,  kIndexGetScript,
                                                        kIndexRemoveScript, kIndexExpireScript};

std::string be64(int64_t v) {
  std::string out(8, '\0');
  auto u = static_cast<uint64_t>(v);
  for (int i = 7; i >= 0; --i, u >>= 8) out[static_cast<size_t>(i)] = static_cast<char>(u & 0xff);
  return out;
}

int64_t from_be64(std::string_view s) {
  uint64_t u = 0;
  for (size_t i = 0; i < 8; ++i) u = (u << 8) | static_cast<unsigned char>(s[i]);
  return static_cast<int64_t>(u);
}

std::optional<int64_t> parse_int(std::string_view s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

timeval to_timeval(std::chrono::milliseconds ms) {
  return timeval{static_cast<time_t>(ms.count() / 1000),
                 static_cast<suseconds_t>((ms.count() % 1000) * 1000)};
}

int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

struct RedisStore::Reply {
  std::unique_ptr<redisReply, void (*)(void*)> r{nullptr, freeReplyObject};
  const redisReply* operator->() const { return r.get(); }
  std::string_view str() const { return std::string_view(r->str, r->len); }
};

struct RedisStore::Conn {
  redisContext* ctx = nullptr;
  ~Conn() {
    if (ctx) redisFree(ctx);
  }
  // Runs argv; an error reply is returned as a reply (the caller judges it).
  Result<Reply> run(const std::vector<std::string_view>& argv) {
    std::vector<const char*> p;
    std::vector<size_t> n;
    p.reserve(argv.size());
    n.reserve(argv.size());
    for (auto a : argv) {
      p.push_back(a.data());
      n.push_back(a.size());
    }
    void* raw = redisCommandArgv(ctx, static_cast<int>(argv.size()), p.data(), n.data());
    if (!raw)
      return postern::unexpected(
          Error{ErrorKind::Unavailable, ctx->errstr[0] ? ctx->errstr : "no reply"});
    Reply r;
    r.r.reset(static_cast<redisReply*>(raw));
    return r;
  }
};

postern::expected<RedisAddress, std::string> parse_redis_url(std::string_view url) {
  RedisAddress a;
  if (url.starts_with("unix:")) {
    a.unix_path = std::string(url.substr(5));
    if (!a.unix_path.starts_with("/"))
      return postern::unexpected(fmt::format("'{}': unix: takes an absolute socket path", url));
    return a;
  }
  if (!url.starts_with("tcp://"))
    return postern::unexpected(fmt::format("'{}': not tcp://host:port/db or unix:/path", url));
  std::string_view rest = url.substr(6);
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    auto db = parse_int(rest.substr(slash + 1));
    if (!db || *db < 0 || *db > 1000)
      return postern::unexpected(fmt::format("'{}': the database is a number 0..1000", url));
    a.db = static_cast<int>(*db);
    rest = rest.substr(0, slash);
  }
  if (rest.starts_with("[")) {  // [::1]:6379
    auto close = rest.find(']');
    if (close == std::string_view::npos)
      return postern::unexpected(fmt::format("'{}': an IPv6 address without ']'", url));
    a.host = std::string(rest.substr(1, close - 1));
    rest = rest.substr(close + 1);
  } else {
    auto colon = rest.find(':');
    a.host = std::string(rest.substr(0, colon));
    rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon);
  }
  if (!rest.empty()) {
    auto port = rest.starts_with(":") ? parse_int(rest.substr(1)) : std::nullopt;
    if (!port || *port < 1 || *port > 65535)
      return postern::unexpected(fmt::format("'{}': the port is a number 1..65535", url));
    a.port = static_cast<int>(*port);
  }
  if (a.host.empty()) return postern::unexpected(fmt::format("'{}': no host", url));
  return a;
}

RedisStore::RedisStore(RedisOptions options, RedisAddress address)
    : Store(options.max_value_bytes),
      options_(std::move(options)),
      address_(std::move(address)),
      pool_(options_.max_idle) {}

RedisStore::~RedisStore() = default;

Result<std::shared_ptr<RedisStore>> RedisStore::open(RedisOptions options) {
  auto a = parse_redis_url(options.url);
  if (!a) return postern::unexpected(Error{ErrorKind::Invalid, a.error()});
  if (options.timeout.count() < 1)
    return postern::unexpected(Error{ErrorKind::Invalid, "the timeout is at least 1 ms"});
  return std::shared_ptr<RedisStore>(new RedisStore(std::move(options), std::move(*a)));
}

Result<std::unique_ptr<RedisStore::Conn>> RedisStore::connect() {
  if (steady_ms() < down_until_ms_.load())
    return postern::unexpected(
        Error{ErrorKind::Unavailable, fmt::format("redis {}: down at the last try", options_.url)});
  auto fail = [&](std::string why) {
    down_until_ms_.store(steady_ms() + options_.retry_after.count());
    return postern::unexpected(
        Error{ErrorKind::Unavailable, fmt::format("redis {}: {}", options_.url, why)});
  };
  auto c = std::make_unique<Conn>();
  const timeval tv = to_timeval(options_.timeout);
  c->ctx = address_.unix_path.empty()
               ? redisConnectWithTimeout(address_.host.c_str(), address_.port, tv)
               : redisConnectUnixWithTimeout(address_.unix_path.c_str(), tv);
  if (!c->ctx) return fail("cannot allocate a connection");
  if (c->ctx->err) return fail(c->ctx->errstr);
  if (redisSetTimeout(c->ctx, tv) != REDIS_OK) return fail("cannot set the timeout");
  if (address_.db != 0) {
    const std::string db = std::to_string(address_.db);
    auto r = c->run({"SELECT", db});
    if (!r) return fail(r.error().text);
    if ((*r)->type == REDIS_REPLY_ERROR) return fail(std::string((*r).str()));
  }
  return c;
}

// Runs `argv` on a pooled connection; a connection that failed is dropped. For
// EVALSHA, a server without the script (restarted, SCRIPT FLUSH) gets it by EVAL
// (which caches it there). An error reply fails Unavailable (OOM, LOADING,
// READONLY: the server's state), or Corrupt for WRONGTYPE (a key of ours holds
// something else).
Result<RedisStore::Reply> RedisStore::command(std::vector<std::string_view> argv,
                                              const char* script_text) {
  std::unique_ptr<Conn> c = pool_.take();
  if (!c) {
    auto made = connect();
    if (!made) return postern::unexpected(made.error());
    c = std::move(*made);
  }
  auto r = c->run(argv);
  if (r && script_text && (*r)->type == REDIS_REPLY_ERROR && (*r).str().starts_with("NOSCRIPT")) {
    argv[0] = "EVAL";
    argv[1] = script_text;
    r = c->run(argv);
  }
  if (!r) {
    // The connection failed (server gone, restarted, timed out): it is dropped, and
    // so are the idle ones (they are most likely dead too); calls fail at once for
    // retry_after, then the next one connects again.
    pool_.clear();
    down_until_ms_.store(steady_ms() + options_.retry_after.count());
    return postern::unexpected(
        Error{ErrorKind::Unavailable, fmt::format("redis {}: {}", options_.url, r.error().text)});
  }
  pool_.give(std::move(c));
  if ((*r)->type == REDIS_REPLY_ERROR)
    return postern::unexpected(
        Error{(*r).str().starts_with("WRONGTYPE") ? ErrorKind::Corrupt : ErrorKind::Unavailable,
              fmt::format("redis {}: {}", options_.url, (*r).str())});
  return r;
}

Result<RedisStore::Reply> RedisStore::script(int which,
                                             std::initializer_list<std::string_view> keys,
                                             std::initializer_list<std::string_view> args) {
  // The SHA1 of each script's text: what EVALSHA names it by on every server.
  static const std::array<std::string, kScripts> shas = [] {
    std::array<std::string, kScripts> out;
    for (size_t i = 0; i < kScripts; ++i) {
      unsigned char md[SHA_DIGEST_LENGTH];
      SHA1(reinterpret_cast<const unsigned char*>(kScriptText[i]), std::strlen(kScriptText[i]), md);
      for (unsigned char b : md) out[i] += fmt::format("{:02x}", b);
    }
    return out;
  }();
  const std::string nkeys = std::to_string(keys.size());
  std::vector<std::string_view> argv{"EVALSHA", shas[static_cast<size_t>(which)], nkeys};
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());
  return command(std::move(argv), kScriptText[static_cast<size_t>(which)]);
}

std::string RedisStore::key(std::string_view ns, char kind, std::string_view k) const {
  std::string out;
  out.reserve(options_.prefix.size() + ns.size() + 3 + k.size());
  out += options_.prefix;
  out += ns;
  out.push_back(':');
  out.push_back(kind);
  out.push_back(':');
  out += k;
  return out;
}

Result<std::optional<std::string>> RedisStore::get(std::string_view ns, std::string_view k,
                                                   int64_t now) {
  if (auto e = check_key(ns, k)) return postern::unexpected(*e);
  auto r = command({"GET", key(ns, 'k', k)});
  if (!r) return postern::unexpected(r.error());
  if ((*r)->type == REDIS_REPLY_NIL) return std::optional<std::string>();
  if ((*r)->type != REDIS_REPLY_STRING || (*r)->len < 8)
    return postern::unexpected(
        Error{ErrorKind::Corrupt,
              fmt::format("redis {}: {}: a value without its expiry", options_.url, ns)});
  const int64_t expires = from_be64((*r).str());
  if (expires > 0 && expires <= now) return std::optional<std::string>();
  return std::optional<std::string>(std::string((*r).str().substr(8)));
}

Result<void> RedisStore::put(std::string_view ns, std::string_view k, std::string_view value,
                             std::chrono::seconds ttl, int64_t now) {
  if (auto e = check_value(ns, k, value)) return postern::unexpected(*e);
  if (ttl.count() < 0) return postern::unexpected(Error{ErrorKind::Invalid, "a negative ttl"});
  std::string v = be64(ttl.count() > 0 ? now + ttl.count() : 0);
  v += value;
  const std::string full = key(ns, 'k', k);
  auto r = ttl.count() > 0 ? command({"SET", full, v, "EX", std::to_string(ttl.count())})
                           : command({"SET", full, v});
  if (!r) return postern::unexpected(r.error());
  return {};
}

Result<bool> RedisStore::erase(std::string_view ns, std::string_view k) {
  if (auto e = check_key(ns, k)) return postern::unexpected(*e);
  auto r = command({"DEL", key(ns, 'k', k)});
  if (!r) return postern::unexpected(r.error());
  return (*r)->type == REDIS_REPLY_INTEGER && (*r)->integer > 0;
}

Result<uint64_t> RedisStore::hit(std::string_view ns, std::string_view k, uint32_t n,
                                 std::chrono::seconds window, int64_t now) {
  if (auto e = check_key(ns, k)) return postern::unexpected(*e);
  if (auto e = check_window(window)) return postern::unexpected(*e);
  auto r = script(kHit, {key(ns, 'c', k), key(ns, 'w', k)},
                  {std::to_string(now), std::to_string(window.count()), std::to_string(n),
                   std::to_string(now - window.count())});
  if (!r) return postern::unexpected(r.error());
  if ((*r)->type != REDIS_REPLY_INTEGER || (*r)->integer < 0)
    return postern::unexpected(
        Error{ErrorKind::Corrupt,
              fmt::format("redis {}: {}: a counter that is not a count", options_.url, ns)});
  return static_cast<uint64_t>((*r)->integer);
}

Result<void> RedisStore::index_add(std::string_view ns, std::string_view id, int64_t time,
                                   std::string_view value) {
  if (auto e = check_value(ns, id, value)) return postern::unexpected(*e);
  auto r =
      script(kIndexAdd, {key(ns, 'i', "v"), key(ns, 'i', "t")}, {id, std::to_string(time), value});
  if (!r) return postern::unexpected(r.error());
  return {};
}

Result<std::vector<IndexEntry>> RedisStore::index_range(std::string_view ns, int64_t from,
                                                        int64_t to, size_t limit) {
  if (auto e = check_ns(ns)) return postern::unexpected(*e);
  if (auto e = check_limit(limit)) return postern::unexpected(*e);
  std::vector<IndexEntry> out;
  if (limit == 0 || from > to) return out;
  auto r = script(kIndexRange, {key(ns, 'i', "v"), key(ns, 'i', "t")},
                  {std::to_string(from), std::to_string(to), std::to_string(limit)});
  if (!r) return postern::unexpected(r.error());
  const redisReply* a = r->r.get();
  if (a->type != REDIS_REPLY_ARRAY || a->elements % 3 != 0)
    return postern::unexpected(
        Error{ErrorKind::Corrupt,
              fmt::format("redis {}: {}: a malformed index range", options_.url, ns)});
  for (size_t i = 0; i < a->elements; i += 3) {
    const redisReply* id = a->element[i];
    const redisReply* t = a->element[i + 1];
    const redisReply* v = a->element[i + 2];
    auto time =
        t->type == REDIS_REPLY_STRING ? parse_int(std::string_view(t->str, t->len)) : std::nullopt;
    if (id->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING || !time)
      return postern::unexpected(
          Error{ErrorKind::Corrupt,
                fmt::format("redis {}: {}: a malformed index entry", options_.url, ns)});
    out.push_back(IndexEntry{std::string(id->str, id->len), *time, std::string(v->str, v->len)});
  }
  return out;
}

Result<std::optional<IndexEntry>> RedisStore::index_get(std::string_view ns, std::string_view id) {
  if (auto e = check_key(ns, id)) return postern::unexpected(*e);
  auto r = script(kIndexGet, {key(ns, 'i', "v"), key(ns, 'i', "t")}, {id});
  if (!r) return postern::unexpected(r.error());
  const redisReply* a = r->r.get();
  if (a->type == REDIS_REPLY_NIL) return std::optional<IndexEntry>();
  auto time = a->type == REDIS_REPLY_ARRAY && a->elements == 2 &&
                      a->element[0]->type == REDIS_REPLY_STRING &&
                      a->element[1]->type == REDIS_REPLY_STRING
                  ? parse_int(std::string_view(a->element[0]->str, a->element[0]->len))
                  : std::nullopt;
  if (!time)
    return postern::unexpected(
        Error{ErrorKind::Corrupt,
              fmt::format("redis {}: {}: a malformed index entry", options_.url, ns)});
  return std::optional<IndexEntry>(
      IndexEntry{std::string(id), *time, std::string(a->element[1]->str, a->element[1]->len)});
}

Result<bool> RedisStore::index_remove(std::string_view ns, std::string_view id) {
  if (auto e = check_key(ns, id)) return postern::unexpected(*e);
  auto r = script(kIndexRemove, {key(ns, 'i', "v"), key(ns, 'i', "t")}, {id});
  if (!r) return postern::unexpected(r.error());
  return (*r)->type == REDIS_REPLY_INTEGER && (*r)->integer > 0;
}

Result<size_t> RedisStore::index_expire(std::string_view ns, int64_t before) {
  if (auto e = check_ns(ns)) return postern::unexpected(*e);
  auto r = script(kIndexExpire, {key(ns, 'i', "v"), key(ns, 'i', "t")}, {std::to_string(before)});
  if (!r) return postern::unexpected(r.error());
  return (*r)->type == REDIS_REPLY_INTEGER ? static_cast<size_t>((*r)->integer) : 0;
}

Result<size_t> RedisStore::sweep(int64_t) {
  return size_t{0};
}

}  // namespace postern::state
