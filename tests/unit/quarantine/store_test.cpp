// The quarantine store: message files and their index, on real state stores.
#include "quarantine/store.hpp"

#include <sys/stat.h>
#include <utime.h>

#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <set>

#include "quarantine/release.hpp"
#include "state/backends.hpp"
#include "support/files.hpp"
#include "support/temp_dir.hpp"

using namespace postern;
using quarantine::Entry;

namespace {

// The store over a fresh SQLite file, or over a real redis-server under a key prefix
// of its own (state/backends.hpp).
struct StoreFixture {
  test::TempDir tmp;
  std::shared_ptr<state::Store> state;
  quarantine::Store store;
  explicit StoreFixture(int64_t grace = 3600, const std::string& backend = "sqlite")
      : state(backend == "redis"
                  ? std::shared_ptr<state::Store>(
                        test::redis_store(test::shared_redis().url(), test::unique_prefix()))
                  : std::shared_ptr<state::Store>(test::sqlite_store(tmp.str() + "/state.db"))),
        store(tmp.str() + "/q", state, grace) {}
};

const std::vector<std::string> kBackends{"sqlite", "redis"};

Entry entry_at(int64_t t, std::string rcpt, std::vector<std::string> symbols = {"TEST_A"}) {
  Entry e;
  e.time = t;
  e.direction = "inbound";
  e.sender = "alice@sender.example";
  e.recipients = {std::move(rcpt)};
  e.from = "Alice <alice@sender.example>";
  e.subject = "invoice";
  e.score = 11.5;
  e.symbols = std::move(symbols);
  e.reason = "score 11.50 >= quarantine threshold 10.00";
  e.group = "default";
  e.expires = t + 30 * 86400;
  return e;
}

size_t files_under(const std::string& dir) {
  size_t n = 0;
  if (!std::filesystem::exists(dir)) return 0;
  for (const auto& f : std::filesystem::recursive_directory_iterator(dir))
    if (f.is_regular_file()) ++n;
  return n;
}

void age(const std::string& path, int64_t seconds) {
  struct utimbuf t {};
  t.actime = t.modtime = ::time(nullptr) - seconds;
  REQUIRE(::utime(path.c_str(), &t) == 0);
}

}  // namespace

TEST_CASE("an entry and its message come back as they were written") {
  StoreFixture f;
  const std::string msg = "From: alice@sender.example\r\nSubject: invoice\r\n\r\nbody\r\n";
  auto put = f.store.put(entry_at(1700000000, "bob@feas.test"), msg);
  REQUIRE(put);
  CHECK(quarantine::valid_id(put->id));
  CHECK(put->id.size() == 16);
  CHECK(put->size == msg.size());
  const std::string path = f.store.path_of(put->sha256);
  CHECK(path == f.tmp.str() + "/q/" + put->sha256.substr(0, 2) + "/" + put->sha256.substr(2));
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  auto got = f.store.get(put->id);
  REQUIRE(got);
  REQUIRE(*got);
  CHECK((*got)->sender == "alice@sender.example");
  CHECK((*got)->recipients == std::vector<std::string>{"bob@feas.test"});
  CHECK((*got)->subject == "invoice");
  CHECK((*got)->score == 11.5);
  CHECK((*got)->symbols == std::vector<std::string>{"TEST_A"});
  CHECK((*got)->expires == 1700000000 + 30 * 86400);
  auto raw = f.store.read_message(**got);
  REQUIRE(raw);
  CHECK(*raw == msg);
  CHECK_FALSE(*f.store.get("AAAAAAAAAAAAAAAA"));
  CHECK_FALSE(*f.store.get("../../etc/passwd"));  // not an id: never a path
}

