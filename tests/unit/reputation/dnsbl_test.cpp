// Tests for reputation::Dnsbl and DnsblStage: local zone data through lib/dns (no network),
// a silent forwarder for timeouts.
#include "reputation/dnsbl.hpp"
#include "support/silent_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

using namespace postern;
using Kind = reputation::DnsblResult::Kind;
using Symbols = std::vector<std::string>;

namespace {

using test::SilentServer;

const std::string kV6Listed =  // 2001:db8::1
    "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2";

std::shared_ptr<dns::Resolver> resolver(uint16_t silent_port) {
  dns::Options o;
  o.forwarders = {"127.0.0.1@" + std::to_string(silent_port)};
  o.timeout = std::chrono::milliseconds(3000);  // longer than the slow zone's own timeout
  o.local_data = {
      "local-zone: \"zen.example.\" static",
      "local-zone: \"other.example.\" static",
      "local-zone: \"slow.example.\" transparent",  // no data: asks the silent forwarder
      "2.0.0.127.zen.example. A 127.0.0.2",
      "2.0.0.127.zen.example. TXT \"https://zen.example/query/127.0.0.2\"",
      "2.2.0.192.zen.example. A 127.0.0.2",
      "2.2.0.192.zen.example. TXT \"https://zen.example/query/192.0.2.2\"",
      "10.2.0.192.zen.example. A 127.0.0.4",
      "11.2.0.192.zen.example. A 127.0.0.7",
      "11.2.0.192.zen.example. TXT \"unmapped code\"",
      "12.2.0.192.zen.example. A 127.255.255.254",
      "13.2.0.192.zen.example. A 192.0.2.1",
      "14.2.0.192.zen.example. A 127.0.0.2",
      "14.2.0.192.zen.example. A 127.0.0.4",
      "15.2.0.192.zen.example. A 127.0.0.2",
      "15.2.0.192.zen.example. A 127.255.255.252",
      kV6Listed + ".zen.example. A 127.0.0.2",
      kV6Listed + ".zen.example. TXT \"v6 listing\"",
      "10.2.0.192.other.example. A 127.0.0.2",
  };
  auto r = dns::Resolver::create(o);
  REQUIRE(r);
  return *r;
}

policy::DnsblZone zen() {
  policy::DnsblZone z;
  z.name = "zen";
  z.zone = "zen.example";
  z.timeout_ms = 1500;
  z.symbol = "RBL_LISTED";
  z.score = 5;
  z.codes["127.0.0.2"] = {"RBL_SBL", 10};
  z.codes["127.0.0.4"] = {"RBL_XBL", 8};
  return z;
}

policy::DnsblZone other() {
  policy::DnsblZone z;
  z.name = "other";
  z.zone = "other.example";
  z.symbol = "RBL_OTHER";
  z.score = 2;
  return z;
}

policy::DnsblZone slow(int ms) {
  policy::DnsblZone z;
  z.name = "slow";
  z.zone = "slow.example";
  z.timeout_ms = ms;
  z.symbol = "RBL_SLOW";
  z.score = 4;
  return z;
}

core::IpAddress ip(std::string_view s) {
  auto a = core::IpAddress::parse(s);
  REQUIRE(a);
  return *a;
}

struct StageRun {
  core::ConnectionInfo conn;
  std::unique_ptr<core::Transaction> tx;
  StageRun(const reputation::DnsblStage& stage, std::string client,
           core::Direction dir = core::Direction::Inbound) {
    conn.client_address = std::move(client);
    tx = std::make_unique<core::Transaction>(conn, dir, core::Limits{}, nullptr, "id");
    stage.on_connect(*tx);
  }
  Symbols symbols() const {
    Symbols out;
    for (const auto& f : tx->findings()) out.push_back(f.symbol);
    return out;
  }
  const core::Finding* find(std::string_view sym) const {
    for (const auto& f : tx->findings())
      if (f.symbol == sym) return &f;
    return nullptr;
  }
};

}  // namespace

TEST_CASE("the query name is the reversed address: octets for IPv4, nibbles for IPv6", "[dnsbl]") {
  struct Row {
    std::string ip, want;
  };
  for (const auto& r : std::vector<Row>{
           {"192.0.2.1", "1.2.0.192"},
           {"127.0.0.2", "2.0.0.127"},
           {"::ffff:198.51.100.7", "7.100.51.198"},
           {"2001:db8::1", kV6Listed},
           {"2001:db8:1234:5678:9abc:def0:1234:5678",
            "8.7.6.5.4.3.2.1.0.f.e.d.c.b.a.9.8.7.6.5.4.3.2.1.8.b.d.0.1.0.0.2"},
       }) {
    CAPTURE(r.ip);
    CHECK(reputation::reversed_name(ip(r.ip)) == r.want);
  }
}

