// The Store behaviour table (lib/state/store.hpp), run against both backends:
// SQLite and a real redis-server must answer every step the same way.
#include <catch2/catch.hpp>

#include <set>
#include <thread>

#include "backends.hpp"

using postern::state::ErrorKind;
using postern::state::IndexEntry;
using namespace std::chrono_literals;

TEST_CASE("both backends keep, replace, expire and erase values the same way", "[state]") {
  enum Op { Put, Get, Erase };
  struct Step {
    const char* what;
    Op op;
    std::string ns, key, value;
    int64_t ttl, now;
    std::optional<std::string> want;  // Get: the value; Erase: "1" when it was there
  };
  const std::string binary("a\0b\xff", 4);
  const std::vector<Step> steps{
      {"a value without ttl", Put, "kv", "a", "one", 0, 1000, {}},
      {"is there", Get, "kv", "a", "", 0, 1000, "one"},
      {"and years later", Get, "kv", "a", "", 0, 1000 + 10 * 365 * 86400, "one"},
      {"another namespace does not see it", Get, "other", "a", "", 0, 1000, std::nullopt},
      {"a put replaces", Put, "kv", "a", "two", 0, 1000, {}},
      {"the new value", Get, "kv", "a", "", 0, 1000, "two"},
      {"a value with ttl 10 s", Put, "kv", "b", "short", 10, 1000, {}},
      {"there 9 s later", Get, "kv", "b", "", 0, 1009, "short"},
      {"gone 10 s later", Get, "kv", "b", "", 0, 1010, std::nullopt},
      {"a put renews the ttl", Put, "kv", "b", "again", 10, 1005, {}},
      {"there at 1014", Get, "kv", "b", "", 0, 1014, "again"},
      {"gone at 1015", Get, "kv", "b", "", 0, 1015, std::nullopt},
      {"a put without ttl clears it", Put, "kv", "b", "kept", 0, 1005, {}},
      {"kept at 2000", Get, "kv", "b", "", 0, 2000, "kept"},
      {"bytes are bytes", Put, "kv", binary, binary, 0, 1000, {}},
      {"read back whole", Get, "kv", binary, "", 0, 1000, binary},
      {"an empty value is a value", Put, "kv", "empty", "", 0, 1000, {}},
      {"present and empty", Get, "kv", "empty", "", 0, 1000, ""},
      {"erase says it was there", Erase, "kv", "a", "", 0, 1000, "1"},
      {"gone", Get, "kv", "a", "", 0, 1000, std::nullopt},
      {"erase of nothing", Erase, "kv", "a", "", 0, 1000, std::nullopt},
      {"never written", Get, "kv", "never", "", 0, 1000, std::nullopt},
  };
  postern::test::TempDir dir;
  for (auto& [name, store] : postern::test::both_backends(dir)) {
    for (const auto& s : steps) {
      INFO(name << ": " << s.what);
      if (s.op == Put) {
        auto r = store->put(s.ns, s.key, s.value, std::chrono::seconds(s.ttl), s.now);
        REQUIRE(r);
      } else if (s.op == Get) {
        auto r = store->get(s.ns, s.key, s.now);
        REQUIRE(r);
        CHECK(*r == s.want);
      } else {
        auto r = store->erase(s.ns, s.key);
        REQUIRE(r);
        CHECK(*r == s.want.has_value());
      }
    }
  }
}

TEST_CASE("both backends count hits in a sliding window to the second", "[state]") {
  struct Step {
    int64_t now;
    uint32_t n;
    uint64_t want;
  };
  // window 60: a hit at t counts while now - 60 < t.
  const std::vector<Step> steps{
      {1000, 1, 1}, {1030, 2, 3}, {1059, 0, 3},  // 1000 still inside at 1059
      {1060, 0, 2},                              // 1000 is out at 1060 exactly
      {1060, 5, 7}, {1089, 0, 7}, {1090, 0, 5},  // 1030 out at 1090
      {1119, 0, 5}, {1120, 0, 0}, {1120, 1, 1}, {2000, 0, 0},
  };
  postern::test::TempDir dir;
  for (auto& [name, store] : postern::test::both_backends(dir)) {
    for (const auto& s : steps) {
      INFO(name << ": at " << s.now << " add " << s.n);
      auto r = store->hit("rate", "user@example.com", s.n, 60s, s.now);
      REQUIRE(r);
      CHECK(*r == s.want);
    }
    // Keys and namespaces count apart.
    CHECK(store->hit("rate", "other", 1, 60s, 2000).value() == 1);
    CHECK(store->hit("rate2", "user@example.com", 0, 60s, 2000).value() == 0);
  }
}

TEST_CASE("threads adding to one counter at once get every count exactly once", "[state]") {
  constexpr int kThreads = 4;
  constexpr int kEach = 250;
  postern::test::TempDir dir;
  for (auto& [name, store] : postern::test::both_backends(dir)) {
    INFO(name);
    std::vector<std::vector<uint64_t>> seen(kThreads);
    std::vector<size_t> errors(kThreads, 0);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
      threads.emplace_back([&, t, s = store] {
        for (int i = 0; i < kEach; ++i) {
          auto r = s->hit("rate", "burst", 1, 3600s, 5000 + i / 100);
          if (r)
            seen[static_cast<size_t>(t)].push_back(*r);
          else
            ++errors[static_cast<size_t>(t)];
        }
      });
    for (auto& th : threads) th.join();
    for (size_t e : errors) CHECK(e == 0);
    // Each add is atomic: the totals the threads saw are 1..N, each once.
    std::set<uint64_t> all;
    for (const auto& v : seen) all.insert(v.begin(), v.end());
    CHECK(all.size() == static_cast<size_t>(kThreads * kEach));
    CHECK(*all.begin() == 1);
    CHECK(*all.rbegin() == static_cast<uint64_t>(kThreads * kEach));
    CHECK(store->hit("rate", "burst", 0, 3600s, 5010).value() ==
          static_cast<uint64_t>(kThreads * kEach));
  }
}

