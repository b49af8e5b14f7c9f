// Tests for scan/registry.hpp: the symbol catalogue and the unknown-symbol check.
#include "scan/registry.hpp"

#include <catch2/catch.hpp>

#include <set>
#include <string>

using namespace postern;

TEST_CASE("the catalogue holds each symbol once, sorted, each with a description", "[registry]") {
  const auto& all = scan::builtin_symbols();
  REQUIRE(all.size() > 80);
  std::set<std::string_view> names;
  for (const auto& s : all) {
    CAPTURE(s.name);
    CHECK(names.insert(s.name).second);
    CHECK_FALSE(s.description.empty());
    CHECK(scan::find_builtin_symbol(s.name) == &s);
  }
  CHECK(std::is_sorted(all.begin(), all.end(),
                       [](const auto& a, const auto& b) { return a.name < b.name; }));
  CHECK(scan::find_builtin_symbol("NO_SUCH_SYMBOL") == nullptr);
  CHECK(scan::find_builtin_symbol("DMARC_POLICY_REJECT")->score == 8);
}

TEST_CASE("a rule or score for a symbol that does not exist is an error with the nearest name",
          "[registry]") {
  struct Row {
    std::string what, text, want;
  };
  const std::vector<Row> rows = {
      {"a typo in a rule", "[inbound.rules]\nDMARC_POLICY_REJEKT = \"reject\"\n",
       "t.toml:2:1: rule in [inbound.rules] names the unknown symbol DMARC_POLICY_REJEKT (did you "
       "mean DMARC_POLICY_REJECT?)"},
      {"a typo in a score", "[scores]\n\nHEADER_MISING_DATE = 2.0\n",
       "t.toml:3:1: score names the unknown symbol HEADER_MISING_DATE (did you mean "
       "HEADER_MISSING_DATE?)"},
      {"nothing close", "[outbound.rules]\nCOMPLETELY_MADE_UP_THING = \"tag\"\n",
       "t.toml:2:1: rule in [outbound.rules] names the unknown symbol COMPLETELY_MADE_UP_THING"},
      {"a typo in a group's rule",
       "[[group]]\nname = \"vip\"\nrecipients = []\n[group.inbound.rules]\nSPF_FAL = \"reject\"\n",
       "t.toml:5:1: rule in [group.vip.inbound.rules] names the unknown symbol SPF_FAL (did you "
       "mean SPF_FAIL?)"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.what);
    auto p = policy::parse_policy(r.text, "t.toml");
    REQUIRE(p);
    auto errs = scan::check_symbols(*p);
    REQUIRE(errs.size() == 1);
    CHECK(errs[0].to_string() == r.want);
  }
}

TEST_CASE("symbols the policy defines itself (lists, DNSBL codes) may have rules and scores",
          "[registry]") {
  auto p = policy::parse_policy(
      "[lists.vip]\nmatch = \"sender\"\nsymbol = \"LIST_VIP\"\nscore = -5.0\nentries = []\n"
      "[inbound.rules]\nLIST_VIP = \"accept\"\nDMARC_POLICY_REJECT = \"reject\"\n"
      "[scores]\nLIST_VIP = -6.0\n",
      "t.toml");
  REQUIRE(p);
  CHECK(scan::check_symbols(*p).empty());
  auto defined = scan::policy_symbols(*p);
  REQUIRE(defined.size() == 1);
  CHECK(defined[0].name == "LIST_VIP");
}

TEST_CASE("the shipped policies name no unknown symbol", "[registry]") {
  auto p = scan::load_checked_policy({POSTERN_SOURCE_DIR "/policies"});
  if (!p)
    for (const auto& e : p.error()) FAIL_CHECK(e.to_string());
  CHECK(p);
}
