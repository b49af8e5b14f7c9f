// RedisStore (lib/state/redis_store.hpp) against a real redis-server: shared by
// two stores, separated by prefixes, and failing promptly — then recovering —
// when the server is killed and restarted.
#include <catch2/catch.hpp>

#include <chrono>

#include "backends.hpp"
#include "support/cpu_time.hpp"

using postern::state::ErrorKind;
using postern::state::RedisOptions;
using postern::state::RedisStore;
using namespace std::chrono_literals;

namespace {

double wall_seconds(const std::function<void()>& f) {
  auto a = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count();
}

// A TCP listener on loopback that accepts connections and never answers.
struct MuteTcpServer {
  int fd = -1;
  uint16_t port = 0;
  MuteTcpServer() {
    fd = postern::test::loopback_socket(SOCK_STREAM, port);
    ::listen(fd, 16);
  }
  ~MuteTcpServer() { ::close(fd); }
};

}  // namespace

TEST_CASE("redis urls are parsed or refused with the reason", "[state]") {
  struct Case {
    std::string url;
    std::string host, unix_path;
    int port, db;
    std::string error;  // a substring; "" = valid
  };
  const std::vector<Case> cases{
      {"tcp://127.0.0.1:6380/2", "127.0.0.1", "", 6380, 2, ""},
      {"tcp://redis.example", "redis.example", "", 6379, 0, ""},
      {"tcp://[::1]:7000/0", "::1", "", 7000, 0, ""},
      {"unix:/run/redis/redis.sock", "", "/run/redis/redis.sock", 6379, 0, ""},
      {"redis://127.0.0.1", "", "", 0, 0, "not tcp://host:port/db or unix:/path"},
      {"tcp://:6379", "", "", 0, 0, "no host"},
      {"tcp://h:0", "", "", 0, 0, "port"},
      {"tcp://h:99999", "", "", 0, 0, "port"},
      {"tcp://h:6379/x", "", "", 0, 0, "database"},
      {"unix:relative.sock", "", "", 0, 0, "absolute"},
  };
  for (const auto& c : cases) {
    INFO(c.url);
    auto a = postern::state::parse_redis_url(c.url);
    if (c.error.empty()) {
      REQUIRE(a);
      CHECK(a->host == c.host);
      CHECK(a->unix_path == c.unix_path);
      CHECK(a->port == c.port);
      CHECK(a->db == c.db);
    } else {
      REQUIRE_FALSE(a);
      CHECK_THAT(a.error(), Catch::Contains(c.error));
    }
  }
}

TEST_CASE("two RedisStores on one server share values, counters and the index", "[state]") {
  auto& server = postern::test::shared_redis();
  const std::string prefix = postern::test::unique_prefix();
  auto a = postern::test::redis_store(server.url(), prefix);
  auto b = postern::test::redis_store(server.url(), prefix);
  auto elsewhere = postern::test::redis_store(server.url(), postern::test::unique_prefix());
  REQUIRE(a->put("kv", "k", "from a"));
  CHECK(b->get("kv", "k").value() == std::optional<std::string>("from a"));
  CHECK_FALSE(elsewhere->get("kv", "k").value());  // another prefix: another store
  // A rate limit reached across two MTAs: both add to one count.
  CHECK(a->hit("rate", "sasl:alice", 4, 60s, 1000).value() == 4);
  CHECK(b->hit("rate", "sasl:alice", 1, 60s, 1001).value() == 5);
  CHECK(elsewhere->hit("rate", "sasl:alice", 0, 60s, 1001).value() == 0);
  REQUIRE(b->index_add("quarantine", "q1", 10, "held by b"));
  CHECK(a->index_get("quarantine", "q1").value()->value == "held by b");
  CHECK(a->index_remove("quarantine", "q1").value());
  CHECK_FALSE(b->index_get("quarantine", "q1").value());
}

TEST_CASE("a killed redis-server gives Unavailable at once, and a restarted one works again",
          "[state]") {
  postern::test::RedisServer server;  // its own: this test kills it
  auto s = RedisStore::open(RedisOptions{
      .url = server.url(), .prefix = postern::test::unique_prefix(), .timeout = 300ms});
  REQUIRE(s);
  auto& store = **s;
  REQUIRE(store.put("kv", "k", "v"));
  REQUIRE(store.hit("rate", "k", 1, 60s, 1000));

  server.kill();
  double took = wall_seconds([&] {
    for (int i = 0; i < 20; ++i) {  // pooled connections and new ones alike
      auto g = store.get("kv", "k");
      REQUIRE_FALSE(g);
      CHECK(g.error().kind == ErrorKind::Unavailable);
      auto h = store.hit("rate", "k", 1, 60s, 1000);
      REQUIRE_FALSE(h);
      CHECK(h.error().kind == ErrorKind::Unavailable);
    }
  });
  WARN("40 calls with redis down: " << took << " s");
  CHECK(took < postern::test::kHangGuardSeconds);  // a hang guard, not a speed check

  server.start();  // empty: the server kept nothing
  bool back = false;
  for (int i = 0; i < 200 && !back; ++i) {  // past the retry_after of the last failed connect
    back = store.put("kv", "k", "again").has_value();
    if (!back) std::this_thread::sleep_for(20ms);
  }
  REQUIRE(back);
  CHECK(store.get("kv", "k").value() == std::optional<std::string>("again"));
  CHECK(store.hit("rate", "k", 1, 60s, 1000).value() == 1);  // the scripts are sent again
  CHECK(store.index_add("ix", "id", 1, "v"));
}

TEST_CASE("a redis server that never answers fails Unavailable after the timeout", "[state]") {
  MuteTcpServer mute;
  auto s = RedisStore::open(
      RedisOptions{.url = "tcp://127.0.0.1:" + std::to_string(mute.port) + "/0", .timeout = 200ms});
  REQUIRE(s);
  double took = wall_seconds([&] {
    auto g = (*s)->get("kv", "k");
    REQUIRE_FALSE(g);
    CHECK(g.error().kind == ErrorKind::Unavailable);
    CHECK_THAT(g.error().text, Catch::Contains("127.0.0.1"));
  });
  WARN("one call to a mute server with a 200 ms timeout: " << took << " s");
  CHECK(took < postern::test::kHangGuardSeconds);  // a hang guard, not a speed check
  // Within retry_after of that failure, calls fail at once without a new connect.
  auto again = (*s)->get("kv", "k");
  REQUIRE_FALSE(again);
  CHECK_THAT(again.error().text, Catch::Contains("down at the last try"));
}
