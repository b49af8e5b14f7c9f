// Tests for the policy's [dnsbl.NAME] and [reputation] sections, and {detail} in rule replies.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "policy/policy.hpp"
#include "support/expect_error.hpp"
#include "support/temp_dir.hpp"

using namespace postern;
using policy::DecideAt;

TEST_CASE("[dnsbl.NAME] zones with code maps and [reputation] load", "[policy][dnsbl]") {
  auto p = policy::parse_policy(R"(
[reputation]
decide_at = "connect"
dnsbl_cache = 500

[dnsbl.spamhaus]
zone = "ZEN.Spamhaus.org."
timeout_ms = 800
symbol = "RBL_LISTED"
score = 5.0
codes = { "127.0.0.2" = { symbol = "RBL_SBL", score = 10.0 }, "127.0.0.4" = { symbol = "RBL_XBL" } }

[dnsbl.other]
zone = "bl.example.org"
symbol = "RBL_OTHER"

[dnsbl.other.codes]
"127.0.0.10" = { symbol = "RBL_OTHER_PBL", score = 1 }
)",
                                "p.toml");
  INFO((p ? std::string() : policy::to_string(p.error())));
  REQUIRE(p);
  CHECK(p->decide_at == DecideAt::Connect);
  CHECK(p->dnsbl_cache == 500);
  REQUIRE(p->dnsbl.size() == 2);
  const auto& o = p->dnsbl[0];  // sorted by name
  CHECK(o.name == "other");
  CHECK(o.timeout_ms == 1500);
  CHECK(o.score == 0);
  CHECK(o.codes.at("127.0.0.10").symbol == "RBL_OTHER_PBL");
  const auto& z = p->dnsbl[1];
  CHECK(z.zone == "zen.spamhaus.org");
  CHECK(z.timeout_ms == 800);
  CHECK(z.symbol == "RBL_LISTED");
  CHECK(z.score == 5.0);
  CHECK(z.codes.at("127.0.0.2").symbol == "RBL_SBL");
  CHECK(z.codes.at("127.0.0.2").score == 10.0);
  CHECK(z.codes.at("127.0.0.4").score == 0);
}

TEST_CASE("bad [dnsbl] and [reputation] entries are errors with their position",
          "[policy][dnsbl]") {
  test::check_policy_errors({
      {"[dnsbl.a]\nsymbol = \"RBL_A\"\n", 1, 1, "missing 'zone'"},
      {"[dnsbl.a]\nzone = \"bl.example\"\n", 1, 1, "missing 'symbol'"},
      {"[dnsbl.a]\nzone = \"no_such zone\"\nsymbol = \"RBL_A\"\n", 2, 8, "expected a DNS zone"},
      {"[dnsbl.a]\nzone = \"localhost\"\nsymbol = \"RBL_A\"\n", 2, 8, "expected a DNS zone"},
      {"[dnsbl.a]\nzone = \"bl.example\"\nsymbol = \"rbl\"\n", 3, 10, "UPPER_SNAKE"},
      {"[dnsbl.a]\nzone = \"bl.example\"\nsymbol = \"RBL_A\"\ntimeout_ms = 5\n", 4, 14,
       "from 10 to 60000"},
      {"[dnsbl.a]\nzone = \"bl.example\"\nsymbol = \"RBL_A\"\ncodes = { \"128.0.0.2\" = { symbol "
       "= \"X\" } }\n",
       4, 11, "127.0.0.0/8"},
      {"[dnsbl.a]\nzone = \"bl.example\"\nsymbol = \"RBL_A\"\ncodes = { \"127.0.0.2\" = \"X\" }\n",
       4, 25, "expected { symbol"},
      {"[dnsbl.a]\nzone = \"bl.example\"\nsymbol = \"RBL_A\"\ncodes = { \"127.0.0.2\" = { score "
       "= 1 } }\n",
       4, 25, "missing 'symbol'"},
      {"[dnsbl.a]\nzone = \"bl.example\"\nsymbol = \"RBL_A\"\nzones = 1\n", 4, 1,
       "unknown key 'zones'"},
      {"dnsbl = { a = 1 }\n", 1, 15, "expected a table [dnsbl.a]"},
      {"[reputation]\ndecide_at = \"data\"\n", 2, 13, "expected \"rcpt\", \"connect\" or \"helo\""},
      {"[reputation]\ndnsbl_cache = -1\n", 2, 15, "from 0 to"},
  });
}

TEST_CASE("a later file replaces a zone or switches it off", "[policy][dnsbl]") {
  test::TempDir d;
  d.write("p/10-a.toml",
          "[dnsbl.a]\nzone = \"a.example\"\nsymbol = \"RBL_A\"\nscore = 1\n"
          "[dnsbl.b]\nzone = \"b.example\"\nsymbol = \"RBL_B\"\n");
  d.write("p/20-b.toml",
          "[dnsbl.a]\nzone = \"a2.example\"\nsymbol = \"RBL_A2\"\n"
          "[dnsbl.b]\nenabled = false\n");
  auto p = policy::load_policy({d.str() + "/p"});
  INFO((p ? std::string() : policy::to_string(p.error())));
  REQUIRE(p);
  REQUIRE(p->dnsbl.size() == 1);
  CHECK(p->dnsbl[0].zone == "a2.example");
  CHECK(p->dnsbl[0].symbol == "RBL_A2");
  CHECK(p->dnsbl[0].score == 0);  // the whole zone is replaced, not merged
}

TEST_CASE("{detail} in a rule's text becomes the finding's detail, made safe", "[policy]") {
  struct Row {
    std::string text, detail, want;
  };
  const std::string long_detail(500, 'x');
  const std::vector<Row> rows = {
      {"Listed by {detail}", "zen.example: see https://zen.example/q",
       "Listed by zen.example: see https://zen.example/q"},
      {"No placeholder", "ignored", "No placeholder"},
      {"{detail} / {detail}", "a", "a / a"},
      {"Listed: {detail}", "line one\r\nline two\tend  ", "Listed: line one line two end"},
      {"Listed: {detail}", "caf\xc3\xa9 \x7f x", "Listed: caf?? x"},
      {"Listed: {detail}", long_detail,
       "Listed: " + std::string(policy::kMaxDetailInReply - 3, 'x') + "..."},
      {"Listed: {detail}", "", "Listed: "},
      {"{details} {detail", "x", "{details} {detail"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.text, r.detail);
    CHECK(policy::expand_rule_text(r.text, r.detail) == r.want);
  }
}

TEST_CASE("a hard rule's reply carries the detail of the finding that matched", "[policy]") {
  auto p = policy::parse_policy(R"(
[inbound.rules]
RBL_SBL = { action = "reject", text = "Service unavailable; {detail}" }
)",
                                "p.toml");
  REQUIRE(p);
  std::vector<core::Finding> f = {{"HELO_NOT_FQDN", 1, "HELO x"},
                                  {"RBL_SBL", 10, "192.0.2.1 listed by zen.example (127.0.0.2)"}};
  auto v = policy::decide(*p, core::Direction::Inbound, f, policy::When::BeforeData);
  CHECK(v.action == core::Action::Reject);
  CHECK(v.reply.code == "550");
  CHECK(v.reply.text == "Service unavailable; 192.0.2.1 listed by zen.example (127.0.0.2)");
}