TEST_CASE("both backends keep an index newest first, with limits, removal and expiry", "[state]") {
  postern::test::TempDir dir;
  for (auto& [name, store] : postern::test::both_backends(dir)) {
    INFO(name);
    struct Add {
      std::string id;
      int64_t time;
      std::string value;
    };
    for (const Add& a : std::vector<Add>{{"m1", 100, "first"},
                                         {"m2", 200, "second"},
                                         {"m3", 300, "third"},
                                         {"m4", 300, "fourth"},  // same second as m3
                                         {"m5", 500, std::string("fi\0fth", 6)},
                                         {"m2", 250, "second, moved"}})  // replaces m2
      REQUIRE(store->index_add("quarantine", a.id, a.time, a.value));
    REQUIRE(store->index_add("clicks", "m1", 999, "another index"));

    struct Range {
      int64_t from, to;
      size_t limit;
      std::vector<std::string> ids;
    };
    for (const Range& r : std::vector<Range>{
             {0, 1000, 100, {"m5", "m4", "m3", "m2", "m1"}},  // ties: id descending
             {0, 1000, 2, {"m5", "m4"}},
             {250, 300, 100, {"m4", "m3", "m2"}},  // both ends included
             {301, 499, 100, {}},
             {0, 1000, 0, {}},
             {600, 100, 100, {}},  // from after to
         }) {
      INFO("range " << r.from << ".." << r.to << " limit " << r.limit);
      auto got = store->index_range("quarantine", r.from, r.to, r.limit);
      REQUIRE(got);
      std::vector<std::string> ids;
      for (const auto& e : *got) ids.push_back(e.id);
      CHECK(ids == r.ids);
    }
    CHECK(store->index_get("quarantine", "m2").value() ==
          std::optional<IndexEntry>(IndexEntry{"m2", 250, "second, moved"}));
    CHECK(store->index_get("quarantine", "m5").value()->value == std::string("fi\0fth", 6));
    CHECK_FALSE(store->index_get("quarantine", "nope").value());
    CHECK(store->index_remove("quarantine", "m3").value());
    CHECK_FALSE(store->index_remove("quarantine", "m3").value());
    CHECK_FALSE(store->index_get("quarantine", "m3").value());
    // Expiry removes the entries strictly before the time.
    CHECK(store->index_expire("quarantine", 250).value() == 1);  // m1
    CHECK(store->index_expire("quarantine", 250).value() == 0);
    auto left = store->index_range("quarantine", 0, 1000, 100);
    REQUIRE(left);
    REQUIRE(left->size() == 3);
    CHECK((*left)[0] == IndexEntry{"m5", 500, std::string("fi\0fth", 6)});
    CHECK((*left)[2] == IndexEntry{"m2", 250, "second, moved"});
    // The other namespace's index was not touched.
    CHECK(store->index_range("clicks", 0, 1000, 10).value().size() == 1);
  }
}

TEST_CASE("both backends refuse oversize values and bad names without writing", "[state]") {
  postern::test::TempDir dir;
  for (auto& [name, store] : postern::test::both_backends(dir, 1000)) {
    INFO(name);
    const std::string big(1001, 'x');
    auto put = store->put("kv", "big", big);
    REQUIRE_FALSE(put);
    CHECK(put.error().kind == ErrorKind::TooLarge);
    CHECK_FALSE(store->get("kv", "big").value());
    auto add = store->index_add("ix", "big", 1, big);
    REQUIRE_FALSE(add);
    CHECK(add.error().kind == ErrorKind::TooLarge);
    CHECK(store->index_range("ix", 0, 10, 10).value().empty());
    CHECK(store->put("kv", "fits", std::string(1000, 'y')));

    struct Bad {
      std::string ns, key;
    };
    for (const Bad& b : std::vector<Bad>{{"", "k"},
                                         {"Upper", "k"},
                                         {"has:colon", "k"},
                                         {std::string(33, 'n'), "k"},
                                         {"kv", ""},
                                         {"kv", std::string(513, 'k')}}) {
      INFO("ns '" << b.ns << "' key of " << b.key.size() << " bytes");
      auto r = store->put(b.ns, b.key, "v");
      REQUIRE_FALSE(r);
      CHECK(r.error().kind == ErrorKind::Invalid);
    }
    auto w = store->hit("rate", "k", 1, 0s);
    REQUIRE_FALSE(w);
    CHECK(w.error().kind == ErrorKind::Invalid);
    auto l = store->index_range("ix", 0, 1, postern::state::kMaxRangeLimit + 1);
    REQUIRE_FALSE(l);
    CHECK(l.error().kind == ErrorKind::Invalid);
  }
}