TEST_CASE("the same message quarantined twice is one file under two entries") {
  StoreFixture f(0);
  const std::string msg = "Subject: same\r\n\r\nsame body\r\n";
  auto a = f.store.put(entry_at(1700000000, "bob@feas.test"), msg);
  auto b = f.store.put(entry_at(1700000100, "carol@feas.test"), msg);
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->id != b->id);
  CHECK(a->sha256 == b->sha256);
  CHECK(files_under(f.tmp.str() + "/q") == 1);
  // Deleting one keeps the file the other still names; deleting both removes it.
  age(f.store.path_of(a->sha256), 10);
  REQUIRE(*f.store.remove(a->id));
  CHECK(files_under(f.tmp.str() + "/q") == 1);
  CHECK(f.store.read_message(*b));
  REQUIRE(*f.store.remove(b->id));
  CHECK(files_under(f.tmp.str() + "/q") == 0);
  CHECK_FALSE(*f.store.remove(b->id));
}

TEST_CASE("a file that does not match its entry is refused, not shown") {
  StoreFixture f;
  auto e = f.store.put(entry_at(1700000000, "bob@feas.test"), "Subject: x\r\n\r\nx\r\n");
  REQUIRE(e);
  const std::string path = f.store.path_of(e->sha256);
  ::chmod(path.c_str(), 0600);
  std::filesystem::resize_file(path, 3);
  CHECK_FALSE(f.store.read_message(*e));
  std::filesystem::remove(path);
  auto r = f.store.read_message(*e);
  REQUIRE_FALSE(r);
  CHECK(r.error().find("missing") != std::string::npos);
}

TEST_CASE("the sweep removes expired entries and the files no entry names any more") {
  for (const auto& backend : kBackends) {
    INFO(backend);
    StoreFixture f(3600, backend);
    const int64_t t0 = ::time(nullptr) - 10 * 86400;
    Entry old_one = entry_at(t0, "bob@feas.test");
    old_one.expires = t0 + 86400;
    Entry shared_old = entry_at(t0, "carol@feas.test");
    shared_old.expires = t0 + 86400;
    Entry shared_new = entry_at(t0 + 10, "dave@feas.test");
    shared_new.expires = t0 + 90 * 86400;
    auto a = f.store.put(old_one, "Subject: a\r\n\r\nalone\r\n");
    auto b = f.store.put(shared_old, "Subject: s\r\n\r\nshared\r\n");
    auto c = f.store.put(shared_new, "Subject: s\r\n\r\nshared\r\n");
    REQUIRE((a && b && c));
    // A file written within the grace stays even when nothing names it (a put in flight).
    auto fresh = f.store.sweep(t0 + 2 * 86400);
    REQUIRE(fresh);
    CHECK(fresh->entries == 2);
    CHECK(fresh->files == 0);
    CHECK(fresh->kept == 1);  // what the quarantine gauges show
    CHECK(fresh->kept_bytes == c->size);
    CHECK_FALSE(*f.store.get(a->id));
    CHECK_FALSE(*f.store.get(b->id));
    CHECK(*f.store.get(c->id));
    age(f.store.path_of(a->sha256), 7200);
    age(f.store.path_of(c->sha256), 7200);
    auto later = f.store.sweep(::time(nullptr));
    REQUIRE(later);
    CHECK(later->files == 1);  // a's file; the shared file is still named by c
    CHECK_FALSE(std::filesystem::exists(f.store.path_of(a->sha256)));
    CHECK(f.store.read_message(*c));
    auto last = f.store.sweep(t0 + 91 * 86400);
    REQUIRE(last);
    CHECK(last->entries == 1);
    CHECK(last->kept == 0);
    CHECK(last->kept_bytes == 0);
    CHECK(files_under(f.tmp.str() + "/q") == 0);
  }
}

