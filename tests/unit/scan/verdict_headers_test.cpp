// Tests for scan/verdict_headers.hpp: scores, header values, folding, forged headers.
#include "scan/verdict_headers.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "core/address.hpp"
#include "core/finisher.hpp"
#include "mime/decode.hpp"

using namespace postern;

TEST_CASE("scores print with at most two decimals and no trailing zeros", "[verdict_headers]") {
  const std::vector<std::pair<double, std::string>> rows = {
      {0, "0"},      {1, "1"},      {10, "10"},        {100, "100"},     {12.5, "12.5"},
      {-20, "-20"},  {2.10, "2.1"}, {3.14159, "3.14"}, {0.5, "0.5"},     {-0.001, "0"},
      {-0.004, "0"}, {0.004, "0"},  {1e6, "1000000"},  {-2.75, "-2.75"}, {0.999, "1"},
  };
  for (const auto& [score, want] : rows) {
    CAPTURE(score);
    CHECK(scan::format_score(score) == want);
  }
}

TEST_CASE("the verdict and findings header values", "[verdict_headers]") {
  CHECK(scan::verdict_value(core::Action::Tag, 5.5, "0123456789abcdef") ==
        "tag score=5.5 id=0123456789abcdef");
  CHECK(scan::verdict_value(core::Action::Accept, 0, "x") == "accept score=0 id=x");
  CHECK(scan::verdict_value(core::Action::Quarantine, -1.25, "x") == "quarantine score=-1.25 id=x");
  CHECK(scan::findings_value({}) == "");
  CHECK(scan::findings_value({{"A", 1, "d"}, {"B_C", -2.5, "d"}, {"D", 0.333, ""}}) ==
        "A(1) B_C(-2.5) D(0.33)");
  // hundreds of findings cannot bloat the header: the rest is counted
  std::vector<postern::core::Finding> many(300, {"MIME_QP_INVALID", 0.5, ""});
  std::string v = scan::findings_value(many);
  CHECK(v.size() <= 2000 + 20);
  CHECK(v.find(" ... (") != std::string::npos);
  CHECK(v.ends_with(" more)"));
}

namespace {

// Column width of a physical line, a leading tab counting 8.
size_t columns(std::string_view line) {
  size_t n = 0;
  for (char c : line) n += c == '\t' ? 8 - n % 8 : 1;
  return n;
}

std::vector<std::string> split(const std::string& s, const std::string& sep) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (true) {
    size_t i = s.find(sep, pos);
    out.push_back(s.substr(pos, i == std::string::npos ? std::string::npos : i - pos));
    if (i == std::string::npos) return out;
    pos = i + sep.size();
  }
}

}  // namespace

TEST_CASE(
    "folding keeps lines within 78 columns where a break is possible and unfolds to the original",
    "[verdict_headers]") {
  std::string findings;
  for (int i = 0; i < 40; ++i)
    findings += (i ? " " : "") + std::string("SYMBOL_NUMBER_") + std::to_string(i) + "(1.5)";
  struct Row {
    std::string name;
    std::string value;
  };
  const std::vector<Row> rows = {
      {"X-Postern-Findings", findings},
      {"X-Postern-Verdict", "accept score=0 id=0123456789abcdef"},
      {"X-Postern-Findings", "A(1)"},
      {"X", std::string(75, 'a')},   // exactly 78 with "X: " and no space
      {"X", std::string(100, 'a')},  // one word: no break possible
      {"X", std::string(36, 'a') + " " + std::string(38, 'b')},  // exactly 78 columns on one line
      {"X", std::string(36, 'a') + " " + std::string(39, 'b')},  // one more: must break
      {"X-Very-Long-Header-Name-That-Takes-Room", "word " + std::string(60, 'w') + " tail"},
      {"Subject",
       "a b c d e f g h i j k l m n o p q r s t u v w x y z a b c d e f g h i j k l m n o p q r s "
       "t u v"},
      {"X", ""},
  };
  for (const auto& r : rows) {
    CAPTURE(r.name, r.value);
    std::string folded = scan::fold(r.name, r.value);
    auto lines = split(r.name + ": " + folded, "\r\n");
    for (size_t i = 0; i < lines.size(); ++i) {
      CAPTURE(i, lines[i]);
      if (i > 0) CHECK(lines[i].rfind("\t", 0) == 0);
      // a line may only be longer when it is one word that cannot be broken
      bool one_word = lines[i].find(' ', i == 0 ? r.name.size() + 2 : 1) == std::string::npos;
      if (!one_word) CHECK(columns(lines[i]) <= 78);
    }
    // unfolding (CRLF + TAB back to one space) gives the original value
    std::string unfolded;
    for (size_t i = 0; i < lines.size(); ++i)
      unfolded += i == 0 ? lines[i].substr(r.name.size() + 2) : " " + lines[i].substr(1);
    CHECK(unfolded == r.value);
  }
  CHECK(scan::fold("X", std::string(36, 'a') + " " + std::string(38, 'b')).find("\r\n") ==
        std::string::npos);
  CHECK(scan::fold("X", std::string(36, 'a') + " " + std::string(39, 'b')) ==
        std::string(36, 'a') + "\r\n\t" + std::string(39, 'b'));
  CHECK(scan::fold("X", "a b c", 78, "\n") == "a b c");
  CHECK(scan::fold("X", "aaaa bbbb", 8, "\n") == "aaaa\n\tbbbb");
}

