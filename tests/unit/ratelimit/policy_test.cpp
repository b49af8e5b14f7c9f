// [ratelimit.NAME] policy tables: what they read, and every error at its
// file:line:column (lib/ratelimit/policy.hpp).
#include <catch2/catch.hpp>

#include <algorithm>

#include "policy/policy.hpp"
#include "ratelimit/policy.hpp"
#include "scan/registry.hpp"
#include "support/temp_dir.hpp"

using namespace postern;
using ratelimit::Counting;
using ratelimit::KeyKind;

namespace {

postern::expected<policy::Policy, policy::Errors> parse(const std::string& text) {
  return policy::parse_policy(text, "rl.toml", scan::policy_sections());
}

}  // namespace

TEST_CASE("a window is seconds or a number with s, m, h or d, from 1 s to 366 days",
          "[ratelimit]") {
  struct Row {
    const char* in;
    int64_t want;  // -1: refused
  };
  const Row rows[] = {
      {"1", 1},
      {"3600", 3600},
      {"90s", 90},
      {"10m", 600},
      {"1h", 3600},
      {"2d", 172800},
      {"366d", 31622400},
      {"367d", -1},
      {"0", -1},
      {"0s", -1},
      {"-5", -1},
      {"h", -1},
      {"1x", -1},
      {"1.5h", -1},
      {"", -1},
      {" 1h", -1},
      {"99999999999999999d", -1},
  };
  for (const auto& r : rows) {
    INFO(r.in);
    auto w = ratelimit::parse_window(r.in);
    if (r.want < 0)
      CHECK_FALSE(w);
    else
      CHECK((w && w->count() == r.want));
  }
}

TEST_CASE("a rule reads its key, limit, window, counting, direction, action and exemptions",
          "[ratelimit]") {
  auto p = parse(R"(
[ratelimit.burst]
key = "sasl"
limit = 100
window = "1h"

[ratelimit.fanout]
key = "sender"
limit = 500
window = 86400
count = "recipients"
action = "quarantine"
on_error = "tempfail"
exempt_networks = ["10.0.0.0/8", "2001:db8::/32"]
exempt_users = ["newsletter@example.com", "@lists.example.com"]

[ratelimit.flood]
key = "ip"
limit = 30
window = "1m"
direction = "inbound"
action = "tag"
)");
  INFO((p ? std::string() : policy::to_string(p.error())));
  REQUIRE(p);
  const auto& rules = ratelimit::ratelimit_policy(*p).rules;
  REQUIRE(rules.size() == 3);
  CHECK(rules[0].name == "burst");
  CHECK(rules[0].key == KeyKind::Sasl);
  CHECK(rules[0].window.count() == 3600);
  CHECK(rules[0].counting == Counting::Messages);
  CHECK_FALSE(rules[0].directions.inbound);  // sasl and sender: outbound by default
  CHECK(rules[0].directions.outbound);
  CHECK(rules[0].symbol == "RATE_LIMIT_SASL");
  CHECK(rules[0].on_error == ratelimit::OnError::Accept);
  CHECK(rules[1].counting == Counting::Recipients);
  CHECK(rules[1].exempt_networks.size() == 2);
  CHECK(rules[1].exempt_users.size() == 2);
  CHECK(rules[1].on_error == ratelimit::OnError::Tempfail);
  CHECK(rules[2].directions.inbound);
  CHECK_FALSE(rules[2].directions.outbound);
  // The action is the symbol's hard rule, in the rule's directions only.
  CHECK(p->outbound.rules.at("RATE_LIMIT_SASL").action == core::Action::Tempfail);
  CHECK(p->outbound.rules.at("RATE_LIMIT_SASL").text == "{detail}");  // the finding's
  CHECK_FALSE(p->inbound.rules.contains("RATE_LIMIT_SASL"));
  CHECK(p->outbound.rules.at("RATE_LIMIT_SENDER").action == core::Action::Quarantine);
  CHECK(p->outbound.rules.at("RATE_LIMIT_SENDER").text.empty());
  CHECK(p->inbound.rules.at("RATE_LIMIT_IP").action == core::Action::Tag);
  CHECK_FALSE(p->outbound.rules.contains("RATE_LIMIT_IP"));
}

TEST_CASE("a later file replaces a rule whole, and enabled = false removes it", "[ratelimit]") {
  test::TempDir d;
  d.write("p/10-a.toml", R"(
[ratelimit.a]
key = "ip"
limit = 1
window = 60
[ratelimit.b]
key = "rcpt_domain"
limit = 5
window = 60
)");
  d.write("p/20-b.toml", R"(
[ratelimit.a]
enabled = false
[ratelimit.b]
key = "rcpt_domain"
limit = 7
window = "2m"
count = "recipients"
)");
  auto p = policy::load_policy({d.str() + "/p"}, scan::policy_sections());
  INFO((p ? std::string() : policy::to_string(p.error())));
  REQUIRE(p);
  const auto& rules = ratelimit::ratelimit_policy(*p).rules;
  REQUIRE(rules.size() == 1);
  CHECK(rules[0].name == "b");
  CHECK(rules[0].limit == 7);
  CHECK(rules[0].window.count() == 120);
  CHECK(rules[0].counting == Counting::Recipients);
}

