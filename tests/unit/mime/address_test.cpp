// Tests for mime/address.hpp: address lists, and the From forms every reader must agree on.
#include "mime/address.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "core/message.hpp"

using postern::core::Message;
using postern::mime::author;
using postern::mime::parse_mailboxes;
using Addrs = std::vector<std::string>;

namespace {

// The addresses (with a domain) of the RFC reading.
Addrs addresses(std::string_view value) {
  Addrs out;
  for (const auto& b : parse_mailboxes(value).mailboxes)
    if (!b.domain.empty()) out.push_back(b.address());
  return out;
}

// A message as the milter builds it from the fields of `raw`.
Message built(const std::string& raw) {
  return postern::core::build_message(raw, 1 << 20);
}

std::string unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 >= s.size()) {
      out.push_back(s[i]);
      continue;
    }
    char c = s[++i];
    if (c == 'r')
      out.push_back('\r');
    else if (c == 'n')
      out.push_back('\n');
    else if (c == 't')
      out.push_back('\t');
    else if (c == 'x' && i + 2 < s.size()) {
      out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back('\\');
      out.push_back(c);
    }
  }
  return out;
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (true) {
    size_t end = s.find(sep, pos);
    out.emplace_back(s.substr(pos, end == std::string_view::npos ? s.npos : end - pos));
    if (end == std::string_view::npos) return out;
    pos = end + 1;
  }
}

}  // namespace

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
    CHECK(addresses(r.value) == r.want);
  }
}

TEST_CASE("display names are decoded, quotes and encoded words included", "[address]") {
  const std::vector<std::pair<std::string, std::string>> rows = {
      {"John Doe <j@x.test>", "John Doe"},
      {"\"Doe, John\" <j@x.test>", "Doe, John"},
      {"=?utf-8?q?J=C3=BCrgen?= <j@x.test>", "J\xc3\xbcrgen"},
      {"=?utf-8?b?SsO8cmdlbg==?= M <j@x.test>", "J\xc3\xbcrgen M"},
      {"<j@x.test>", ""},
  };
  for (const auto& [value, want] : rows) {
    CAPTURE(value);
    auto l = parse_mailboxes(value);
    REQUIRE(l.mailboxes.size() == 1);
    CHECK(l.mailboxes[0].display_name == want);
  }
}

TEST_CASE("address lists are bounded", "[address]") {
  std::string many;
  for (int i = 0; i < 5000; ++i) many += "u" + std::to_string(i) + "@x.test, ";
  auto l = parse_mailboxes(many);
  CHECK(l.mailboxes.size() == postern::mime::kMaxMailboxes);
  CHECK(l.limit);
}

TEST_CASE("every From form yields the author domains any reader could see", "[address][from]") {
  std::ifstream in(POSTERN_SOURCE_DIR "/tests/data/from_forms.tsv");
  REQUIRE(in);
  std::string line;
  size_t rows = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto cols = split(line, '\t');
    REQUIRE(cols.size() == 4);
    std::string form = unescape(cols[0]);
    std::set<std::string> want;
    for (auto& d : split(cols[1], ','))
      if (d != " " && !d.empty()) want.insert(d);
    bool ambiguous = cols[2] == "1";
    std::string raw = "From: " + form + "\r\nSubject: x\r\n\r\nbody\r\n";
    // Both ways a message reaches the parser: bytes (postern scan) and the milter's fields.
    for (const Message& m : {Message(raw), built(raw)}) {
      CAPTURE(cols[3], form);
      auto a = author(m);
      CHECK(std::set<std::string>(a.domains.begin(), a.domains.end()) == want);
      CHECK(a.ambiguous == ambiguous);
      CHECK(a.fields == 1);
      CHECK(a.single_domain() == (want.size() == 1 && !ambiguous ? *want.begin() : ""));
    }
    ++rows;
  }
  CHECK(rows >= 30);
}

TEST_CASE("a From hidden behind a bare CR in another field is an author too", "[address][from]") {
  const std::string raw =
      "From: a@evil.test\r\nSubject: hello\rFrom: Bank <victim@bank.test>\r\n\r\nbody\r\n";
  for (const Message& m : {Message(raw), built(raw)}) {
    auto a = author(m);
    CHECK(a.hidden_from);
    CHECK(a.ambiguous);
    CHECK(a.fields == 1);
    CHECK(a.domains == Addrs{"evil.test", "bank.test"});
    CHECK(a.single_domain().empty());
  }
}

TEST_CASE("several From fields: every domain is an author domain", "[address][from]") {
  auto a = author(Message("From: a@x.test\r\nFrom: b@y.test\r\n\r\n"));
  CHECK(a.fields == 2);
  CHECK(a.domains == Addrs{"x.test", "y.test"});
  CHECK_FALSE(a.ambiguous);
  CHECK(a.single_domain().empty());
}

TEST_CASE("more author domains than the bound are reported, not cut silently", "[address][from]") {
  std::string from;
  for (int i = 0; i < 20; ++i) from += "u@d" + std::to_string(i) + ".test, ";
  auto a = author(Message("From: " + from + "\r\n\r\n"));
  CHECK(a.limit);
  CHECK(a.domains.size() == postern::mime::kMaxAuthorDomains + 1);
  CHECK(a.single_domain().empty());
}

TEST_CASE("a From with a hundred thousand distinct domains is read in bounded space",
          "[address][from]") {
  std::string from;
  for (int i = 0; i < 100000; ++i)
    from += "a@d" + std::to_string(i) + ".test@e" + std::to_string(i) + ".test, ";
  auto l = parse_mailboxes(from);
  CHECK(l.mailboxes.size() == postern::mime::kMaxMailboxes);
  CHECK(l.others.size() <= postern::mime::kMaxMailboxes);
  CHECK(l.limit);
  auto a = author(Message("From: " + from + "\r\n\r\n"));
  CHECK(a.limit);
  CHECK(a.domains.size() == postern::mime::kMaxAuthorDomains + 1);
}