TEST_CASE("loopback, private and link-local addresses are local; public ones are not", "[dnsbl]") {
  struct Row {
    std::string ip;
    bool local;
  };
  for (const auto& r : std::vector<Row>{
           {"127.0.0.1", true},
           {"10.1.2.3", true},
           {"172.16.0.1", true},
           {"172.31.255.255", true},
           {"172.32.0.1", false},
           {"192.168.1.1", true},
           {"169.254.10.1", true},
           {"100.64.0.1", true},
           {"::1", true},
           {"fd00::1", true},
           {"fc12::1", true},
           {"fe80::1", true},
           {"192.0.2.1", false},
           {"2001:db8::1", false},
           {"::ffff:10.0.0.1", true},
           {"8.8.8.8", false},
       }) {
    CAPTURE(r.ip);
    CHECK(reputation::is_local_address(ip(r.ip)) == r.local);
  }
}

TEST_CASE("return codes classify answers: listings, refusals, non-DNSBL answers, not listed",
          "[dnsbl]") {
  SilentServer silent;
  auto res = resolver(silent.port);
  reputation::Dnsbl bl({zen()}, std::make_shared<reputation::DnsblCache>(0));
  struct Row {
    std::string ip;
    Kind kind;
    std::vector<std::string> codes;
    std::string text;
  };
  for (const auto& r : std::vector<Row>{
           {"127.0.0.2", Kind::Listed, {"127.0.0.2"}, "https://zen.example/query/127.0.0.2"},
           {"192.0.2.10", Kind::Listed, {"127.0.0.4"}, ""},
           {"192.0.2.14", Kind::Listed, {"127.0.0.2", "127.0.0.4"}, ""},
           {"192.0.2.15", Kind::Listed, {"127.0.0.2"}, ""},  // the refusal code is no code
           {"192.0.2.12", Kind::Error, {}, ""},
           {"192.0.2.13", Kind::Error, {}, ""},
           {"192.0.2.99", Kind::NotListed, {}, ""},
           {"2001:db8::1", Kind::Listed, {"127.0.0.2"}, "v6 listing"},
           {"2001:db8::2", Kind::NotListed, {}, ""},
       }) {
    CAPTURE(r.ip);
    dns::Budget budget(res, 10);
    auto out = bl.check(ip(r.ip), budget);
    REQUIRE(out.size() == 1);
    CHECK(out[0].kind == r.kind);
    auto codes = out[0].codes;
    std::sort(codes.begin(), codes.end());
    CHECK(codes == r.codes);
    CHECK(out[0].text == r.text);
    CHECK(budget.used() == (r.kind == Kind::Listed ? 2u : 1u));  // TXT only for listings
  }
}

TEST_CASE("the stage maps codes to the zone's symbols, unmapped codes to its own symbol",
          "[dnsbl]") {
  SilentServer silent;
  reputation::DnsblStage stage(resolver(silent.port), 50, {other(), zen()},
                               std::make_shared<reputation::DnsblCache>(100));
  struct Row {
    std::string ip;
    Symbols want;
  };
  for (const auto& r : std::vector<Row>{
           {"192.0.2.2", {"RBL_SBL"}},
           {"192.0.2.10", {"RBL_OTHER", "RBL_XBL"}},  // listed by both zones
           {"192.0.2.11", {"RBL_LISTED"}},
           {"192.0.2.14", {"RBL_SBL", "RBL_XBL"}},
           {"192.0.2.12", {"DNSBL_ERROR"}},
           {"192.0.2.13", {"DNSBL_ERROR"}},
           {"192.0.2.99", {}},
           {"2001:db8::1", {"RBL_SBL"}},
           // never looked up
           {"127.0.0.2", {}},
           {"10.0.0.2", {}},
           {"::1", {}},
           {"fe80::1", {}},
           {"", {}},
           {"not-an-ip", {}},
       }) {
    CAPTURE(r.ip);
    StageRun run(stage, r.ip);
    auto got = run.symbols();
    std::sort(got.begin(), got.end());
    CHECK(got == r.want);
  }

  StageRun sbl(stage, "192.0.2.2");
  REQUIRE(sbl.find("RBL_SBL"));
  CHECK(sbl.find("RBL_SBL")->score == 10);
  CHECK(sbl.find("RBL_SBL")->detail ==
        "192.0.2.2 listed by zen.example (127.0.0.2): https://zen.example/query/192.0.2.2");
  StageRun unmapped(stage, "192.0.2.11");
  REQUIRE(unmapped.find("RBL_LISTED"));
  CHECK(unmapped.find("RBL_LISTED")->score == 5);
  CHECK(unmapped.find("RBL_LISTED")->detail ==
        "192.0.2.11 listed by zen.example (127.0.0.7): unmapped code");
  StageRun refused(stage, "192.0.2.12");
  REQUIRE(refused.find("DNSBL_ERROR"));
  CHECK(refused.find("DNSBL_ERROR")->score == 0);
  CHECK(refused.find("DNSBL_ERROR")->detail.find("127.255.255.254") != std::string::npos);
  // internal networks (outbound) are not looked up
  StageRun internal(stage, "192.0.2.2", core::Direction::Outbound);
  CHECK(internal.symbols().empty());
}

