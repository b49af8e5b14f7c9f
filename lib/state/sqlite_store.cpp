// SqliteStore: the Store in one SQLite file (see sqlite_store.hpp).
#include "state/sqlite_store.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sqlite3.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "core/state_file.hpp"

namespace postern::state {
namespace {

constexpr const char* kFormat = "postern-state";

// The schema of version 1. Keys and ids are BLOBs (bytes, compared as memcmp,
// like Redis's sorted set members); WITHOUT ROWID keeps each table one B-tree.
constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS kv(ns TEXT NOT NULL, key BLOB NOT NULL, value BLOB NOT NULL,
  expires INTEGER NOT NULL, PRIMARY KEY(ns, key)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS kv_expires ON kv(expires) WHERE expires > 0;
CREATE TABLE IF NOT EXISTS hits(ns TEXT NOT NULL, key BLOB NOT NULL, t INTEGER NOT NULL,
  n INTEGER NOT NULL, expires INTEGER NOT NULL, PRIMARY KEY(ns, key, t)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS hits_expires ON hits(expires);
CREATE TABLE IF NOT EXISTS idx(ns TEXT NOT NULL, id BLOB NOT NULL, t INTEGER NOT NULL,
  value BLOB NOT NULL, PRIMARY KEY(ns, id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS idx_time ON idx(ns, t, id);
INSERT OR IGNORE INTO meta(key, value) VALUES('format', 'postern-state'), ('version', '1');
)";

enum Sql : size_t {
  kGet,
  kPut,
  kErase,
  kHitAdd,
  kHitDrop,
  kHitSum,
  kIxAdd,
  kIxRange,
  kIxGet,
  kIxRemove,
  kIxExpire,
  kSweepKv,
  kSweepHits,
  kBegin,
  kCommit,
  kRollback,
  kSqlCount
};

constexpr std::array<const char*, kSqlCount> kSql{
    "SELECT value, expires FROM kv WHERE ns=?1 AND key=?2",
    "INSERT INTO kv(ns, key, value, expires) VALUES(?1, ?2, ?3, ?4) "
    "ON CONFLICT(ns, key) DO UPDATE SET value=excluded.value, expires=excluded.expires",
    "DELETE FROM kv WHERE ns=?1 AND key=?2",
    "INSERT INTO hits(ns, key, t, n, expires) VALUES(?1, ?2, ?3, ?4, ?5) "
    "ON CONFLICT(ns, key, t) DO UPDATE SET n=n+excluded.n, expires=excluded.expires",
    "DELETE FROM hits WHERE ns=?1 AND key=?2 AND t<=?3",
    "SELECT COALESCE(SUM(n), 0) FROM hits WHERE ns=?1 AND key=?2 AND t>?3",
    "INSERT INTO idx(ns, id, t, value) VALUES(?1, ?2, ?3, ?4) "
    "ON CONFLICT(ns, id) DO UPDATE SET t=excluded.t, value=excluded.value",
    "SELECT id, t, value FROM idx WHERE ns=?1 AND t>=?2 AND t<=?3 ORDER BY t DESC, id DESC "
    "LIMIT ?4",
    "SELECT id, t, value FROM idx WHERE ns=?1 AND id=?2",
    "DELETE FROM idx WHERE ns=?1 AND id=?2",
    "DELETE FROM idx WHERE ns=?1 AND t<?2",
    "DELETE FROM kv WHERE (ns, key) IN "
    "(SELECT ns, key FROM kv WHERE expires>0 AND expires<=?1 LIMIT ?2)",
    "DELETE FROM hits WHERE (ns, key, t) IN "
    "(SELECT ns, key, t FROM hits WHERE expires<=?1 LIMIT ?2)",
    "BEGIN IMMEDIATE",
    "COMMIT",
    "ROLLBACK",
};

Error sqlite_error(sqlite3* db, int rc, std::string_view what) {
  const int primary = rc & 0xff;
  ErrorKind kind = ErrorKind::Unavailable;  // busy, locked, I/O, full, read-only...
  if (primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT || primary == SQLITE_FORMAT)
    kind = ErrorKind::Corrupt;
  else if (primary == SQLITE_TOOBIG)
    kind = ErrorKind::TooLarge;
  return Error{kind, fmt::format("{}: {}", what, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc))};
}

std::string_view column_bytes(sqlite3_stmt* st, int i) {
  const void* p = sqlite3_column_blob(st, i);
  const int n = sqlite3_column_bytes(st, i);
  return p ? std::string_view(static_cast<const char*>(p), static_cast<size_t>(n))
           : std::string_view();
}

}  // namespace

// One connection and its prepared statements; used by one thread at a time.
struct SqliteStore::Conn {
  sqlite3* db = nullptr;
  std::array<sqlite3_stmt*, kSqlCount> st{};
  ~Conn() {
    for (auto* s : st) sqlite3_finalize(s);
    sqlite3_close_v2(db);
  }
};

namespace {

// A statement in use: bound, stepped, reset when it goes out of scope.
class Stmt {
 public:
  Stmt(SqliteStore::Conn& c, Sql which) : db_(c.db), st_(c.st[which]) {}
  ~Stmt() {
    sqlite3_reset(st_);
    sqlite3_clear_bindings(st_);
  }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Stmt& text(int i, std::string_view v) {
    sqlite3_bind_text(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
    return *this;
  }
  Stmt& blob(int i, std::string_view v) {
    if (v.empty())
      sqlite3_bind_zeroblob(st_, i, 0);
    else
      sqlite3_bind_blob(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
    return *this;
  }
  Stmt& integer(int i, int64_t v) {
    sqlite3_bind_int64(st_, i, v);
    return *this;
  }
  // SQLITE_ROW, SQLITE_DONE or an error code.
  int step() { return sqlite3_step(st_); }
  sqlite3_stmt* get() const { return st_; }
  Error error(int rc, std::string_view what) const { return sqlite_error(db_, rc, what); }

 private:
  sqlite3* db_;
  sqlite3_stmt* st_;
};

Result<void> run(SqliteStore::Conn& c, Sql which, std::string_view what) {
  Stmt s(c, which);
  const int rc = s.step();
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) return postern::unexpected(s.error(rc, what));
  return {};
}

Result<void> exec(sqlite3* db, const char* sql, std::string_view what) {
  char* msg = nullptr;
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &msg);
  if (rc == SQLITE_OK) return {};
  Error e = sqlite_error(db, rc, what);
  sqlite3_free(msg);
  return postern::unexpected(std::move(e));
}

// Opens a connection; `first` also checks the file is ours and creates the schema.
Result<std::unique_ptr<SqliteStore::Conn>> connect(const SqliteOptions& o, bool first) {
  auto c = std::make_unique<SqliteStore::Conn>();
  const int rc =
      sqlite3_open_v2(o.path.c_str(), &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK)
    return postern::unexpected(sqlite_error(c->db, rc, o.path + ": cannot open it"));
  sqlite3_extended_result_codes(c->db, 1);
  sqlite3_busy_timeout(c->db, static_cast<int>(o.busy_timeout.count()));
  if (first) {
    // Read before writing anything: a file that is not ours is never touched.
    sqlite3_stmt* st = nullptr;
    int r = sqlite3_prepare_v2(c->db, "SELECT count(*) FROM sqlite_master", -1, &st, nullptr);
    if (r == SQLITE_OK) r = sqlite3_step(st);
    const int64_t objects = r == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    if (r != SQLITE_ROW) {
      Error e = sqlite_error(c->db, r, o.path);
      if (e.kind == ErrorKind::Corrupt)
        e.text = o.path + ": not an SQLite database (not a postern state file)";
      return postern::unexpected(std::move(e));
    }
    if (objects > 0) {
      std::string format, version;
      st = nullptr;
      r = sqlite3_prepare_v2(c->db, "SELECT key, value FROM meta", -1, &st, nullptr);
      while (r == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
        std::string_view k = column_bytes(st, 0);
        if (k == "format") format = column_bytes(st, 1);
        if (k == "version") version = column_bytes(st, 1);
      }
      sqlite3_finalize(st);
      if (format != kFormat)
        return postern::unexpected(
            Error{ErrorKind::Corrupt,
                  fmt::format("{}: an SQLite database of something else (no meta format '{}'): "
                              "not a postern state file, left as it is",
                              o.path, kFormat)});
      if (version != std::to_string(SqliteStore::kSchemaVersion))
        return postern::unexpected(
            Error{ErrorKind::Corrupt, fmt::format("{}: schema version '{}', this postern knows {}",
                                                  o.path, version, SqliteStore::kSchemaVersion)});
    }
    if (auto e = exec(c->db, "PRAGMA journal_mode=WAL", o.path + ": WAL mode"); !e)
      return postern::unexpected(e.error());
    if (objects == 0) {
      if (auto e = exec(c->db, "BEGIN IMMEDIATE", o.path + ": create the schema"); !e)
        return postern::unexpected(e.error());
      if (auto e = exec(c->db, kSchema, o.path + ": create the schema"); !e) {
        exec(c->db, "ROLLBACK", "");
        return postern::unexpected(e.error());
      }
      if (auto e = exec(c->db, "COMMIT", o.path + ": create the schema"); !e)
        return postern::unexpected(e.error());
    }
  }
  if (auto e = exec(c->db, "PRAGMA synchronous=NORMAL", o.path); !e)
    return postern::unexpected(e.error());
  for (size_t i = 0; i < kSqlCount; ++i) {
    const int r =
        sqlite3_prepare_v3(c->db, kSql[i], -1, SQLITE_PREPARE_PERSISTENT, &c->st[i], nullptr);
    if (r != SQLITE_OK)
      return postern::unexpected(sqlite_error(c->db, r, o.path + ": prepare a statement"));
  }
  return c;
}

// BEGIN IMMEDIATE ... COMMIT around `body`; ROLLBACK when it or COMMIT fails.
template <typename F>
auto transaction(SqliteStore::Conn& c, std::string_view what, F&& body) -> decltype(body()) {
  if (auto b = run(c, kBegin, what); !b) return postern::unexpected(b.error());
  auto r = body();
  if (r) {
    if (auto cm = run(c, kCommit, what); cm)
      return r;
    else
      r = postern::unexpected(cm.error());
  }
  run(c, kRollback, what);
  return r;
}

}  // namespace

class SqliteStore::Lease {
 public:
  Lease(Pool<Conn>& pool, std::unique_ptr<Conn> c) : pool_(&pool), c_(std::move(c)) {}
  Lease(Lease&& o) noexcept : pool_(o.pool_), c_(std::move(o.c_)) {}
  ~Lease() {
    if (c_) pool_->give(std::move(c_));
  }
  Conn& operator*() { return *c_; }

 private:
  Pool<Conn>* pool_;
  std::unique_ptr<Conn> c_;
};

SqliteStore::SqliteStore(SqliteOptions options)
    : Store(options.max_value_bytes), options_(std::move(options)), pool_(options_.max_idle) {}

SqliteStore::~SqliteStore() = default;

Result<std::shared_ptr<SqliteStore>> SqliteStore::open(SqliteOptions options) {
  if (options.path.empty())
    return postern::unexpected(Error{ErrorKind::Invalid, "no SQLite file named"});
  if (::access(options.path.c_str(), F_OK) != 0) {
    const int fd = ::open(options.path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 && errno != EEXIST)
      return postern::unexpected(
          Error{ErrorKind::Unavailable,
                fmt::format("{}: cannot create it: {}", options.path, std::strerror(errno))});
    if (fd >= 0) {
      core::adopt_directory_owner(fd, options.path);
      ::close(fd);
    }
  }
  std::shared_ptr<SqliteStore> s(new SqliteStore(std::move(options)));
  auto first = connect(s->options_, true);
  if (!first) return postern::unexpected(first.error());
  s->pool_.give(std::move(*first));
  return s;
}

Result<SqliteStore::Lease> SqliteStore::lease() {
  if (auto c = pool_.take()) return Lease(pool_, std::move(c));
  auto c = connect(options_, false);
  if (!c) return postern::unexpected(c.error());
  return Lease(pool_, std::move(*c));
}

void SqliteStore::maybe_sweep(Conn& c, int64_t now) {
  if (++writes_ % kSweepEvery != 0) return;
  // Best effort: a sweep that fails is retried at the next turn.
  Stmt(c, kSweepKv).integer(1, now).integer(2, kSweepBatch).step();
  Stmt(c, kSweepHits).integer(1, now).integer(2, kSweepBatch).step();
}

Result<std::optional<std::string>> SqliteStore::get(std::string_view ns, std::string_view key,
                                                    int64_t now) {
  if (auto e = check_key(ns, key)) return postern::unexpected(*e);
  auto l = lease();
  if (!l) return postern::unexpected(l.error());
  Stmt s(**l, kGet);
  s.text(1, ns).blob(2, key);
  const int rc = s.step();
  if (rc == SQLITE_DONE) return std::optional<std::string>();
  if (rc != SQLITE_ROW) return postern::unexpected(s.error(rc, "get"));
  const int64_t expires = sqlite3_column_int64(s.get(), 1);
  if (expires > 0 && expires <= now) return std::optional<std::string>();
  return std::optional<std::string>(std::string(column_bytes(s.get(), 0)));
}

Result<void> SqliteStore::put(std::string_view ns, std::string_view key, std::string_view value,
                              std::chrono::seconds ttl, int64_t now) {
  if (auto e = check_value(ns, key, value)) return postern::unexpected(*e);
  if (ttl.count() < 0) return postern::unexpected(Error{ErrorKind::Invalid, "a negative ttl"});
  auto l = lease();
  if (!l) return postern::unexpected(l.error());
  {
    Stmt s(**l, kPut);
    s.text(1, ns).blob(2, key).blob(3, value).integer(4, ttl.count() > 0 ? now + ttl.count() : 0);
    if (const int rc = s.step(); rc != SQLITE_DONE) return postern::unexpected(s.error(rc, "put"));
  }
  maybe_sweep(**l, now);
  return {};
}

Result<bool> SqliteStore::erase(std::string_view ns, std::string_view key) {
  if (auto e = check_key(ns, key)) return postern::unexpected(*e);
  auto l = lease();
  if (!l) return postern::unexpected(l.error());
  Stmt s(**l, kErase);
  s.text(1, ns).blob(2, key);
  if (const int rc = s.step(); rc != SQLITE_DONE) return postern::unexpected(s.error(rc, "erase"));
  return sqlite3_changes((**l).db) > 0;
}

Result<uint64_t> SqliteStore::hit(std::string_view ns, std::string_view key, uint32_t n,
                                  std::chrono::seconds window, int64_t now) {
  if (auto e = check_key(ns, key)) return postern::unexpected(*e);
  if (auto e = check_window(window)) return postern::unexpected(*e);
  auto l = lease();
  if (!l) return postern::unexpected(l.error());
  Conn& c = **l;
  const int64_t oldest = now - window.count();  // hits at t <= oldest are out of the window
  auto sum = [&]() -> Result<uint64_t> {
    Stmt s(c, kHitSum);
    s.text(1, ns).blob(2, key).integer(3, oldest);
    if (const int rc = s.step(); rc != SQLITE_ROW) return postern::unexpected(s.error(rc, "hit"));
    return static_cast<uint64_t>(sqlite3_column_int64(s.get(), 0));
  };
  if (n == 0) return sum();
  auto r = transaction(c, "hit", [&]() -> Result<uint64_t> {
    {
      Stmt s(c, kHitAdd);
      s.text(1, ns).blob(2, key).integer(3, now).integer(4, n).integer(5, now + window.count());
      if (const int rc = s.step(); rc != SQLITE_DONE)
        return postern::unexpected(s.error(rc, "hit"));
    }
    {
      Stmt s(c, kHitDrop);
      s.text(1, ns).blob(2, key).integer(3, oldest);
      if (const int rc = s.step(); rc != SQLITE_DONE)
        return postern::unexpected(s.error(rc, "hit"));
    }
    return sum();
  });
  if (r) maybe_sweep(c, now);
  return r;
}

Result<void> SqliteStore::index_add(std::string_view ns, std::string_view id, int64_t time,
                                    std::string_view value) {
  if (auto e = check_value(ns, id, value)) return postern::unexpected(*e);
  auto l = lease();
  if (!l) return postern::unexpected(l.error());
  Stmt s(**l, kIxAdd);
  s.text(1, ns).blob(2, id).integer(3, time).blob(4, value);
  if (const int rc = s.step(); rc != SQLITE_DONE)
    return postern::unexpected(s.error(rc, "index add"));
  return {};
}

Result<std::vector<IndexEntry>> SqliteStore::index_range(std::string_view ns, int64_t from,
                                                         int64_t to, size_t limit) {
  if (auto e = check_ns(ns)) return postern::unexpected(*e);
  if (auto e = check_limit(limit)) return postern::unexpected(*e);
  auto l = lease();
  if (!l) return postern::unexpected(l.error());
  Stmt s(**l, kIxRange);
  s.text(1, ns).integer(2, from).integer(3, to).integer(4, static_cast<int64_t>(limit));
  std::vector<IndexEntry> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW)
    out.push_back(IndexEntry{std::string(column_bytes(s.get(), 0)),
                             sqlite3_column_int64(s.get(), 1),
                             std::string(column_bytes(s.get(), 2))});
  if (rc != SQLITE_DONE) return postern::unexpected(s.error(rc, "index range"));
  return out;
}

Result<std::optional<IndexEntry>> SqliteStore::index_get(std::string_view ns, std::string_view id) {
  if (auto e = check_key(ns, id)) return postern::unexpected(*e);
  auto l = lease();
  if (!l) return postern::unexpected(l.error());
  Stmt s(**l, kIxGet);
  s.text(1, ns).blob(2, id);
  const int rc = s.step();
  if (rc == SQLITE_DONE) return std::optional<IndexEntry>();
  if (rc != SQLITE_ROW) return postern::unexpected(s.error(rc, "index get"));
  return std::optional<IndexEntry>(IndexEntry{std::string(column_bytes(s.get(), 0)),
                                              sqlite3_column_int64(s.get(), 1),
                                              std::string(column_bytes(s.get(), 2))});
}

Result<bool> SqliteStore::index_remove(std::string_view ns, std::string_view id) {
  if (auto e = check_key(ns, id)) return postern::unexpected(*e);
  auto l = lease();
  if (!l) return postern::unexpected(l.error());
  Stmt s(**l, kIxRemove);
  s.text(1, ns).blob(2, id);
  if (const int rc = s.step(); rc != SQLITE_DONE)
    return postern::unexpected(s.error(rc, "index remove"));
  return sqlite3_changes((**l).db) > 0;
}

Result<size_t> SqliteStore::index_expire(std::string_view ns, int64_t before) {
  if (auto e = check_ns(ns)) return postern::unexpected(*e);
  auto l = lease();
  if (!l) return postern::unexpected(l.error());
  Stmt s(**l, kIxExpire);
  s.text(1, ns).integer(2, before);
  if (const int rc = s.step(); rc != SQLITE_DONE)
    return postern::unexpected(s.error(rc, "index expire"));
  return static_cast<size_t>(sqlite3_changes((**l).db));
}

Result<size_t> SqliteStore::sweep(int64_t now) {
  auto l = lease();
  if (!l) return postern::unexpected(l.error());
  size_t removed = 0;
  for (Sql which : {kSweepKv, kSweepHits}) {
    Stmt s(**l, which);
    s.integer(1, now).integer(2, -1);  // LIMIT -1: all
    if (const int rc = s.step(); rc != SQLITE_DONE)
      return postern::unexpected(s.error(rc, "sweep"));
    removed += static_cast<size_t>(sqlite3_changes((**l).db));
  }
  return removed;
}

}  // namespace postern::state
