// The ratelimit stage and finisher on both state backends (SQLite and a real
// redis-server): window edges, keys kept apart, recipients counted, IPv6 by /64,
// exemptions, directions, and what a refused message (never counted) does.
#include <catch2/catch.hpp>

#include <thread>

#include "core/transaction.hpp"
#include "policy/policy.hpp"
#include "ratelimit/policy.hpp"
#include "ratelimit/stage.hpp"
#include "scan/registry.hpp"
#include "state/backends.hpp"

using namespace postern;
using core::Direction;

namespace {

int64_t g_now = 1000000;
int64_t test_clock() {
  return g_now;
}

ratelimit::RateLimitPolicy rules_of(const std::string& text) {
  auto p = policy::parse_policy(text, "rl.toml", scan::policy_sections());
  INFO((p ? std::string() : policy::to_string(p.error())));
  REQUIRE(p);
  return ratelimit::ratelimit_policy(*p);
}

struct Send {
  std::string sasl{}, ip = "192.0.2.1", from = "alice@example.com";
  std::vector<std::string> rcpts{"bob@example.net"};
  Direction dir = Direction::Outbound;
};

struct Result {
  size_t over = 0;  // recipients with a RATE_LIMIT finding: refused (tempfail at RCPT)
  bool unavailable = false;
  bool failed = false;  // a stage error (on_error = tempfail)
};

// One transaction: the stage at each RCPT; a recipient over a limit is refused,
// the others are accepted; the finisher counts when any was (the message leaves).
Result send(const ratelimit::RateLimitStage& stage, const ratelimit::RateLimitFinisher& fin,
            const Send& s) {
  core::ConnectionInfo conn;
  conn.client_address = s.ip;
  conn.sasl_user = s.sasl;
  core::Transaction tx(
      conn, s.dir, core::Limits{}, [](std::string_view, double d) { return d; }, "t");
  tx.envelope().mail_from = s.from;
  Result r;
  for (const auto& rcpt : s.rcpts) {
    tx.begin_recipient(rcpt);
    core::Step st = stage.on_rcpt(tx, rcpt);
    tx.end_recipient();
    if (st.kind == core::Step::Kind::Error) {
      r.failed = true;
      return r;
    }
    bool over = false;
    for (const auto& f : tx.findings()) {
      if (f.symbol == "STATE_UNAVAILABLE") r.unavailable = true;
      if (f.recipient == rcpt && f.symbol.rfind("RATE_LIMIT_", 0) == 0) over = true;
    }
    if (over)
      ++r.over;
    else
      tx.envelope().recipients.push_back(rcpt);
  }
  core::Outcome out;
  fin.finish(tx, core::Message{}, out);
  return r;
}

struct Rig {
  ratelimit::RateLimitStage stage;
  ratelimit::RateLimitFinisher fin;
  Rig(std::shared_ptr<state::Store> store, const std::string& rules)
      : stage(store, rules_of(rules), test_clock), fin(store, rules_of(rules), test_clock) {}
};

}  // namespace

TEST_CASE(
    "a sliding window: the limit is reached, refused messages never count, and room "
    "comes back hit by hit",
    "[ratelimit]") {
  struct Step {
    int64_t at;
    size_t over;
  };
  // limit 2 per 60 s: counted at 1000 and 1010; refused at 1020 and 1059 (not counted); at
  // 1060 the hit of 1000 has left the window (a hit at t counts while now - 60 < t).
  const Step steps[] = {{1000, 0}, {1010, 0}, {1020, 1}, {1059, 1},
                        {1060, 0}, {1069, 1}, {1070, 0}, {1071, 1}};
  test::TempDir dir;
  for (auto& [name, store] : test::both_backends(dir)) {
    Rig rig(store, "[ratelimit.burst]\nkey = \"sasl\"\nlimit = 2\nwindow = 60\n");
    for (const auto& s : steps) {
      INFO(name << " at " << s.at);
      g_now = s.at;
      CHECK(send(rig.stage, rig.fin, {.sasl = "Alice@Example.com"}).over == s.over);
    }
  }
}

