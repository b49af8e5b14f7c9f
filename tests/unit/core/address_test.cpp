// Tests for core/address.hpp: address lists, envelope addresses, domains.
#include "core/address.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using postern::core::parse_address_list;
using Addrs = std::vector<std::string>;

TEST_CASE("address lists yield the addresses behind display names, quotes, comments and groups",
          "[address]") {
  struct Row {
    std::string value;
    Addrs want;
  };
  const std::vector<Row> rows = {
      {"a@x.test", {"a@x.test"}},
      {"  a@x.test  ", {"a@x.test"}},
      {"John Doe <john@example.com>", {"john@example.com"}},
      {"<john@example.com>", {"john@example.com"}},
      {"a@x.test, b@y.test", {"a@x.test", "b@y.test"}},
      {"a@x.test,,  , b@y.test", {"a@x.test", "b@y.test"}},
      // quoted display names may hold commas, '@', ':' and ';'
      {"\"Doe, John\" <john@example.com>, b@y.test", {"john@example.com", "b@y.test"}},
      {"\"ceo@bank.test\" <attacker@evil.test>", {"attacker@evil.test"}},
      {"\"a: b; c\" <q@x.test>", {"q@x.test"}},
      {"\"escaped \\\" quote, here\" <q@x.test>", {"q@x.test"}},
      // comments are dropped wherever they are, nested or holding specials
      {"a@x.test (comment, with comma), b@y.test", {"a@x.test", "b@y.test"}},
      {"(lead) a@x.test", {"a@x.test"}},
      {"a@x.test (see <b@y.test>)", {"a@x.test"}},
      {"Nested (a (b, c) d) <n@x.test>", {"n@x.test"}},
      {"Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>", {"pete@silly.test"}},
      // groups
      {"undisclosed-recipients:;", {}},
      {"undisclosed-recipients: ;", {}},
      {"grp: a@x.test, b@y.test;", {"a@x.test", "b@y.test"}},
      {"grp: a@x.test, b@y.test;, c@z.test", {"a@x.test", "b@y.test", "c@z.test"}},
      {"A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;",
       {"c@a.test", "joe@where.test", "jdoe@one.test"}},
      {"\"Joe Q. Public\" <john.q.public@example.com>, Mary Smith <mary@x.test>, jdoe@example.org, "
       "Who? <one@y.test>",
       {"john.q.public@example.com", "mary@x.test", "jdoe@example.org", "one@y.test"}},
      // obsolete source routes inside angle brackets
      {"<@route1.test,@route2.test:user@dom.test>", {"user@dom.test"}},
      {"Name <@a.test:user@dom.test>, b@y.test", {"user@dom.test", "b@y.test"}},
      // folded values keep working
      {"a@x.test,\r\n b@y.test", {"a@x.test", "b@y.test"}},
      // nothing to find
      {"", {}},
      {"<>", {}},
      {"(only a comment)", {}},
      {"Just A Name", {}},
  };
  for (const auto& r : rows) {
    CAPTURE(r.value);
    CHECK(parse_address_list(r.value) == r.want);
  }
}

TEST_CASE("address lists are bounded by max", "[address]") {
  CHECK(parse_address_list("a@x, b@y, c@z", 2) == Addrs{"a@x", "b@y"});
  CHECK(parse_address_list("a@x, b@y, c@z", 0).empty());
  std::string many;
  for (int i = 0; i < 5000; ++i) many += "u" + std::to_string(i) + "@x.test, ";
  CHECK(parse_address_list(many).size() == 1000);
}

TEST_CASE("envelope addresses lose angle brackets and source routes", "[address]") {
  const std::vector<std::pair<std::string, std::string>> rows = {
      {"<a@x.test>", "a@x.test"},
      {" <a@x.test> ", "a@x.test"},
      {"a@x.test", "a@x.test"},
      {"<>", ""},
      {"", ""},
      {"<@r1.test,@r2.test:a@x.test>", "a@x.test"},
      {"<@r1.test:a@x.test>", "a@x.test"},
  };
  for (const auto& [in, want] : rows) {
    CAPTURE(in);
    CHECK(postern::core::envelope_address(in) == want);
  }
}

TEST_CASE("domain_of and local_part_of split at the last '@' and lower-case", "[address]") {
  struct Row {
    std::string address;
    std::string domain;
    std::string local;
  };
  const std::vector<Row> rows = {
      {"User@EXAMPLE.Com", "example.com", "user"},
      {"a@b.test", "b.test", "a"},
      {"\"odd@local\"@Host.Test", "host.test", "\"odd@local\""},
      {"postmaster", "", "postmaster"},
      {"Postmaster", "", "postmaster"},
      {"trailing@", "", "trailing"},
      {"@Domain.Only", "domain.only", ""},
      {"", "", ""},
  };
  for (const auto& r : rows) {
    CAPTURE(r.address);
    CHECK(postern::core::domain_of(r.address) == r.domain);
    CHECK(postern::core::local_part_of(r.address) == r.local);
  }
}

TEST_CASE("to_lower only folds ASCII letters", "[address]") {
  CHECK(postern::core::to_lower("MiXeD-123@EXAMPLE.COM") == "mixed-123@example.com");
  CHECK(postern::core::to_lower("\xc3\x89") == "\xc3\x89");
}

TEST_CASE("strip_comments replaces each comment by one space and keeps quoted strings") {
  struct Row {
    const char* in;
    const char* out;
  };
  for (const auto& r : std::vector<Row>{{"a (b) c", "a   c"},
                                        {"(x (nested) y)mx.test", " mx.test"},
                                        {"(c\\)d)e", " e"},  // a quoted-pair inside a comment
                                        {"\"q (not a comment)\" x", "\"q (not a comment)\" x"},
                                        {"\"esc \\\" (q)\" (c)", "\"esc \\\" (q)\"  "},
                                        {"open (never closed", "open "}}) {
    CAPTURE(r.in);
    CHECK(postern::core::strip_comments(r.in) == r.out);
  }
}
