// The state tests' backends: the same behaviour table runs against a fresh
// SqliteStore (a file in a TempDir) and a fresh RedisStore (a key prefix of its
// own on one real redis-server, started once per test process).
#pragma once

#include <unistd.h>

#include <atomic>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "state/redis_store.hpp"
#include "state/sqlite_store.hpp"
#include "support/redis_server.hpp"
#include "support/temp_dir.hpp"

namespace postern::test {

inline RedisServer& shared_redis() {
  static RedisServer server;
  return server;
}

// A prefix no other store of this run uses.
inline std::string unique_prefix() {
  static std::atomic<unsigned> n{0};
  return "t" + std::to_string(::getpid()) + "." + std::to_string(++n) + ":";
}

inline std::shared_ptr<state::SqliteStore> sqlite_store(
    const std::string& path, size_t max_value = state::kDefaultMaxValueBytes) {
  auto s =
      state::SqliteStore::open(state::SqliteOptions{.path = path, .max_value_bytes = max_value});
  if (!s) throw std::runtime_error(state::to_string(s.error()));
  return *s;
}

inline std::shared_ptr<state::RedisStore> redis_store(
    const std::string& url, const std::string& prefix,
    size_t max_value = state::kDefaultMaxValueBytes) {
  auto s = state::RedisStore::open(
      state::RedisOptions{.url = url, .prefix = prefix, .max_value_bytes = max_value});
  if (!s) throw std::runtime_error(state::to_string(s.error()));
  return *s;
}

// {name, store} for each backend, both empty.
inline std::vector<std::pair<std::string, std::shared_ptr<state::Store>>> both_backends(
    const TempDir& dir, size_t max_value = state::kDefaultMaxValueBytes) {
  return {{"sqlite", sqlite_store(dir.str() + "/state.db", max_value)},
          {"redis", redis_store(shared_redis().url(), unique_prefix(), max_value)}};
}

}  // namespace postern::test
