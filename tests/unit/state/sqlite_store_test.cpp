// SqliteStore (lib/state/sqlite_store.hpp): its file — created 0600, reopened,
// shared by two stores, and never written when it is not ours.
#include <sqlite3.h>
#include <sys/stat.h>
#include <catch2/catch.hpp>

#include "backends.hpp"
#include "support/files.hpp"

using postern::state::ErrorKind;
using postern::state::SqliteOptions;
using postern::state::SqliteStore;
using namespace std::chrono_literals;

namespace {

void sql(const std::string& path, const char* text) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  CHECK(sqlite3_exec(db, text, nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
}

}  // namespace

TEST_CASE("the SQLite file is created 0600 and keeps its data across a reopen", "[state]") {
  postern::test::TempDir dir;
  const std::string path = dir.str() + "/state.db";
  {
    auto s = postern::test::sqlite_store(path);
    REQUIRE(s->put("kv", "k", "kept"));
    REQUIRE(s->index_add("ix", "id", 42, "entry"));
    REQUIRE(s->hit("rate", "k", 3, 60s, 1000));
  }
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  auto again = postern::test::sqlite_store(path);
  CHECK(again->get("kv", "k").value() == std::optional<std::string>("kept"));
  CHECK(again->index_get("ix", "id").value()->time == 42);
  CHECK(again->hit("rate", "k", 0, 60s, 1001).value() == 3);
}

TEST_CASE("two SqliteStores on one file see each other's writes", "[state]") {
  postern::test::TempDir dir;
  const std::string path = dir.str() + "/state.db";
  auto a = postern::test::sqlite_store(path);
  auto b = postern::test::sqlite_store(path);
  REQUIRE(a->put("kv", "from-a", "1"));
  CHECK(b->get("kv", "from-a").value() == std::optional<std::string>("1"));
  REQUIRE(b->index_add("ix", "from-b", 7, "2"));
  CHECK(a->index_range("ix", 0, 10, 10).value().size() == 1);
  // One counter, two writers: one total.
  CHECK(a->hit("rate", "k", 2, 60s, 100).value() == 2);
  CHECK(b->hit("rate", "k", 3, 60s, 101).value() == 5);
  CHECK(b->erase("kv", "from-a").value());
  CHECK_FALSE(a->get("kv", "from-a").value());
}

TEST_CASE("a file that is not a postern state file is refused and left as it was", "[state]") {
  postern::test::TempDir dir;
  struct Case {
    const char* what;
    std::function<std::string()> make;  // returns the path
    const char* says;
  };
  const std::vector<Case> cases{
      {"a text file",
       [&] { return dir.write("text.db", "postern-sender-history 1\n0123456789abcdef\n"); },
       "not an SQLite database"},
      {"an SQLite database of something else",
       [&] {
         std::string p = dir.str() + "/other.db";
         sql(p, "CREATE TABLE mail(id INTEGER); INSERT INTO mail VALUES(1);");
         return p;
       },
       "not a postern state file"},
      {"a newer schema",
       [&] {
         std::string p = dir.str() + "/newer.db";
         sql(p,
             "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
             "INSERT INTO meta VALUES('format', 'postern-state'), ('version', '99');");
         return p;
       },
       "schema version '99'"},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    const std::string path = c.make();
    const auto before = postern::test::slurp(path);
    auto s = SqliteStore::open(SqliteOptions{.path = path});
    REQUIRE_FALSE(s);
    CHECK(s.error().kind == ErrorKind::Corrupt);
    CHECK_THAT(s.error().text, Catch::Contains(c.says) && Catch::Contains(path));
    CHECK(postern::test::slurp(path) == before);
    CHECK_FALSE(std::filesystem::exists(path + "-wal"));
  }
}

TEST_CASE("a SQLite file that cannot be created is a clear error", "[state]") {
  postern::test::TempDir dir;
  auto s = SqliteStore::open(SqliteOptions{.path = dir.str() + "/no/such/dir/state.db"});
  REQUIRE_FALSE(s);
  CHECK(s.error().kind == ErrorKind::Unavailable);
  CHECK_THAT(s.error().text, Catch::Contains("no/such/dir/state.db"));
}

TEST_CASE("sweep removes expired values and old hits from the SQLite file", "[state]") {
  postern::test::TempDir dir;
  const std::string path = dir.str() + "/state.db";
  auto s = postern::test::sqlite_store(path);
  REQUIRE(s->put("kv", "old", "x", 10s, 1000));
  REQUIRE(s->put("kv", "live", "y", 100s, 1000));
  REQUIRE(s->put("kv", "forever", "z", 0s, 1000));
  REQUIRE(s->hit("rate", "k", 1, 60s, 1000));
  CHECK(s->sweep(1050).value() == 1);  // "old"
  CHECK(s->sweep(1100).value() == 2);  // "live" and the hit
  CHECK(s->get("kv", "forever", 5000).value() == std::optional<std::string>("z"));
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "SELECT (SELECT count(*) FROM kv) + (SELECT count(*) FROM hits)",
                             -1, &st, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(st) == SQLITE_ROW);
  CHECK(sqlite3_column_int(st, 0) == 1);
  sqlite3_finalize(st);
  sqlite3_close(db);
}
