// Tests for policy/policy.hpp: loading, errors with positions, layering, lists, groups.
#include "policy/policy.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "policy/toml_reader.hpp"
#include "scan/registry.hpp"
#include "support/expect_error.hpp"
#include "support/temp_dir.hpp"

using postern::core::Action;
using postern::core::Direction;
using postern::core::Finding;
using postern::policy::AddressPattern;
using postern::policy::ListMatch;
using postern::policy::load_policy;
using postern::test::TempDir;

namespace {

const postern::policy::List* find_list(const postern::policy::Policy& p, std::string_view name) {
  for (const auto& l : p.lists)
    if (l.name == name) return &l;
  return nullptr;
}

const postern::policy::Group* find_group(const postern::policy::Policy& p, std::string_view name) {
  for (const auto& g : p.groups)
    if (g.name == name) return &g;
  return nullptr;
}

}  // namespace

TEST_CASE("the shipped policies load and hold the documented defaults", "[policy]") {
  auto p = load_policy({POSTERN_SOURCE_DIR "/policies"}, postern::scan::policy_sections());
  INFO((p ? std::string() : postern::policy::to_string(p.error())));
  REQUIRE(p);
  CHECK(p->files.size() == 14);  // 70-dlp.toml (dlp), 70-urls.toml (url), 72-smime.toml,
                                 // 75-click.toml (click), 80-ratelimit.toml
  CHECK(p->sections.has_section("heuristics"));  // 60-heuristics.toml: the heuristics' lists
  CHECK(p->groups.empty());                      // 40-groups.toml is commented documentation only
  CHECK(p->decide_at == postern::policy::DecideAt::Rcpt);
  CHECK(p->dnsbl.empty());  // no zone is enabled by default
  CHECK(p->inbound.thresholds.tag == 5.0);
  CHECK(p->inbound.thresholds.quarantine == 10.0);
  CHECK(p->inbound.thresholds.reject == 15.0);
  CHECK(p->outbound.thresholds.tag == 8.0);
  CHECK_FALSE(p->outbound.thresholds.reject);
  CHECK(p->inbound.rules.at("LIST_SENDER_BLOCK").action == Action::Reject);
  CHECK(p->inbound.rules.at("LIST_SENDER_BLOCK").text == "Sender address blocked by local policy");
  CHECK(p->reject_reply.code == "550");
  CHECK(p->tempfail_reply.xcode == "4.7.1");
  CHECK(p->subject_prefix == "[SPAM]");
  REQUIRE(find_list(*p, "always_pass"));
  CHECK(find_list(*p, "always_pass")->pass);
  CHECK(p->is_pass_recipient("postmaster@example.com"));
}