TEST_CASE("every mistake in a rule is an error at its file:line:column", "[ratelimit]") {
  struct Row {
    std::string text;
    std::string want;  // "rl.toml:L:C: ..." prefix and a fragment
  };
  const std::string head = "[ratelimit.x]\n";
  const Row rows[] = {
      {head + "limit = 1\nwindow = 60\n", "rl.toml:1:1: [ratelimit.x]: missing 'key'"},
      {head + "key = \"user\"\nlimit = 1\nwindow = 60\n", "rl.toml:2:7: [ratelimit.x]: 'key'"},
      {head + "key = \"ip\"\nwindow = 60\n", "rl.toml:1:1: [ratelimit.x]: missing 'limit'"},
      {head + "key = \"ip\"\nlimit = 0\nwindow = 60\n", "rl.toml:3:9:"},
      {head + "key = \"ip\"\nlimit = 1\n", "rl.toml:1:1: [ratelimit.x]: missing 'window'"},
      {head + "key = \"ip\"\nlimit = 1\nwindow = \"1w\"\n",
       "rl.toml:4:10: [ratelimit.x]: 'window'"},
      {head + "key = \"ip\"\nlimit = 1\nwindow = 0\n", "rl.toml:4:10: [ratelimit.x]: 'window'"},
      {head + "key = \"ip\"\nlimit = 1\nwindow = 60\ncount = \"bytes\"\n",
       "rl.toml:5:9: [ratelimit.x]: 'count'"},
      {head + "key = \"ip\"\nlimit = 1\nwindow = 60\naction = \"reject\"\n",
       "rl.toml:5:10: [ratelimit.x]: 'action'"},
      {head + "key = \"ip\"\nlimit = 1\nwindow = 60\ndirection = \"sideways\"\n", "rl.toml:5:13:"},
      {head + "key = \"ip\"\nlimit = 1\nwindow = 60\non_error = \"ignore\"\n",
       "rl.toml:5:12: [ratelimit.x]: 'on_error'"},
      {head + "key = \"ip\"\nlimit = 1\nwindow = 60\nexempt_networks = [\"10.0.0.0/33\"]\n",
       "rl.toml:5:19: [ratelimit.x]: 'exempt_networks': \"10.0.0.0/33\""},
      {head + "key = \"ip\"\nlimit = 1\nwindow = 60\nexempt_users = [\"a b@c\"]\n",
       "rl.toml:5:16: [ratelimit.x]: 'exempt_users'"},
      {head + "key = \"ip\"\nlimit = 1\nwindow = 60\nsymbol = \"lower\"\n",
       "rl.toml:5:10: [ratelimit.x]: 'symbol': UPPER_SNAKE"},
      {head + "key = \"ip\"\nlimit = 1\nwindow = 60\nsymbol = \"SPF_FAIL\"\n",
       "rl.toml:5:10: [ratelimit.x]: 'symbol': SPF_FAIL is a catalogued symbol"},
      {head + "key = \"ip\"\nlimit = 1\nwindow = 60\ntext = \"two\\nlines\"\n",
       "rl.toml:5:8: [ratelimit.x]: 'text'"},
      {head + "key = \"ip\"\nlimit = 1\nwindow = 60\nspeed = 3\n", "rl.toml:5:1:"},
      {"[ratelimit]\nx = 3\n", "rl.toml:2:5: [ratelimit]: 'x': expected a table"},
      {head + "key = \"ip\"\nlimit = 1\nwindow = 60\n[ratelimit.y]\nkey = \"ip\"\nlimit = 2\n"
              "window = 60\naction = \"tag\"\n",
       "rl.toml:5:1: [ratelimit.y]: its symbol RATE_LIMIT_IP is also [ratelimit.x]'s"},
      {head + "enabled = false\nkey = \"ip\"\n", "rl.toml:2:11: [ratelimit.x]: enabled = false"},
  };
  for (const auto& r : rows) {
    INFO(r.text);
    auto p = parse(r.text);
    REQUIRE_FALSE(p);
    const std::string all = policy::to_string(p.error());
    INFO(all);
    CHECK(all.find(r.want) != std::string::npos);
  }
}

TEST_CASE(
    "rules that share a symbol with one action (and any text) are fine; an own symbol is "
    "defined",
    "[ratelimit]") {
  auto p = parse(R"(
[ratelimit.hourly]
key = "sasl"
limit = 100
window = "1h"
[ratelimit.daily]
key = "sasl"
limit = 1000
window = "1d"
text = "Daily limit reached"
[ratelimit.domains]
key = "rcpt_domain"
limit = 10
window = "1m"
action = "tag"
symbol = "RATE_LIMIT_TO_DOMAIN"
[outbound.rules]
RATE_LIMIT_TO_DOMAIN = "tag"
)");
  INFO((p ? std::string() : policy::to_string(p.error())));
  REQUIRE(p);
  CHECK(scan::check_symbols(*p).empty());
  auto defined = scan::policy_symbols(*p);
  CHECK(std::any_of(defined.begin(), defined.end(),
                    [](const auto& d) { return d.name == "RATE_LIMIT_TO_DOMAIN"; }));
}