TEST_CASE("each key counts on its own: users, senders, addresses, IPv6 by /64, domains",
          "[ratelimit]") {
  struct Row {
    const char* what;
    std::string rules;
    std::vector<Send> sends;
    std::vector<size_t> over;
  };
  const std::string limit1 = "limit = 1\nwindow = 3600\n";
  const std::vector<Row> rows{
      {"SASL users (case-insensitive)",
       "[ratelimit.r]\nkey = \"sasl\"\n" + limit1,
       {{.sasl = "a@x.org"}, {.sasl = "b@x.org"}, {.sasl = "A@X.org"}, {.sasl = "b@x.org"}},
       {0, 0, 1, 1}},
      {"no SASL user: the rule does not apply",
       "[ratelimit.r]\nkey = \"sasl\"\n" + limit1,
       {{}, {}, {}},
       {0, 0, 0}},
      {"envelope senders",
       "[ratelimit.r]\nkey = \"sender\"\n" + limit1,
       {{.from = "a@x.org"}, {.from = "b@x.org"}, {.from = "a@x.org"}},
       {0, 0, 1}},
      {"IPv4 addresses",
       "[ratelimit.r]\nkey = \"ip\"\n" + limit1,
       {{.ip = "192.0.2.1"}, {.ip = "192.0.2.2"}, {.ip = "::ffff:192.0.2.1"}},
       {0, 0, 1}},
      {"IPv6 by /64",
       "[ratelimit.r]\nkey = \"ip\"\n" + limit1,
       {{.ip = "2001:db8:1:2::1"}, {.ip = "2001:db8:1:2:ffff::9"}, {.ip = "2001:db8:1:3::1"}},
       {0, 1, 0}},
      {"recipient domains, one message counts once per domain",
       "[ratelimit.r]\nkey = \"rcpt_domain\"\n" + limit1,
       {{.rcpts = {"a@x.org", "b@X.org", "c@y.org"}}, {.rcpts = {"d@y.org", "e@z.org"}}},
       {0, 1}},
      {"inbound mail is not counted by an outbound rule",
       "[ratelimit.r]\nkey = \"sender\"\n" + limit1,
       {{.dir = Direction::Inbound}, {.dir = Direction::Inbound}, {}, {}},
       {0, 0, 0, 1}},
      {"exempt networks and users",
       "[ratelimit.r]\nkey = \"sender\"\nexempt_networks = [\"10.0.0.0/8\"]\n"
       "exempt_users = [\"@lists.example.com\"]\n" +
           limit1,
       {{.ip = "10.1.2.3"},
        {.ip = "10.1.2.3"},
        {.from = "x@lists.example.com"},
        {.from = "x@lists.example.com"},
        {},
        {}},
       {0, 0, 0, 0, 0, 1}},
      {"an exempt SASL user",
       "[ratelimit.r]\nkey = \"ip\"\nexempt_users = [\"relay@example.com\"]\n" + limit1,
       {{.sasl = "relay@example.com"}, {.sasl = "relay@example.com"}, {}, {}},
       {0, 0, 0, 1}},
  };
  for (const auto& row : rows) {
    test::TempDir dir;  // each row on fresh stores
    for (auto& [name, store] : test::both_backends(dir)) {
      Rig rig(store, row.rules);
      g_now = 2000000;
      for (size_t i = 0; i < row.sends.size(); ++i) {
        INFO(name << ": " << row.what << ", message " << i);
        CHECK(send(rig.stage, rig.fin, row.sends[i]).over == row.over[i]);
      }
    }
  }
}

TEST_CASE(
    "counting recipients: the recipients up to the limit pass, the rest are refused and "
    "not counted",
    "[ratelimit]") {
  test::TempDir dir;
  const std::vector<std::string> three{"a@x.org", "b@x.org", "c@x.org"};
  for (auto& [name, store] : test::both_backends(dir)) {
    INFO(name);
    Rig rig(store,
            "[ratelimit.fanout]\nkey = \"sasl\"\ncount = \"recipients\"\nlimit = 5\n"
            "window = \"1h\"\n");
    g_now = 3000000;
    CHECK(send(rig.stage, rig.fin, {.sasl = "u", .rcpts = three}).over == 0);  // 3
    CHECK(send(rig.stage, rig.fin, {.sasl = "u", .rcpts = three}).over == 1);  // 3 + 2
    CHECK(send(rig.stage, rig.fin, {.sasl = "u", .rcpts = {"d@x.org"}}).over == 1);
    g_now += 3600;  // the window has moved past all of them
    CHECK(send(rig.stage, rig.fin, {.sasl = "u", .rcpts = three}).over == 0);
  }
}

