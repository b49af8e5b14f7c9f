// Tests for [[group]] in policy/policy.hpp: parsing, errors with positions,
// inheritance from the top level, layering by name, matching, and decide()
// under a group.
#include <catch2/catch.hpp>

#include <fstream>
#include <string>
#include <vector>

#include "policy/policy.hpp"
#include "support/expect_error.hpp"
#include "support/temp_dir.hpp"

using postern::core::Action;
using postern::core::Direction;
using postern::core::Finding;
using postern::policy::load_policy;
using postern::test::TempDir;

namespace {

const postern::policy::Group* find_group(const postern::policy::Policy& p, std::string_view name) {
  for (const auto& g : p.groups)
    if (g.name == name) return &g;
  return nullptr;
}

}  // namespace

TEST_CASE("a group inherits the top level and sets over it what it sets", "[policy][groups]") {
  TempDir d;
  d.write("p/00.toml", R"(
[inbound]
tag = 5.0
quarantine = 10.0
reject = 15.0
[inbound.rules]
A = "reject"
B = "quarantine"
[outbound]
tag = 8.0
[tag]
subject_prefix = "[SPAM]"
[headers]
findings = false
[lists.vips]
match = "recipient"
symbol = "LIST_VIP"
entries = ["boss@example.com"]

[[group]]
name = "strict"
recipients = ["@strict.example", "ceo@"]
lists = ["vips"]
subject_prefix = "[STRICT]"
quarantine = false
[group.inbound]
reject = 12.0
[group.inbound.rules]
B = "reject"
C = "tag"
A = "accept"

[[group]]
name = "bare"
recipients = []
)");
  auto p = load_policy({d.str() + "/p"});
  INFO((p ? std::string() : postern::policy::to_string(p.error())));
  REQUIRE(p);
  REQUIRE(p->groups.size() == 2);
  const auto* g = find_group(*p, "strict");
  REQUIRE(g);
  CHECK(g->inbound.thresholds.tag == 5.0);  // inherited key by key
  CHECK(g->inbound.thresholds.quarantine == 10.0);
  CHECK(g->inbound.thresholds.reject == 12.0);
  CHECK(g->outbound.thresholds.tag == 8.0);  // the direction it does not set: the top level's
  CHECK(g->inbound.rules.at("A").action == Action::Accept);
  CHECK(g->inbound.rules.at("B").action == Action::Reject);
  CHECK(g->inbound.rules.at("C").action == Action::Tag);
  CHECK(g->subject_prefix == "[STRICT]");
  CHECK_FALSE(g->findings_header);  // inherited
  CHECK_FALSE(g->quarantine);
  const auto* bare = find_group(*p, "bare");
  REQUIRE(bare);
  CHECK(bare->subject_prefix == "[SPAM]");
  CHECK(bare->quarantine);
  CHECK(p->default_group.name == "default");
  CHECK(p->default_group.inbound.thresholds.reject == 15.0);
  CHECK(p->default_group.inbound.rules.at("B").action == Action::Quarantine);

  SECTION("matching: patterns, lists, first group in definition order, else default") {
    struct Row {
      std::string address;
      std::string group;
    };
    const std::vector<Row> rows = {
        {"x@strict.example", "strict"},      {"X@STRICT.EXAMPLE", "strict"},
        {"ceo@anywhere.test", "strict"},     {"boss@example.com", "strict"},
        {"x@sub.strict.example", "default"},  // "@domain" is that domain only
        {"bob@example.com", "default"},      {"", "default"},
    };
    for (const auto& r : rows) {
      CAPTURE(r.address);
      CHECK(p->group_for(r.address).name == r.group);
    }
  }

  SECTION("decide under a group: its rules, thresholds and no quarantine") {
    using postern::policy::When;
    auto decide = [&](const postern::policy::Group& grp, std::vector<Finding> f) {
      return postern::policy::decide(*p, grp, Direction::Inbound, f, When::EndOfMessage);
    };
    CHECK(decide(p->default_group, {{"X", 12, "", ""}}).action == Action::Quarantine);
    CHECK(decide(*g, {{"X", 12, "", ""}}).action == Action::Reject);
    CHECK(decide(*g, {{"X", 11, "", ""}}).action == Action::Tag);  // quarantine = false
    CHECK(decide(*g, {{"X", 11, "", ""}}).reason ==
          "score 11.00 >= quarantine threshold 10.00 (group strict does not quarantine: tagged)");
    CHECK(decide(p->default_group, {{"A", 0, "", ""}}).action == Action::Reject);
    CHECK(decide(*g, {{"A", 0, "", ""}}).action == Action::Accept);  // the group's rule
    CHECK(decide(*g, {{"B", 0, "", ""}}).action == Action::Reject);
    // the two-argument decide is the default group's
    std::vector<Finding> f = {{"B", 0, "", ""}};
    CHECK(postern::policy::decide(*p, Direction::Inbound, f, When::EndOfMessage).action ==
          Action::Quarantine);
  }
}

