// SqliteStore: the Store (state/store.hpp) in one SQLite file — the embedded
// default for one host (/var/lib/postern/state.db).
//
// Contract: `open(options)` creates the file when it does not exist (mode 0600;
// when run by root it takes the owner of its directory, like every state file,
// core/state_file.hpp) with the schema and a `meta` table (format
// "postern-state", version kSchemaVersion), or opens an existing one after
// checking that `meta` says it is ours: a file that is not SQLite, an SQLite
// database of something else, or a newer schema is refused (Corrupt) and never
// written to. The file is in WAL mode (readers do not wait for the writer), with
// synchronous=NORMAL (a power loss may drop the last writes, never corrupt the
// file). Each call takes a connection from a pool (one per thread that is inside
// a call at the same moment; at most `max_idle` idle ones are kept) with its
// prepared statements; a call that waits for another process's write lock
// longer than `busy_timeout` fails Unavailable. Several SqliteStores (threads,
// processes, postern-milter and `postern quarantine`) may open one file.
// Expired key/value entries and counter hits are swept lazily (every
// kSweepEvery writes, at most kSweepBatch rows) and by `sweep(now)` (all).
// Threading: as Store (any thread, at once).
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "state/pool.hpp"
#include "state/store.hpp"

namespace postern::state {

struct SqliteOptions {
  std::string path;
  std::chrono::milliseconds busy_timeout{2000};
  size_t max_value_bytes = kDefaultMaxValueBytes;
  size_t max_idle = 8;
};

class SqliteStore final : public Store {
 public:
  static constexpr int kSchemaVersion = 1;
  static constexpr uint64_t kSweepEvery = 1000;
  static constexpr int kSweepBatch = 1000;

  static Result<std::shared_ptr<SqliteStore>> open(SqliteOptions options);
  ~SqliteStore() override;

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
  std::string describe() const override { return "sqlite:" + options_.path; }
  const std::string& path() const { return options_.path; }

  struct Conn;  // one sqlite3 connection and its statements (sqlite_store.cpp)

 private:
  explicit SqliteStore(SqliteOptions options);
  class Lease;
  Result<Lease> lease();
  void maybe_sweep(Conn& c, int64_t now);

  SqliteOptions options_;
  Pool<Conn> pool_;
  std::atomic<uint64_t> writes_{0};
};

}  // namespace postern::state
