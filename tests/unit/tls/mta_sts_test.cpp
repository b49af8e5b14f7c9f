// MTA-STS: the TXT record and the policy file read strictly (RFC 8461), and the
// smtp_tls_policy_maps line a policy becomes.
#include <catch2/catch.hpp>

#include <string>

#include "policy/policy.hpp"
#include "scan/registry.hpp"
#include "tls/mta_sts.hpp"
#include "tls/policy.hpp"

using namespace postern;

TEST_CASE("an MTA-STS policy file is read strictly", "[tls][mta-sts]") {
  struct Row {
    std::string text;
    bool ok;
    std::string want;  // the table line for "example.com", or a part of the error
  };
  const std::string big(70000, 'x');
  const Row rows[] = {
      {"version: STSv1\nmode: enforce\nmx: mail.example.com\nmx: *.example.net\nmax_age: 604800\n",
       true, "example.com secure match=mail.example.com:.example.net"},
      {"version: STSv1\r\nmode: enforce\r\nmx: MAIL.example.com\r\nmax_age: 86400\r\n", true,
       "example.com secure match=mail.example.com"},
      {"version: STSv1\nmode: testing\nmx: mail.example.com\nmax_age: 86400", true,
       "example.com may"},
      {"version: STSv1\nmode: none\nmax_age: 86400\n", true, ""},
      {"version: STSv1\nmode: enforce\nmx: mail.example.com\nmax_age: 86400\nfoo: bar\n", true,
       "example.com secure match=mail.example.com"},
      {"mode: enforce\nmx: mail.example.com\nmax_age: 86400\n", false, "no version"},
      {"version: STSv2\nmode: enforce\nmx: mail.example.com\nmax_age: 86400\n", false,
       "version is not STSv1"},
      {"version: STSv1\nmode: enforcing\nmx: mail.example.com\nmax_age: 86400\n", false,
       "mode is not"},
      {"version: STSv1\nmode: enforce\nmode: none\nmx: a.example.com\nmax_age: 86400\n", false,
       "mode twice"},
      {"version: STSv1\nmode: enforce\nmax_age: 86400\n", false, "no mx"},
      {"version: STSv1\nmode: enforce\nmx: mail.example.com\n", false, "no max_age"},
      {"version: STSv1\nmode: enforce\nmx: mail.example.com\nmax_age: 99999999999\n", false,
       "max_age is not an integer"},
      {"version: STSv1\nmode: enforce\nmx: mail.example.com\nmax_age: -1\n", false,
       "max_age is not an integer"},
      {"version: STSv1\rmode: enforce\nmx: mail.example.com\nmax_age: 86400\n", false, "bare CR"},
      {"version: STSv1\nmode: enforce\nmx: *.*.example.com\nmax_age: 86400\n", false,
       "is not a host name"},
      {"version: STSv1\nmode: enforce\nmx: mail example\nmax_age: 86400\n", false,
       "is not a host name"},
      {"version: STSv1\nmode enforce\n", false, "no 'key: value'"},
      {"version: STSv1\nmode: none\nmax_age: 86400\n#" + big, false, "larger than 65536 bytes"},
  };
  for (const auto& row : rows) {
    INFO(row.text.substr(0, 200));
    auto p = tls::parse_sts_policy(row.text, 31557600);
    REQUIRE(bool(p) == row.ok);
    if (p)
      CHECK(tls::policy_line("example.com", *p) == row.want);
    else
      CHECK_THAT(p.error(), Catch::Contains(row.want));
  }
  // A huge max_age (within 10 digits) is cut to the cap; the cache keeps the policy.
  auto huge = tls::parse_sts_policy(
      "version: STSv1\nmode: enforce\nmx: mail.example.com\nmax_age: 9999999999\n", 31557600);
  REQUIRE(huge);
  CHECK(huge->max_age == 31557600);
  auto back = tls::from_cache(tls::to_cache(*huge));
  REQUIRE(back);
  CHECK(back->mx == huge->mx);
  CHECK(back->mode == tls::StsPolicy::Mode::Enforce);
}

TEST_CASE("the _mta-sts TXT record is read strictly", "[tls][mta-sts]") {
  struct Row {
    const char* txt;
    const char* id;  // "" = an error
  };
  const Row rows[] = {
      {"v=STSv1; id=20160831085700Z;", "20160831085700Z"},
      {"v=STSv1;id=abc", "abc"},
      {"v=STSv1; id=abc; ext=1", "abc"},
      {"id=abc; v=STSv1", ""},
      {"v=STSv2; id=abc", ""},
      {"v=STSv1", ""},
      {"v=STSv1; id=", ""},
      {"v=STSv1; id=a-b", ""},
      {"v=STSv1; id=a; id=b", ""},
      {"", ""},
      {"v=spf1 -all", ""},
  };
  for (const auto& row : rows) {
    INFO(row.txt);
    auto id = tls::parse_sts_txt(row.txt);
    if (*row.id)
      CHECK((id && *id == row.id));
    else
      CHECK_FALSE(id);
  }
}

TEST_CASE("[tls.outbound] is read strictly, errors at file:line:column", "[tls][policy]") {
  struct Row {
    std::string text, want;
  };
  const Row rows[] = {
      {"[tls.outbound.a]\ndomains = [\"Example.com\"]\n",
       "tls.toml:2:11: 'domains': 'Example.com'"},
      {"[tls.outbound.a]\ndomains = [\"x.example\"]\nlevel = \"must\"\n",
       "tls.toml:3:9: 'level': expected"},
      {"[tls.outbound.a]\ndomains = [\"x.example\"]\nlevel = \"encrypt\"\nmatch = [\"nexthop\"]\n",
       "'match': only for the levels"},
      {"[tls.outbound.a]\ndomains = [\"x.example\"]\nlevel = \"secure\"\nmatch = [\"next hop\"]\n",
       "'match': 'next hop'"},
      {"[tls.outbound.a]\nlevel = \"may\"\n", "[tls.outbound.a]: expected 'domains'"},
      {"[tls.outbound]\nmta_sts_domains = [\".x.example\"]\n", "'mta_sts_domains': '.x.example'"},
      {"[tls.outbound]\nmax_age_cap = 60\n", "tls.toml:2:15:"},
      {"[tls.outbound]\nca_file = \"ca.pem\"\n", "'ca_file': expected an absolute path"},
      {"[tls.outbound]\nfoo = 1\n", "[tls.outbound]: 'foo': expected"},
  };
  for (const auto& row : rows) {
    INFO(row.text);
    auto p = policy::parse_policy(row.text, "tls.toml", scan::policy_sections());
    REQUIRE_FALSE(p);
    CHECK_THAT(policy::to_string(p.error()), Catch::Contains(row.want));
  }
  auto ok = policy::parse_policy(
      "[tls.outbound]\nmta_sts_domains = [\"a.example\"]\n[tls.outbound.banks]\n"
      "domains = [\"bank.example\", \".bank.example\"]\nlevel = \"secure\"\n"
      "match = [\"nexthop\", \".bank.example\"]\nmta_sts = true\n",
      "tls.toml", scan::policy_sections());
  REQUIRE(ok);
  const auto& out = ok->sections.section<tls::TlsPolicy>("tls").outbound;
  CHECK(out.mta_sts_domains == std::vector<std::string>{"a.example"});
  CHECK(out.rules.at("banks").match == std::vector<std::string>{"nexthop", ".bank.example"});
  CHECK(out.rules.at("banks").mta_sts);
}
