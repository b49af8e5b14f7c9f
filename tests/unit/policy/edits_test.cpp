// Tests for the policy's [banner] and [archive] sections (lib/policy/edits.cpp).
#include "policy/edits.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "support/expect_error.hpp"

using namespace postern;
using core::Action;

TEST_CASE("[banner] and [archive] load with their defaults and their keys", "[policy]") {
  auto none = policy::parse_policy("", "p.toml");
  REQUIRE(none);
  CHECK(none->banner.text.empty());
  CHECK(none->banner.directions.inbound);
  CHECK_FALSE(none->banner.directions.outbound);
  CHECK(none->archive.recipient.empty());
  CHECK(none->archive.actions ==
        std::vector<Action>{Action::Accept, Action::Tag, Action::Quarantine});

  auto p = policy::parse_policy(R"(
[banner]
text = "Extern: Vorsicht bei Links \u00e4"
direction = "both"
min_action = "tag"

[archive]
recipient = " review@example.org "
mode = "redirect"
direction = "outbound"
actions = ["quarantine"]
)",
                                "p.toml");
  INFO((p ? std::string() : policy::to_string(p.error())));
  REQUIRE(p);
  CHECK(p->banner.text == "Extern: Vorsicht bei Links \xC3\xA4");
  CHECK(p->banner.directions.inbound);
  CHECK(p->banner.directions.outbound);
  CHECK(p->banner.min_action == Action::Tag);
  CHECK(p->archive.recipient == "review@example.org");
  CHECK(p->archive.mode == policy::ArchivePolicy::Mode::Redirect);
  CHECK_FALSE(p->archive.directions.has(core::Direction::Inbound));
  CHECK(p->archive.directions.has(core::Direction::Outbound));
  CHECK(p->archive.actions == std::vector<Action>{Action::Quarantine});
}

TEST_CASE("bad [banner] and [archive] values are errors at their position", "[policy]") {
  const std::string long_line(policy::kMaxBannerBytes + 1, 'x');
  test::check_policy_errors({
      {"[banner]\ntext = \"a\\nb\"\n", 2, 8, "one line of printable UTF-8"},
      {"[banner]\ntext = \"" + long_line + "\"\n", 2, 8, "at most 500 bytes"},
      {"[banner]\ntext = \"bell \\u0007\"\n", 2, 8, "printable"},
      {"[banner]\ndirection = \"sideways\"\n", 2, 13,
       "expected \"inbound\", \"outbound\" or \"both\""},
      {"[banner]\nmin_action = \"reject\"\n", 2, 14,
       "expected \"accept\", \"tag\" or \"quarantine\""},
      {"[banner]\ntxt = \"x\"\n", 2, 1, "unknown key 'txt'"},
      {"[archive]\nrecipient = \"Journal <j@example.org>\"\n", 2, 13, "expected one address"},
      {"[archive]\nrecipient = \"j@@example.org\"\n", 2, 13, "expected one address"},
      {"[archive]\nrecipient = \"j@not a host\"\n", 2, 13, "expected one address"},
      {"[archive]\nmode = \"bcc\"\n", 2, 8, "expected \"copy\" or \"redirect\""},
      {"[archive]\nactions = []\n", 2, 11, "non-empty array"},
      {"[archive]\nactions = [\"accept\", \"discard\"]\n", 2, 22, "expected \"accept\", \"tag\""},
      {"[archive]\nactions = \"accept\"\n", 2, 11, "non-empty array"},
  });
}

TEST_CASE("is_plain_address takes bare addresses only", "[policy]") {
  for (const char* good : {"journal@example.org", "a.b+c@sub.example.org"}) {
    INFO(good);
    CHECK(policy::is_plain_address(good));
  }
  for (const char* bad : {"", "@example.org", "journal@", "a b@example.org", "<a@example.org>",
                          "a@b@example.org", "a,b@example.org", "a@exa mple.org"}) {
    INFO(bad);
    CHECK_FALSE(policy::is_plain_address(bad));
  }
}