TEST_CASE("a zone that does not answer in its timeout is a temperror, within the bound",
          "[dnsbl]") {
  SilentServer silent;
  reputation::DnsblStage stage(resolver(silent.port), 50, {slow(200), zen()},
                               std::make_shared<reputation::DnsblCache>(100));
  auto t0 = std::chrono::steady_clock::now();
  StageRun run(stage, "192.0.2.2");
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  CHECK(ms >= 150);
  CHECK(ms < 1000);  // the zone's 200 ms, not the resolver's 3 s
  auto got = run.symbols();
  std::sort(got.begin(), got.end());
  CHECK(got == Symbols{"DNSBL_TEMPERROR", "RBL_SBL"});  // the other zone still counts
  REQUIRE(run.find("DNSBL_TEMPERROR"));
  CHECK(run.find("DNSBL_TEMPERROR")->score == 0);
  CHECK(run.find("DNSBL_TEMPERROR")->detail.find("slow.example") != std::string::npos);
}

TEST_CASE("results are cached: the second lookup of an address makes no query", "[dnsbl]") {
  SilentServer silent;
  auto res = resolver(silent.port);
  reputation::Dnsbl bl({zen(), slow(100)}, std::make_shared<reputation::DnsblCache>(100));
  for (const char* addr : {"127.0.0.2", "192.0.2.99", "192.0.2.12"}) {
    CAPTURE(addr);
    dns::Budget first(res, 10);
    auto a = bl.check(ip(addr), first);
    CHECK(first.used() >= 2);  // zen, plus the slow zone
    CHECK_FALSE(a[0].cached);
    CHECK(a[1].kind == Kind::TempError);

    dns::Budget second(res, 10);
    auto b = bl.check(ip(addr), second);
    CHECK(second.used() == 1);  // only the slow zone again: temperrors are not cached
    CHECK(b[0].cached);
    CHECK(b[0].kind == a[0].kind);
    CHECK(b[0].codes == a[0].codes);
    CHECK(b[0].text == a[0].text);
  }
}

TEST_CASE("the cache is bounded: the least recently used address goes first", "[dnsbl]") {
  SilentServer silent;
  auto res = resolver(silent.port);
  reputation::Dnsbl bl({zen()}, std::make_shared<reputation::DnsblCache>(2));
  auto queries = [&](const char* addr) {
    dns::Budget b(res, 10);
    bl.check(ip(addr), b);
    return b.used();
  };
  CHECK(queries("192.0.2.99") == 1);
  CHECK(queries("192.0.2.98") == 1);
  CHECK(queries("192.0.2.99") == 0);  // cached; now the most recently used
  CHECK(queries("192.0.2.97") == 1);  // evicts .98
  CHECK(queries("192.0.2.99") == 0);
  CHECK(queries("192.0.2.98") == 1);

  reputation::Dnsbl none({zen()}, std::make_shared<reputation::DnsblCache>(0));
  dns::Budget b1(res, 10), b2(res, 10);
  none.check(ip("192.0.2.99"), b1);
  none.check(ip("192.0.2.99"), b2);
  CHECK(b2.used() == 1);  // capacity 0: no cache
}

TEST_CASE("a spent query budget is a temperror, not a listing", "[dnsbl]") {
  SilentServer silent;
  auto res = resolver(silent.port);
  reputation::Dnsbl bl({zen(), other()}, std::make_shared<reputation::DnsblCache>(0));
  dns::Budget budget(res, 1);
  auto out = bl.check(ip("192.0.2.10"), budget);
  REQUIRE(out.size() == 2);
  CHECK(out[0].kind == Kind::Listed);  // zen: asked (its TXT was not: budget)
  CHECK(out[0].text.empty());
  CHECK(out[1].kind == Kind::TempError);
  CHECK(out[1].detail.find("budget") != std::string::npos);
}