TEST_CASE("a group is replaced whole by a later file's group of the same name, in its place",
          "[policy][groups][layering]") {
  TempDir d;
  d.write("usr/00-a.toml",
          "[[group]]\nname = \"one\"\nrecipients = [\"a.example\"]\nsubject_prefix = \"[1]\"\n"
          "[group.inbound]\ntag = 1.0\n"
          "[[group]]\nname = \"two\"\nrecipients = [\"b.example\"]\n");
  d.write("etc/10-b.toml", "[[group]]\nname = \"one\"\nrecipients = [\"c.example\"]\n");
  d.write("etc/20-c.toml", "[inbound]\ntag = 4.0\n");
  auto p = load_policy({d.str() + "/usr", d.str() + "/etc"});
  INFO((p ? std::string() : postern::policy::to_string(p.error())));
  REQUIRE(p);
  REQUIRE(p->groups.size() == 2);
  CHECK(p->groups[0].name == "one");  // keeps its place before "two"
  CHECK(p->groups[0].entries == std::vector<std::string>{"c.example"});
  CHECK(p->groups[0].subject_prefix == "[SPAM]");     // not carried over
  CHECK(p->groups[0].inbound.thresholds.tag == 4.0);  // inherits a later file's top level
  CHECK(p->group_for("x@a.example").name == "default");
  CHECK(p->group_for("x@c.example").name == "one");
}

TEST_CASE("a [[group]] named default sets the default group and takes no addresses",
          "[policy][groups]") {
  TempDir d;
  d.write("p/00.toml",
          "[inbound]\ntag = 5.0\n[[group]]\nname = \"default\"\nquarantine = false\n"
          "subject_prefix = \"[?]\"\n");
  auto p = load_policy({d.str() + "/p"});
  REQUIRE(p);
  CHECK(p->groups.empty());
  CHECK(p->default_group.name == "default");
  CHECK_FALSE(p->default_group.quarantine);
  CHECK(p->default_group.subject_prefix == "[?]");
  CHECK(p->default_group.inbound.thresholds.tag == 5.0);
  CHECK(p->group_for("anyone@example.com").name == "default");
}