TEST_CASE(
    "the finding names the rule, the key (an address masked), the count and the limit; "
    "the store holds no address",
    "[ratelimit]") {
  test::TempDir dir;
  auto store = test::sqlite_store(dir.str() + "/s.db");
  auto rules = rules_of("[ratelimit.burst]\nkey = \"sasl\"\nlimit = 1\nwindow = 600\n");
  ratelimit::RateLimitStage stage(store, rules, test_clock);
  ratelimit::RateLimitFinisher fin(store, rules, test_clock);
  g_now = 4000000;
  send(stage, fin, {.sasl = "mallory@example.com"});
  core::ConnectionInfo conn;
  conn.sasl_user = "mallory@example.com";
  core::Transaction tx(
      conn, Direction::Outbound, core::Limits{}, [](std::string_view, double d) { return d; }, "t");
  tx.begin_recipient("x@y.org");
  stage.on_rcpt(tx, "x@y.org");
  tx.end_recipient();
  REQUIRE(tx.findings().size() == 1);
  const auto& f = tx.findings().front();
  CHECK(f.symbol == "RATE_LIMIT_SASL");
  CHECK(f.detail.rfind("Rate limit reached, try again later (rate limit burst: sasl ", 0) == 0);
  CHECK(f.detail.find("mallory@example.com") == std::string::npos);
  CHECK(f.detail.find(": 2 messages in 600 s, limit 1") != std::string::npos);
  const auto& hits = ratelimit::hits(tx);
  REQUIRE(hits.size() == 1);
  CHECK(hits[0].key_hash == ratelimit::store_key("burst", "mallory@example.com"));
  CHECK(hits[0].count == 2);
  // The count lives under the hashed key.
  auto c = store->hit(ratelimit::kNamespace, hits[0].key_hash, 0, std::chrono::seconds(600), g_now);
  REQUIRE(c);
  CHECK(*c == 1);
}

TEST_CASE(
    "with Redis killed, on_error = accept adds STATE_UNAVAILABLE and lets mail through; "
    "tempfail fails the stage; Redis back, limits apply again",
    "[ratelimit][redis]") {
  test::RedisServer redis;
  auto store = test::redis_store(redis.url(), test::unique_prefix());
  Rig accept(store, "[ratelimit.a]\nkey = \"sasl\"\nlimit = 1\nwindow = 600\n");
  Rig fail(store,
           "[ratelimit.b]\nkey = \"sasl\"\nlimit = 1\nwindow = 600\non_error = \"tempfail\"\n");
  g_now = 5000000;
  CHECK(send(accept.stage, accept.fin, {.sasl = "u"}).over == 0);
  CHECK(send(accept.stage, accept.fin, {.sasl = "u"}).over == 1);
  redis.kill();
  Result down = send(accept.stage, accept.fin, {.sasl = "u"});
  CHECK(down.over == 0);
  CHECK(down.unavailable);
  CHECK_FALSE(down.failed);
  CHECK(send(fail.stage, fail.fin, {.sasl = "u"}).failed);
  redis.start();                                                // empty: nothing was saved
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the store's retry pause
  CHECK(send(accept.stage, accept.fin, {.sasl = "u"}).over == 0);
  Result again = send(accept.stage, accept.fin, {.sasl = "u"});
  CHECK(again.over == 1);
  CHECK_FALSE(again.unavailable);
}

TEST_CASE("key values: lower case, IPv6 cut to its /64, the recipient's domain", "[ratelimit]") {
  core::ConnectionInfo c;
  core::Envelope e;
  c.sasl_user = "Bob@Example.COM";
  e.mail_from = "Alice@Example.org";
  c.client_address = "2001:DB8:0:1:2:3:4:5";
  using ratelimit::key_value;
  CHECK(key_value(ratelimit::KeyKind::Sasl, c, e, "") == "bob@example.com");
  CHECK(key_value(ratelimit::KeyKind::Sender, c, e, "") == "alice@example.org");
  CHECK(key_value(ratelimit::KeyKind::Ip, c, e, "") == "2001:db8:0:1::/64");
  CHECK(key_value(ratelimit::KeyKind::RcptDomain, c, e, "x@Mail.Example.net") ==
        "mail.example.net");
  c.client_address = "";
  CHECK(key_value(ratelimit::KeyKind::Ip, c, e, "").empty());
  CHECK(ratelimit::shown_key(ratelimit::KeyKind::Ip, "192.0.2.1") == "192.0.2.1");
  CHECK(ratelimit::shown_key(ratelimit::KeyKind::Sasl, "bob@example.com") != "bob@example.com");
}