TEST_CASE("each policy mistake is reported at its file:line:column with what was expected",
          "[policy]") {
  struct Row {
    std::string name;
    std::string text;
    uint32_t line, column;
    std::string contains;
  };
  const std::vector<Row> rows = {
      {"TOML syntax error", "[inbound]\ntag = = 5\n", 2, 7, "could not determine value type"},
      {"unknown section (a typo)", "[inbund]\ntag = 5.0\n", 1, 2,
       "unknown key 'inbund' at top level"},
      {"unknown key in a section (a typo)", "[inbound]\ntga = 5.0\n", 2, 1,
       "unknown key 'tga' in [inbound]; expected one of: quarantine, reject, rules, tag"},
      {"unknown key in a rule table",
       "[inbound.rules]\nFOO = { action = \"reject\", txt = \"x\" }\n", 2, 28,
       "unknown key 'txt' in [inbound.rules.FOO]"},
      {"unknown key in a list", "[lists.x]\nmatch = \"sender\"\nsymbol = \"X\"\nentry = []\n", 4, 1,
       "unknown key 'entry' in [lists.x]"},
      {"threshold of the wrong type", "[inbound]\ntag = \"five\"\n", 2, 7,
       "'tag' in [inbound]: expected a score (number) or \"off\""},
      {"threshold as a boolean", "[outbound]\nreject = false\n", 2, 10,
       "expected a score (number) or \"off\""},
      {"bad action name in a rule", "[inbound.rules]\nFOO = \"bounce\"\n", 2, 7,
       "rule FOO: expected one of accept, tag, quarantine, tempfail, discard, reject"},
      {"bad action name in a rule table", "[outbound.rules]\nFOO = { action = \"Reject\" }\n", 2,
       18, "rule FOO: expected one of accept"},
      {"rule without action", "[inbound.rules]\nFOO = { text = \"x\" }\n", 2, 7,
       "rule FOO: missing 'action'"},
      {"bad action next to a text", "[inbound.rules]\nFOO = { action = \"no\", text = \"x\" }\n", 2,
       18, "rule FOO: expected one of accept"},
      {"rule of the wrong type", "[inbound.rules]\nFOO = 5\n", 2, 7,
       "rule FOO: expected an action string"},
      {"rule symbol in lower case", "[inbound.rules]\nfoo_bar = \"reject\"\n", 2, 1,
       "rule 'foo_bar' in [inbound.rules]: expected an UPPER_SNAKE symbol name"},
      {"rule symbol with a dash", "[inbound.rules]\nFOO-BAR = \"reject\"\n", 2, 1,
       "expected an UPPER_SNAKE"},
      {"rule symbol starting with a digit", "[inbound.rules]\n1FOO = \"reject\"\n", 2, 1,
       "expected an UPPER_SNAKE"},
      {"score symbol not UPPER_SNAKE", "[scores]\nHeader_Missing = 1\n", 2, 1,
       "score 'Header_Missing': expected an UPPER_SNAKE symbol name"},
      {"score of the wrong type", "[scores]\nFOO = \"high\"\n", 2, 7,
       "score FOO: expected a number"},
      {"bad CIDR in a client_ip list",
       "[lists.x]\nmatch = \"client_ip\"\nsymbol = \"X\"\nentries = [\"10.0.0.0/8\", "
       "\"10.0.0.0/33\"]\n",
       4, 26, "'10.0.0.0/33': expected an IPv4 or IPv6 address or CIDR network"},
      {"address in a client_ip list",
       "[lists.x]\nmatch = \"client_ip\"\nsymbol = \"X\"\nentries = [\"a@x.test\"]\n", 4, 12,
       "expected an IPv4 or IPv6 address"},
      {"bad address entry with a space",
       "[lists.x]\nmatch = \"sender\"\nsymbol = \"X\"\nentries = [\"ok@x.test\", \"a b@x.test\"]\n",
       4, 25, "'a b@x.test': expected user@domain, user@, @domain or domain"},
      {"bad address entry with two @",
       "[lists.x]\nmatch = \"sender\"\nsymbol = \"X\"\nentries = [\"a@b@c\"]\n", 4, 12,
       "expected user@domain, user@, @domain or domain"},
      {"bad address entry: lone @",
       "[lists.x]\nmatch = \"recipient\"\nsymbol = \"X\"\nentries = [\"@\"]\n", 4, 12,
       "expected user@domain"},
      {"bad address entry: angle brackets",
       "[lists.x]\nmatch = \"sender\"\nsymbol = \"X\"\nentries = [\"<a@x.test>\"]\n", 4, 12,
       "expected user@domain"},
      {"empty address entry", "[lists.x]\nmatch = \"sender\"\nsymbol = \"X\"\nentries = [\"  \"]\n",
       4, 12, "expected user@domain"},
      {"entry that is not a string",
       "[lists.x]\nmatch = \"sender\"\nsymbol = \"X\"\nentries = [5]\n", 4, 12,
       "'entries': expected a string"},
      {"entries that are not an array",
       "[lists.x]\nmatch = \"sender\"\nsymbol = \"X\"\nentries = \"a@x\"\n", 4, 11,
       "'entries': expected an array of strings"},
      {"list without match", "\n[lists.x]\nsymbol = \"X\"\nentries = []\n", 2, 1,
       "[lists.x]: missing 'match': expected \"client_ip\", \"sender\" or \"recipient\""},
      {"list without symbol", "[lists.x]\nmatch = \"sender\"\n", 1, 1,
       "[lists.x]: missing 'symbol': expected an UPPER_SNAKE symbol name"},
      {"inline list without symbol", "[lists]\nx = { match = \"sender\" }\n", 2, 5,
       "[lists.x]: missing 'symbol'"},
      {"unknown match kind", "[lists.x]\nmatch = \"helo\"\nsymbol = \"X\"\n", 2, 9,
       "'match': expected \"client_ip\", \"sender\" or \"recipient\""},
      {"list symbol not UPPER_SNAKE", "[lists.x]\nmatch = \"sender\"\nsymbol = \"x\"\n", 3, 10,
       "'symbol': expected an UPPER_SNAKE symbol name"},
      {"list that is not a table", "[lists]\nx = 5\n", 2, 5,
       "list 'x': expected a table [lists.x]"},
      {"pass = true on a sender list",
       "[lists.x]\nmatch = \"sender\"\nsymbol = \"X\"\npass = true\n", 4, 8,
       "'pass': only recipient lists can let mail pass"},
      {"pass = true on a client_ip list",
       "[lists.x]\nmatch = \"client_ip\"\nsymbol = \"X\"\npass = true\n", 4, 8,
       "only recipient lists"},
      {"reject reply code of the wrong class", "[replies]\nreject = { code = \"450\" }\n", 2, 19,
       "'code': expected a three-digit 5xx SMTP code"},
      {"tempfail reply code of the wrong class", "[replies]\ntempfail = { code = \"550\" }\n", 2,
       21, "'code': expected a three-digit 4xx SMTP code"},
      {"reply code that is not three digits", "[replies]\nreject = { code = \"55x\" }\n", 2, 19,
       "expected a three-digit 5xx"},
      {"enhanced code of the wrong class", "[replies]\nreject = { xcode = \"4.7.1\" }\n", 2, 20,
       "'xcode': expected an enhanced status code 5.x.y"},
      {"reply text on two lines", "[replies]\nreject = { text = \"a\\nb\" }\n", 2, 19,
       "'text': expected one non-empty line"},
      {"bad internal network", "[network]\ninternal_networks = [\"10/8\"]\n", 2, 22,
       "'internal_networks': expected an IPv4 or IPv6 address or CIDR network"},
      {"subject prefix of the wrong type", "[tag]\nsubject_prefix = 1\n", 2, 18,
       "'subject_prefix' in [tag]: expected a string"},
      {"findings header of the wrong type", "[headers]\nfindings = \"yes\"\n", 2, 12,
       "'findings' in [headers]: expected true or false"},
      {"thresholds out of order in one file", "[inbound]\ntag = 10\nquarantine = 5\n", 3, 14,
       "[inbound] after layering: expected tag <= quarantine <= reject, but tag = 10 is above "
       "quarantine = 5"},
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
       "name, outbound, quarantine, quarantine_days, quarantine_mode, recipients, subject_prefix"},
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

TEST_CASE("threshold order is checked after layering and blames the line that broke it",
          "[policy]") {
  TempDir d;
  std::string base =
      d.write("usr/00-defaults.toml", "[inbound]\ntag = 5.0\nquarantine = 10.0\nreject = 15.0\n");
  std::string local = d.write("etc/10-local.toml", "[inbound]\ntag = 12.0\n");
  d.write("etc/20-lists.toml", "[scores]\nFOO = 1\n");  // applied last, but not at fault
  auto p = load_policy({d.str() + "/usr", d.str() + "/etc"});
  REQUIRE_FALSE(p);
  postern::test::check_single_error(
      p.error(),
      {local, 2, 7,
       "[inbound] after layering: expected tag <= quarantine <= reject, but tag = 12 is above "
       "quarantine = 10 (set at " +
           base + ":3:14)"});

  SECTION("a later file that fixes the order makes the layered policy valid") {
    d.write("etc/30-fix.toml", "[inbound]\nquarantine = 13.0\n");
    auto fixed = load_policy({d.str() + "/usr", d.str() + "/etc"});
    REQUIRE(fixed);
    CHECK(fixed->inbound.thresholds.tag == 12.0);
    CHECK(fixed->inbound.thresholds.quarantine == 13.0);
  }
  SECTION("\"off\" takes a threshold out of the order check") {
    d.write("etc/30-fix.toml", "[inbound]\nquarantine = \"off\"\n");
    auto fixed = load_policy({d.str() + "/usr", d.str() + "/etc"});
    REQUIRE(fixed);
    CHECK_FALSE(fixed->inbound.thresholds.quarantine);
  }
}

TEST_CASE("a missing policy directory is an error naming the directory", "[policy]") {
  TempDir d;
  std::string missing = d.str() + "/nope";
  auto p = load_policy({POSTERN_SOURCE_DIR "/policies", missing}, postern::scan::policy_sections());
  REQUIRE_FALSE(p);
  REQUIRE(p.error().size() == 1);
  CHECK(p.error()[0].file == missing);
  CHECK(p.error()[0].line == 0);
  CHECK(p.error()[0].message == "policy directory does not exist or is not a directory");

  std::string file = d.write("a-file", "");
  auto q = load_policy({file});
  REQUIRE_FALSE(q);
  CHECK(q.error()[0].file == file);
}

TEST_CASE("problems in several files are all reported", "[policy]") {
  TempDir d;
  std::string a = d.write("p/10-a.toml", "[inbound]\ntga = 1\n");
  std::string b = d.write("p/20-b.toml", "[inbound.rules]\nFOO = \"nope\"\n");
  std::string c = d.write("p/30-c.toml", "[[broken\n");
  auto p = load_policy({d.str() + "/p"});
  REQUIRE_FALSE(p);
  REQUIRE(p.error().size() == 3);
  CHECK(p.error()[0].file == a);
  CHECK(p.error()[1].file == b);
  CHECK(p.error()[2].file == c);
  CHECK(p.error()[2].line == 1);
}

TEST_CASE("a same-named file in a later directory replaces the earlier one entirely",
          "[policy][layering]") {
  TempDir d;
  d.write("usr/10-x.toml", "[inbound]\ntag = 3.0\n[scores]\nFOO = 1.0\n");
  std::string local = d.write("etc/10-x.toml", "[scores]\nBAR = 2.0\n");
  auto p = load_policy({d.str() + "/usr", d.str() + "/etc"});
  REQUIRE(p);
  CHECK(p->files == std::vector<std::string>{local});
  CHECK_FALSE(p->inbound.thresholds.tag);  // set only in the replaced file
  CHECK_FALSE(p->scores.contains("FOO"));
  CHECK(p->scores.at("BAR") == 2.0);
}

TEST_CASE("files apply in name order across directories, later keys overriding earlier ones",
          "[policy][layering]") {
  TempDir d;
  std::string a = d.write(
      "usr/00-a.toml",
      "[inbound]\ntag = 5\nquarantine = 10\n[inbound.rules]\nFOO = \"reject\"\nBAR = \"tag\"\n"
      "[scores]\nX = 1\n[tag]\nsubject_prefix = \"[A]\"\n");
  std::string z = d.write("usr/20-z.toml", "[scores]\nX = 3\n");
  std::string y = d.write(
      "etc/10-y.toml",
      "[inbound]\ntag = 7\n[inbound.rules]\nFOO = \"quarantine\"\n[scores]\nX = 2\nY = 4\n");
  d.write("etc/README", "not a policy");
  d.write("etc/10-y.toml.dpkg-old", "[[[ not even toml");
  auto p = load_policy({d.str() + "/usr", d.str() + "/etc"});
  INFO((p ? std::string() : postern::policy::to_string(p.error())));
  REQUIRE(p);
  CHECK(p->files == std::vector<std::string>{a, y, z});
  CHECK(p->inbound.thresholds.tag == 7);          // 10-y overrides 00-a
  CHECK(p->inbound.thresholds.quarantine == 10);  // kept from 00-a, key by key
  CHECK(p->inbound.rules.at("FOO").action == Action::Quarantine);
  CHECK(p->inbound.rules.at("BAR").action == Action::Tag);
  CHECK(p->scores.at("X") == 3);  // 20-z comes last by name although its directory comes first
  CHECK(p->scores.at("Y") == 4);
  CHECK(p->subject_prefix == "[A]");
}

TEST_CASE("a list redefined in a later file replaces the whole list", "[policy][layering]") {
  TempDir d;
  d.write("p/00-a.toml",
          "[lists.x]\nmatch = \"sender\"\nsymbol = \"X\"\nscore = 1.5\nentries = [\"a@x.test\", "
          "\"b.test\"]\n"
          "[lists.y]\nmatch = \"client_ip\"\nsymbol = \"Y\"\nentries = [\"192.0.2.0/24\"]\n");
  d.write("p/10-b.toml",
          "[lists.x]\nmatch = \"recipient\"\nsymbol = \"X2\"\nentries = [\"c@z.test\"]\n");
  auto p = load_policy({d.str() + "/p"});
  REQUIRE(p);
  REQUIRE(p->lists.size() == 2);
  const auto* x = find_list(*p, "x");
  REQUIRE(x);
  CHECK(x->match == ListMatch::Recipient);
  CHECK(x->symbol == "X2");
  CHECK(x->score == 0);  // not carried over from the replaced definition
  CHECK(x->entries == std::vector<std::string>{"c@z.test"});
  CHECK_FALSE(x->match_address("a@x.test"));
  CHECK(x->match_address("C@Z.TEST") == "c@z.test");
  const auto* y = find_list(*p, "y");
  REQUIRE(y);
  CHECK(y->networks.size() == 1);
}

TEST_CASE("address entries match by kind, case-insensitively, without matching lookalike domains",
          "[policy][lists]") {
  struct Row {
    std::string entry;
    std::string address;
    bool matches;
  };
  const std::vector<Row> rows = {
      {"user@x.test", "user@x.test", true},
      {"user@x.test", "USER@X.Test", true},
      {"User@X.TEST", "user@x.test", true},
      {"user@x.test", "other@x.test", false},
      {"user@x.test", "user@sub.x.test", false},
      {"user@", "user@any.test", true},
      {"user@", "User@Other.Test", true},
      {"user@", "user", false},  // no domain: not an address
      {"user@", "xuser@a.test", false},
      {"user@", "user.x@a.test", false},
      {"@x.test", "a@x.test", true},
      {"@x.test", "a@X.TEST", true},
      {"@x.test", "a@sub.x.test", false},
      {"x.test", "a@x.test", true},
      {"x.test", "a@sub.x.test", true},
      {"x.test", "a@deep.sub.x.test", true},
      {"x.test", "a@evilx.test", false},
      {"x.test", "a@x.test.evil", false},
      {"x.test", "x.test", false},
      {" x.test ", "a@x.test", true},
      {"example.com", "a@evilexample.com", false},
  };
  for (const auto& r : rows) {
    CAPTURE(r.entry, r.address);
    TempDir d;
    d.write("p/10.toml",
            "[lists.l]\nmatch = \"sender\"\nsymbol = \"L\"\nentries = [\"" + r.entry + "\"]\n");
    auto p = load_policy({d.str() + "/p"});
    REQUIRE(p);
    REQUIRE(p->lists.size() == 1);
    CHECK(p->lists[0].match_address(r.address).has_value() == r.matches);
    if (r.matches) CHECK(*p->lists[0].match_address(r.address) == r.entry);  // the entry as written
  }
}

TEST_CASE("AddressPattern kinds match as documented", "[policy][lists]") {
  using K = AddressPattern::Kind;
  struct Row {
    AddressPattern pattern;
    std::string address;
    bool matches;
  };
  const std::vector<Row> rows = {
      {{K::Address, "user@x.test"}, "User@X.test", true},
      {{K::Address, "user@x.test"}, "user@y.test", false},
      {{K::LocalPart, "user"}, "USER@y.test", true},
      {{K::LocalPart, "user"}, "user", false},
      {{K::Domain, "x.test"}, "a@x.test", true},
      {{K::Domain, "x.test"}, "a@b.x.test", false},
      {{K::DomainTree, "x.test"}, "a@b.x.test", true},
      {{K::DomainTree, "x.test"}, "a@bx.test", false},
  };
  for (const auto& r : rows) {
    CAPTURE(r.pattern.text, r.address);
    CHECK(r.pattern.matches(r.address) == r.matches);
  }
}

TEST_CASE("client_ip lists match IPv4, IPv6 and mapped addresses", "[policy][lists]") {
  TempDir d;
  d.write("p/10.toml",
          "[lists.ips]\nmatch = \"client_ip\"\nsymbol = \"IPS\"\nentries = [\"192.0.2.0/24\", \" "
          "2001:db8::/32 \", "
          "\"198.51.100.7\"]\n");
  auto p = load_policy({d.str() + "/p"});
  REQUIRE(p);
  const auto& l = p->lists.at(0);
  struct Row {
    std::string ip;
    std::optional<std::string> entry;
  };
  const std::vector<Row> rows = {
      {"192.0.2.9", "192.0.2.0/24"},       {"::ffff:192.0.2.9", "192.0.2.0/24"},
      {"2001:db8::25", " 2001:db8::/32 "}, {"198.51.100.7", "198.51.100.7"},
      {"198.51.100.8", std::nullopt},      {"203.0.113.1", std::nullopt},
  };
  for (const auto& r : rows) {
    CAPTURE(r.ip);
    auto ip = postern::core::IpAddress::parse(r.ip);
    REQUIRE(ip);
    CHECK(l.match_ip(*ip) == r.entry);
  }
}

TEST_CASE("direction: authenticated or internal clients are outbound, everyone else inbound",
          "[policy]") {
  auto p = load_policy({POSTERN_SOURCE_DIR "/policies"}, postern::scan::policy_sections());
  REQUIRE(p);
  struct Row {
    std::string sasl_user;
    std::string ip;
    postern::core::Direction want;
  };
  const std::vector<Row> rows = {
      {"", "203.0.113.5", Direction::Inbound}, {"alice", "203.0.113.5", Direction::Outbound},
      {"", "127.0.0.1", Direction::Outbound},  {"", "127.255.0.9", Direction::Outbound},
      {"", "::1", Direction::Outbound},        {"", "::ffff:127.0.0.1", Direction::Outbound},
      {"", "2001:db8::1", Direction::Inbound}, {"", "", Direction::Inbound},
      {"", "unknown", Direction::Inbound},     {"bob", "", Direction::Outbound},
  };
  for (const auto& r : rows) {
    CAPTURE(r.sasl_user, r.ip);
    postern::core::ConnectionInfo c;
    c.sasl_user = r.sasl_user;
    c.client_address = r.ip;
    CHECK(p->direction_of(c) == r.want);
  }
}

TEST_CASE("pass recipients come only from recipient lists with pass = true", "[policy]") {
  TempDir d;
  d.write("p/10.toml",
          "[lists.pass]\nmatch = \"recipient\"\nsymbol = \"RCPT_PASS\"\npass = true\nentries = "
          "[\"postmaster@\", "
          "\"abuse@\", \"vip@x.test\"]\n"
          "[lists.nopass]\nmatch = \"recipient\"\nsymbol = \"RCPT_WATCH\"\nentries = "
          "[\"watched@x.test\"]\n"
          "[lists.senders]\nmatch = \"sender\"\nsymbol = \"S\"\nentries = [\"sender@x.test\"]\n");
  auto p = load_policy({d.str() + "/p"});
  REQUIRE(p);
  struct Row {
    std::string rcpt;
    bool pass;
  };
  const std::vector<Row> rows = {
      {"postmaster@example.com", true},
      {"POSTMASTER@EXAMPLE.COM", true},
      {"abuse@x.test", true},
      {"vip@x.test", true},
      {"vip@y.test", false},
      {"watched@x.test", false},
      {"sender@x.test", false},
      {"user@example.com", false},
      {"postmaster", false},
  };
  for (const auto& r : rows) {
    CAPTURE(r.rcpt);
    CHECK(p->is_pass_recipient(r.rcpt) == r.pass);
  }
}

TEST_CASE("score overrides replace a stage's default score", "[policy]") {
  TempDir d;
  d.write("p/10.toml", "[scores]\nFOO = 2.5\nNEG = -1\n");
  auto p = load_policy({d.str() + "/p"});
  REQUIRE(p);
  CHECK(p->score_for("FOO", 9) == 2.5);
  CHECK(p->score_for("NEG", 9) == -1);
  CHECK(p->score_for("OTHER", 9) == 9);
}

TEST_CASE("nan and infinite numbers are refused in every score and threshold at file:line:column",
          "[policy][numbers]") {
  // @ marks where the number goes; the error is there.
  const std::vector<std::pair<std::string, std::string>> settings = {
      {"a [scores] override", "[scores]\nHEADER_MISSING_DATE = @\n"},
      {"an inbound threshold", "[inbound]\ntag = 1\nquarantine = @\n"},
      {"an outbound threshold", "[outbound]\nreject = @\n"},
      {"a list score", "[lists.x]\nmatch = \"sender\"\nsymbol = \"X\"\nscore = @\n"},
      {"a DNSBL zone score", "[dnsbl.z]\nzone = \"bl.example\"\nsymbol = \"DNSBL_Z\"\nscore = @\n"},
      {"a DNSBL return-code score",
       "[dnsbl.z]\nzone = \"bl.example\"\nsymbol = \"DNSBL_Z\"\n"
       "codes = { \"127.0.0.2\" = { symbol = \"DNSBL_Z2\", score = @ } }\n"},
  };
  for (const auto& [what, tmpl] : settings) {
    size_t at = tmpl.find('@');
    uint32_t line = 1 + static_cast<uint32_t>(std::count(tmpl.begin(), tmpl.begin() + at, '\n'));
    uint32_t column = static_cast<uint32_t>(at - (tmpl.rfind('\n', at) + 1)) + 1;
    for (std::string v : {"nan", "+nan", "-nan", "inf", "+inf", "-inf"}) {
      CAPTURE(what, v);
      std::string text = tmpl;
      text.replace(at, 1, v);
      TempDir d;
      std::string path = d.write("policies/10-test.toml", text);
      auto p = load_policy({d.str() + "/policies"});
      REQUIRE_FALSE(p);
      postern::test::check_single_error(p.error(),
                                        {path, line, column, "expected a finite number, got "});
      // The same number written as a finite value loads.
      text = tmpl;
      text.replace(at, 1, "1.5");
      d.write("policies/10-test.toml", text);
      auto ok = load_policy({d.str() + "/policies"});
      INFO((ok ? std::string() : postern::policy::to_string(ok.error())));
      CHECK(ok);
    }
  }
}

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
  auto p = load_policy({POSTERN_SOURCE_DIR "/policies", d.str() + "/p"},
                       postern::scan::policy_sections());
  INFO((p ? std::string() : postern::policy::to_string(p.error())));
  REQUIRE(p);
  REQUIRE(p->groups.size() == 2);
  CHECK(p->group_for("ceo@example.com").name == "executives");
  CHECK(p->group_for("ceo@example.com").inbound.rules.at("DMARC_POLICY_QUARANTINE").action ==
        Action::Reject);
  CHECK(p->group_for("x@support.example.com").name == "support");
  CHECK_FALSE(p->group_for("x@support.example.com").quarantine);
}