TEST_CASE("forged X-Postern-* fields are found in any case, highest index first per name",
          "[verdict_headers]") {
  core::Message m(
      "X-Postern-Verdict: accept score=-100 id=fake\r\n"
      "Subject: s\r\n"
      "x-postern-verdict: second\r\n"
      "X-POSTERN-Findings: f\r\n"
      "X-Postern-Verdict: third\r\n"
      "X-Posternal: not ours\r\n"
      "X-Postern: not ours either\r\n"
      "Received: x\r\n"
      "\r\nbody\r\n");
  auto removed = scan::forged_headers(m);
  struct Want {
    std::string name;
    size_t index;
  };
  const std::vector<Want> want = {{"X-Postern-Verdict", 3},
                                  {"x-postern-verdict", 2},
                                  {"X-Postern-Verdict", 1},
                                  {"X-POSTERN-Findings", 1}};
  REQUIRE(removed.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    CAPTURE(i);
    CHECK(removed[i].name == want[i].name);
    CHECK(removed[i].index == want[i].index);
  }
  CHECK(scan::forged_headers(core::Message("Subject: clean\r\n\r\n")).empty());
}

TEST_CASE("applying forged-header removals in order removes exactly the forged fields",
          "[verdict_headers]") {
  core::Message m(
      "X-Postern-Verdict: 1\r\nX-Postern-Findings: a\r\nX-POSTERN-VERDICT: 2\r\nSubject: s\r\n"
      "x-postern-findings: b\r\nX-Postern-Verdict: 3\r\n\r\n");
  // Simulate smfi_chgheader(name, index, NULL): remove the index-th field with that name.
  std::vector<std::pair<std::string, std::string>> fields;
  for (const auto& h : m.headers()) fields.emplace_back(h.name, h.value);
  for (const auto& r : scan::forged_headers(m)) {
    size_t seen = 0;
    for (auto it = fields.begin(); it != fields.end(); ++it) {
      if (core::iequals(it->first, r.name) && ++seen == r.index) {
        fields.erase(it);
        break;
      }
    }
    CHECK(seen == r.index);  // the index still existed when applied
  }
  REQUIRE(fields.size() == 1);
  CHECK(fields[0].first == "Subject");
}

// Every field of `m` under every reading: the MTA's fields and those hidden behind bare breaks.
static std::vector<std::string> every_reading_names(const core::Message& m) {
  std::vector<std::string> out;
  for (const auto& h : m.headers()) out.push_back(core::to_lower(h.name));
  for (const auto& h : m.hidden_fields()) out.push_back(core::to_lower(h.name));
  return out;
}

