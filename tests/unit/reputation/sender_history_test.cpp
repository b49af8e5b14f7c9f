// Tests for reputation::SenderHistory on the state store (both backends): the
// round trip, hashed keys, the 400-day ttl refreshed by record, a store that is
// down, and concurrent use.
#include "reputation/sender_history.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "state/backends.hpp"
#include "support/files.hpp"

using postern::reputation::kDefaultHistoryTtl;
using postern::reputation::kHistoryNamespace;
using postern::reputation::SenderHistory;

TEST_CASE("the sender history remembers who our domains wrote to, on both backends",
          "[sender_history]") {
  postern::test::TempDir dir;
  for (auto& [name, store] : postern::test::both_backends(dir)) {
    INFO(name);
    SenderHistory h(store);
    struct Row {
      const char* record_sender;
      const char* record_domain;
      const char* ask_sender;
      const char* ask_domain;
      bool seen;
    };
    h.record("Partner@Vendor.example", "corp.example");
    for (const Row& r : std::vector<Row>{
             {"", "", "partner@vendor.example", "corp.example", true},
             {"", "", "PARTNER@VENDOR.EXAMPLE", "Corp.Example", true},  // case-insensitive
             {"", "", "other@vendor.example", "corp.example", false},
             {"", "", "partner@vendor.example", "other.example", false},  // per our domain
         }) {
      INFO(r.ask_sender << " / " << r.ask_domain);
      CHECK(h.seen(r.ask_sender, r.ask_domain) == r.seen);
    }
    CHECK(h.errors() == 0);
    // The store holds the hash, not the address, and it expires after the ttl.
    const std::string key = SenderHistory::key("partner@vendor.example", "corp.example");
    CHECK(key.size() == 32);
    CHECK(key.find("vendor") == std::string::npos);
    const int64_t now = postern::state::now_seconds();
    const int64_t ttl = kDefaultHistoryTtl.count();
    CHECK(store->get(kHistoryNamespace, key, now + ttl - 60).value());
    CHECK_FALSE(store->get(kHistoryNamespace, key, now + ttl + 60).value());
  }
}

TEST_CASE("a pair recorded again within a day is not written again; after `refresh` it is",
          "[sender_history]") {
  postern::test::TempDir dir;
  for (auto& [name, store] : postern::test::both_backends(dir)) {
    INFO(name);
    const std::string key = SenderHistory::key("partner@vendor.example", "corp.example");
    SenderHistory daily(store);
    daily.record("partner@vendor.example", "corp.example");
    REQUIRE(daily.seen("partner@vendor.example", "corp.example"));
    // Taken out of the store behind its back: a second record the same day writes
    // nothing, so it stays out.
    REQUIRE(store->erase(kHistoryNamespace, key).value());
    daily.record("partner@vendor.example", "corp.example");
    CHECK_FALSE(daily.seen("partner@vendor.example", "corp.example"));
    // Another pair is written at once.
    daily.record("other@vendor.example", "corp.example");
    CHECK(daily.seen("other@vendor.example", "corp.example"));
    // With no refresh interval every record writes.
    SenderHistory always(store, kDefaultHistoryTtl, std::chrono::seconds(0));
    always.record("partner@vendor.example", "corp.example");
    REQUIRE(store->erase(kHistoryNamespace, key).value());
    always.record("partner@vendor.example", "corp.example");
    CHECK(always.seen("partner@vendor.example", "corp.example"));
  }
}

TEST_CASE("the SQLite state file holds no address of the sender history", "[sender_history]") {
  postern::test::TempDir dir;
  const std::string path = dir.str() + "/state.db";
  {
    SenderHistory h(postern::test::sqlite_store(path));
    h.record("secret.partner@vendor.example", "corp.example");
    CHECK(h.seen("secret.partner@vendor.example", "corp.example"));
  }
  std::string bytes = postern::test::slurp(path) + postern::test::slurp(path + "-wal");
  CHECK(bytes.find("secret.partner") == std::string::npos);
  CHECK(bytes.find("vendor.example") == std::string::npos);
  // Reopened: still known.
  SenderHistory again(postern::test::sqlite_store(path));
  CHECK(again.seen("secret.partner@vendor.example", "corp.example"));
}

TEST_CASE("a sender history whose store is down adds no first contact and counts the errors",
          "[sender_history]") {
  postern::test::RedisServer server;
  auto store = postern::test::redis_store(server.url(), postern::test::unique_prefix());
  SenderHistory h(store);
  h.record("a@vendor.example", "corp.example");
  server.kill();
  CHECK(h.seen("stranger@elsewhere.example", "corp.example"));  // unknown, but no score
  CHECK(h.lookup("a@vendor.example", "corp.example") == SenderHistory::Seen::Unavailable);
  h.record("b@vendor.example", "corp.example");
  CHECK(h.errors() == 3);
}

TEST_CASE("threads record and look up senders at once", "[sender_history]") {
  postern::test::TempDir dir;
  for (auto& [name, store] : postern::test::both_backends(dir)) {
    INFO(name);
    SenderHistory h(store);
    std::atomic<int> unseen{0};  // Catch2 assertions are not thread-safe: count here
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&h, &unseen, t] {
        for (int i = 0; i < 100; ++i) {
          const std::string s = "s" + std::to_string(t) + "-" + std::to_string(i) + "@x.example";
          h.record(s, "corp.example");
          if (!h.seen(s, "corp.example")) ++unseen;
        }
      });
    for (auto& th : threads) th.join();
    CHECK(unseen == 0);
    CHECK(h.errors() == 0);
    CHECK(h.seen("s3-99@x.example", "corp.example"));
    CHECK_FALSE(h.seen("s4-0@x.example", "corp.example"));
  }
}