TEST_CASE("each group mistake is reported at its file:line:column", "[policy][groups]") {
  struct Row {
    std::string name;
    std::string text;
    uint32_t line, column;
    std::string contains;
  };
  const std::vector<Row> rows = {
      {"[group] instead of [[group]]", "[group]\nname = \"x\"\n", 1, 1,
       "'group': expected [[group]] tables"},
      {"group = a string", "group = \"x\"\n", 1, 9, "'group': expected [[group]] tables"},
      {"missing name", "[[group]]\nrecipients = [\"a.example\"]\n", 1, 1,
       "[[group]]: missing 'name'"},
      {"name of the wrong type", "[[group]]\nname = 5\nrecipients = []\n", 2, 8,
       "'name' in [group]: expected a string"},
      {"bad name", "[[group]]\nname = \"a b\"\nrecipients = []\n", 2, 8,
       "'name': expected a group name"},
      {"unknown key (a typo)", "[[group]]\nname = \"g\"\nlists = []\nrecipient = [\"a.example\"]\n",
       4, 1,
       "unknown key 'recipient' in [group.g]; expected one of: findings_header, inbound, lists, "
       "name, outbound, quarantine, recipients, subject_prefix"},
      {"unknown key in a direction",
       "[[group]]\nname = \"g\"\nrecipients = []\n[group.inbound]\ntga = 1\n", 5, 1,
       "unknown key 'tga' in [group.g.inbound]"},
      {"no addresses", "[[group]]\nname = \"g\"\nquarantine = false\n", 1, 1,
       "[group.g]: missing 'recipients' or 'lists'"},
      {"bad pattern", "[[group]]\nname = \"g\"\nrecipients = [\"ok.example\", \"a b@x\"]\n", 3, 29,
       "'a b@x': expected user@domain, user@, @domain or domain"},
      {"pattern not a string", "[[group]]\nname = \"g\"\nrecipients = [1]\n", 3, 15,
       "'recipients': expected a string"},
      {"recipients not an array", "[[group]]\nname = \"g\"\nrecipients = \"a.example\"\n", 3, 14,
       "'recipients': expected an array"},
      {"list name not a string", "[[group]]\nname = \"g\"\nlists = [true]\n", 3, 10,
       "'lists': expected a list name"},
      {"unknown list", "[[group]]\nname = \"g\"\nlists = [\"nope\"]\n", 3, 10,
       "'lists' in [group.g] names the unknown list 'nope'"},
      {"client_ip list",
       "[lists.ips]\nmatch = \"client_ip\"\nsymbol = \"IPS\"\n[[group]]\nname = \"g\"\nlists = "
       "[\"ips\"]\n",
       6, 10, "list 'ips' holds client addresses"},
      {"default with recipients", "[[group]]\nname = \"default\"\nrecipients = [\"a.example\"]\n",
       3, 14, "the default group is everyone no other group matches"},
      {"same name twice in one file",
       "[[group]]\nname = \"g\"\nrecipients = []\n[[group]]\nname = \"g\"\nrecipients = []\n", 5, 8,
       "group 'g' is defined twice in this file (first at line 2)"},
      {"quarantine not a boolean",
       "[[group]]\nname = \"g\"\nrecipients = []\nquarantine = \"tag\"\n", 4, 14,
       "'quarantine' in [group.g]: expected true or false"},
      {"subject_prefix not a string",
       "[[group]]\nname = \"g\"\nrecipients = []\nsubject_prefix = 1\n", 4, 18,
       "'subject_prefix' in [group.g]: expected a string"},
      {"findings_header not a boolean",
       "[[group]]\nname = \"g\"\nrecipients = []\nfindings_header = 1\n", 4, 19,
       "'findings_header' in [group.g]: expected true or false"},
      {"bad threshold", "[[group]]\nname = \"g\"\nrecipients = []\n[group.inbound]\ntag = \"x\"\n",
       5, 7, "'tag' in [group.g.inbound]: expected a score"},
      {"nan threshold",
       "[[group]]\nname = \"g\"\nrecipients = []\n[group.outbound]\nreject = nan\n", 5, 10,
       "expected a finite number"},
      {"bad rule action",
       "[[group]]\nname = \"g\"\nrecipients = []\n[group.inbound.rules]\nFOO = \"bounce\"\n", 5, 7,
       "rule FOO: expected one of accept"},
      {"rule symbol not UPPER_SNAKE",
       "[[group]]\nname = \"g\"\nrecipients = []\n[group.inbound.rules]\nfoo = \"reject\"\n", 5, 1,
       "rule 'foo' in [group.g.inbound.rules]: expected an UPPER_SNAKE symbol name"},
      {"thresholds out of order after inheriting",
       "[inbound]\ntag = 5.0\nquarantine = 10.0\n[[group]]\nname = \"g\"\nrecipients = []\n"
       "[group.inbound]\nreject = 8.0\n",
       8, 10,
       "[group.g.inbound] after layering: expected tag <= quarantine <= reject, but quarantine = "
       "10 is above reject = 8 (set at "},
  };
  for (const auto& r : rows) {
    CAPTURE(r.name);
    TempDir d;
    std::string path = d.write("policies/10-test.toml", r.text);
    auto p = load_policy({d.str() + "/policies"});
    REQUIRE_FALSE(p);
    postern::test::check_single_error(p.error(), {path, r.line, r.column, r.contains});
  }
}

TEST_CASE("the commented example in the shipped 40-groups.toml is a valid policy",
          "[policy][groups]") {
  std::ifstream in(POSTERN_SOURCE_DIR "/policies/40-groups.toml");
  REQUIRE(in);
  std::string line, example;
  bool inside = false;
  while (std::getline(in, line)) {
    if (line == "# --- example ---")
      inside = true;
    else if (line == "# --- end ---")
      inside = false;
    else if (inside)
      example += (line.rfind("# ", 0) == 0 ? line.substr(2) : "") + "\n";
  }
  REQUIRE_FALSE(example.empty());
  TempDir d;
  d.write("p/50-groups.toml", example);
  auto p = load_policy({POSTERN_SOURCE_DIR "/policies", d.str() + "/p"});
  INFO((p ? std::string() : postern::policy::to_string(p.error())));
  REQUIRE(p);
  REQUIRE(p->groups.size() == 2);
  CHECK(p->group_for("ceo@example.com").name == "executives");
  CHECK(p->group_for("ceo@example.com").inbound.rules.at("DMARC_POLICY_QUARANTINE").action ==
        Action::Reject);
  CHECK(p->group_for("x@support.example.com").name == "support");
  CHECK_FALSE(p->group_for("x@support.example.com").quarantine);
}