namespace {

// A folder's policy section, as lib/content registers [rules]: a list of words that
// layers file by file (a later file adds to it).
struct Words {
  std::vector<std::string> words;
};

void read_words(postern::policy::TomlSection& s, postern::policy::Policy& p) {
  Words w = p.sections.section<Words>("words");
  if (auto v = s.strings("add")) w.words.insert(w.words.end(), v->begin(), v->end());
  s.finish();
  p.sections.set_section("words", std::move(w));
}

}  // namespace

TEST_CASE("a folder's policy section goes to its reader, layered; without one it is unknown",
          "[policy]") {
  const std::vector<postern::core::PolicySection> readers{{.name = "words", .read = read_words}};
  TempDir dir;
  dir.write("10-a.toml", "[words]\nadd = [\"alpha\"]\n");
  dir.write("20-b.toml", "[words]\nadd = [\"beta\"]\n");
  auto p = load_policy({dir.path().string()}, readers);
  REQUIRE(p);
  CHECK(p->sections.section<Words>("words").words == std::vector<std::string>{"alpha", "beta"});
  // A key the reader does not know is an error at its position.
  auto bad = postern::policy::parse_policy("[words]\nadd = []\nsub = 1\n", "p.toml", readers);
  REQUIRE_FALSE(bad);
  postern::test::check_single_error(bad.error(), {"p.toml", 3, 1, "sub"});
  // No reader registered: the section is an unknown key.
  auto unknown = postern::policy::parse_policy("[words]\nadd = []\n", "p.toml");
  REQUIRE_FALSE(unknown);
  postern::test::check_single_error(unknown.error(), {"p.toml", 1, 2, "words"});
}