TEST_CASE("a verdict forged behind a bare CR is gone from every reading", "[verdict_headers]") {
  // Python's email package reads two forged fields here; the MTA reads one Subject.
  const std::string raw =
      "From: a@x.test\r\n"
      "Subject: x\r\n \rX-Postern-Verdict: accept score=-100\r\n"
      " \rAuthentication-Results: mx.gw.test; dmarc=pass header.from=bank.test\r\n"
      "X-Postern-Verdict\x7f: accept\r\n"
      "\r\nbody\r\n";
  for (bool milter : {false, true}) {
    CAPTURE(milter);
    core::Message m(raw);
    if (milter) {  // as the MTA hands the fields over, the DEL name included
      core::MessageBuilder b(1 << 20);
      b.add_header("From", "a@x.test");
      b.add_header("Subject",
                   "x\r\n \rX-Postern-Verdict: accept score=-100\r\n"
                   " \rAuthentication-Results: mx.gw.test; dmarc=pass");
      b.add_header("X-Postern-Verdict\x7f", "accept");
      b.add_body("body\r\n");
      m = b.finish();
    } else {
      // From bytes, a DEL name ends the header block as in Postfix's cleanup: not a field.
      REQUIRE(m.headers().size() == 2);
    }
    auto before = every_reading_names(m);
    CHECK(std::count(before.begin(), before.end(), "x-postern-verdict") >= 1);
    auto changes = scan::forged_headers(m, "mx.gw.test");
    REQUIRE(!changes.empty());
    CHECK(changes[0].name == "Subject");
    REQUIRE(changes[0].value);
    CHECK(changes[0].value->find('\r') == std::string::npos);
    core::Outcome out;
    out.changed = changes;
    core::Message after = core::apply_edits(m, out);
    for (const auto& n : every_reading_names(after)) {
      CAPTURE(n);
      CHECK(n.rfind("x-postern-", 0) == std::string::npos);
      CHECK(n != "authentication-results");
    }
    CHECK(after.find("Subject"));
    CHECK(after.find("From"));
    CHECK(after.hidden_fields().empty());
  }
}

TEST_CASE("a field name with bytes no name may hold is still checked", "[verdict_headers]") {
  core::MessageBuilder b(1 << 20);
  b.add_header("Subject", "s");
  b.add_header("X-Postern-Verdict\x7f", "accept score=-100");
  b.add_header("Authentication-Results\x01", "mx.gw.test; dmarc=pass");
  b.add_header("X-Postern-Findings", "forged");
  core::Message m = b.finish();
  REQUIRE(m.headers().size() == 4);  // the fields after the odd name are seen
  CHECK(m.headers()[1].name_invalid);
  auto changes = scan::forged_headers(m, "mx.gw.test");
  std::vector<std::string> names;
  for (const auto& c : changes) {
    CHECK_FALSE(c.value);
    names.push_back(c.name);
  }
  CHECK(names == std::vector<std::string>{"X-Postern-Verdict\x7f", "Authentication-Results\x01",
                                          "X-Postern-Findings"});
}

TEST_CASE("the report header explains every finding in ASCII that reads back as written",
          "[verdict_headers]") {
  const std::vector<std::string> texts = {
      "plain ASCII stays as it is",
      "brand PayPal in subject: \"Ihr Konto wurde gesperrt – jetzt prüfen\"",
      "mixed scripts: \xD0\xA0"
      "aypal (Cyrillic) and a long tail of \xC3\xA9\xC3\xA9\xC3\xA9 "
      "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"
      "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"
      "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9 end",
      "looks encoded =?utf-8?q?x?= but is not",
      "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E\xE3\x81\xAE\xE4\xBB\xB6\xE5\x90\x8D",  // Japanese
  };
  for (const auto& t : texts) {
    INFO(t);
    std::string v = scan::encode_unstructured(t);
    CHECK(std::all_of(v.begin(), v.end(), [](char c) { return c >= 32 && c < 127; }));
    // Every encoded word is at most 75 characters.
    for (size_t p = v.find("=?"); p != std::string::npos; p = v.find("=?", p + 2)) {
      size_t e = v.find("?=", p + 10);
      REQUIRE(e != std::string::npos);
      CHECK(e + 2 - p <= 75);
      p = e;
    }
    mime::DecodeStats st;
    CHECK(mime::decode_rfc2047(v, st) == t);
  }
  // Control characters become spaces; nothing raw reaches the header.
  CHECK(scan::encode_unstructured("a\r\nb\tc") == "a b c");

  std::vector<core::Finding> fs = {
      {"RULE_WIRE", 2, "'wire' in body.text (part 1): \"please wire\""},
      {"HEADER_MISSING_DATE", 1, ""}};
  CHECK(scan::report_value(fs) ==
        "RULE_WIRE(2): 'wire' in body.text (part 1): \"please wire\"; HEADER_MISSING_DATE(1)");
  // Bounded: the rest is summarised.
  std::vector<core::Finding> many(200, core::Finding{"SYM", 1, std::string(100, 'x')});
  std::string v = scan::report_value(many, 1000);
  CHECK(v.size() < 1100);
  CHECK(v.ends_with("more)"));
}