TEST_CASE("list filters by time, recipient, sender and symbol, newest first") {
  for (const auto& backend : kBackends) {
    INFO(backend);
    StoreFixture f(3600, backend);
    const int64_t t0 = 1700000000;
    std::vector<std::string> ids;
    struct Put {
      int64_t dt;
      const char* rcpt;
      const char* sender;
      std::vector<std::string> symbols;
    };
    for (const auto& p : std::vector<Put>{
             {0, "bob@feas.test", "alice@a.example", {"SPF_FAIL"}},
             {100, "carol@feas.test", "eve@b.example", {"URL_FEED_PHISH"}},
             {200, "Bob@Feas.test", "mallory@b.example", {"SPF_FAIL", "URL_FEED_PHISH"}}}) {
      Entry e = entry_at(t0 + p.dt, p.rcpt, p.symbols);
      e.sender = p.sender;
      e.from = p.sender;
      auto r = f.store.put(e, fmt::format("Subject: {}\r\n\r\n{}\r\n", p.dt, p.dt));
      REQUIRE(r);
      ids.push_back(r->id);
    }
    auto ids_of = [&](quarantine::Filter flt) {
      auto l = f.store.list(flt);
      REQUIRE(l);
      std::vector<std::string> out;
      for (const auto& e : *l) out.push_back(e.id);
      return out;
    };
    using V = std::vector<std::string>;
    CHECK(ids_of({}) == V{ids[2], ids[1], ids[0]});
    CHECK(ids_of({.since = t0 + 50}) == V{ids[2], ids[1]});
    CHECK(ids_of({.until = t0 + 150}) == V{ids[1], ids[0]});
    CHECK(ids_of({.rcpt = "bob@feas.test"}) == V{ids[2], ids[0]});
    CHECK(ids_of({.from = "B.EXAMPLE"}) == V{ids[2], ids[1]});
    CHECK(ids_of({.symbol = "URL_FEED_PHISH"}) == V{ids[2], ids[1]});
    CHECK(ids_of({.rcpt = "bob@feas.test", .symbol = "URL_FEED_PHISH"}) == V{ids[2]});
    CHECK(ids_of({.limit = 1}) == V{ids[2]});
    CHECK(ids_of({.symbol = "NOPE"}).empty());
  }
}

TEST_CASE("list pages through more entries than one index page") {
  for (const auto& backend : kBackends) {
    INFO(backend);
    StoreFixture f(3600, backend);
    for (int i = 0; i < 1205; ++i) {
      Entry e = entry_at(1700000000 + i / 3, "bob@feas.test");  // three entries a second
      REQUIRE(f.store.put(e, "Subject: many\r\n\r\nmany\r\n"));
    }
    auto all = f.store.list({.limit = 5000});
    REQUIRE(all);
    CHECK(all->size() == 1205);
    std::set<std::string> distinct;
    for (const auto& e : *all) distinct.insert(e.id);
    CHECK(distinct.size() == 1205);
  }
}

TEST_CASE("an index entry stays within its bound whatever the message holds") {
  StoreFixture f;
  Entry e = entry_at(1700000000, "bob@feas.test");
  e.subject = std::string(100000, 'S');
  e.from = std::string(5000, '\xC3') + "\xA9";  // invalid UTF-8 kept out of the JSON
  e.reason = std::string(10000, 'r');
  e.recipients.clear();
  for (int i = 0; i < 500; ++i) e.recipients.push_back(fmt::format("user{}@feas.test", i));
  e.recipient_count = e.recipients.size();
  for (int i = 0; i < 500; ++i) e.symbols.push_back(fmt::format("SYMBOL_NUMBER_{}", i));
  auto r = f.store.put(e, "Subject: big\r\n\r\nbig\r\n");
  REQUIRE(r);
  auto got = f.store.get(r->id);
  REQUIRE(got);
  REQUIRE(*got);
  CHECK((*got)->subject.size() == quarantine::kMaxTextField);
  CHECK((*got)->recipients.size() == quarantine::kMaxListedRecipients);
  CHECK((*got)->recipient_count == 500);
  CHECK((*got)->symbols.size() == quarantine::kMaxListedSymbols);
  CHECK(quarantine::to_json(**got).size() <= quarantine::kMaxIndexValue);
}
