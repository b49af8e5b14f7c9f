// Tests for content/rules.hpp: the [rules] reader, matching each field kind, the
// finding's detail, the hit counters and the bounds.
#include "content/rules.hpp"

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "mime/stage.hpp"
#include "scan/registry.hpp"
#include "support/expect_error.hpp"
#include "support/temp_dir.hpp"

using namespace postern;

namespace {

postern::expected<policy::Policy, policy::Errors> parse(const std::string& text) {
  return policy::parse_policy(text, "p.toml", scan::policy_sections());
}

std::shared_ptr<const content::RuleSet> rules_of(const std::string& text,
                                                 size_t max_field_bytes = content::kMaxFieldBytes) {
  auto p = parse(text);
  if (!p) FAIL(policy::to_string(p.error()));
  auto set =
      content::RuleSet::build(p->sections.section<content::RulesPolicy>("rules"), max_field_bytes);
  if (!set) FAIL(set.error().to_string());
  return *set;
}

// Runs the MIME stage and the rules stage over `raw`.
std::vector<core::Finding> run(const std::shared_ptr<const content::RuleSet>& set,
                               const std::string& raw,
                               core::Direction dir = core::Direction::Inbound) {
  core::ConnectionInfo conn;
  core::Transaction tx(conn, dir, core::Limits{}, nullptr, "id");
  tx.set_message(core::Message(raw));
  REQUIRE(mime::MimeStage().on_message(tx).kind == core::Step::Kind::Continue);
  content::RulesStage stage(set);
  REQUIRE(stage.on_message(tx).kind == core::Step::Kind::Continue);
  return tx.findings();
}

std::vector<std::string> symbols(const std::vector<core::Finding>& fs) {
  std::vector<std::string> out;
  for (const auto& f : fs) out.push_back(f.symbol);
  return out;
}

std::string rule(const std::string& symbol, const std::string& field, const std::string& pattern,
                 const std::string& extra = "") {
  return "[rules." + symbol + "]\nfield = \"" + field + "\"\npattern = '" + pattern +
         "'\nscore = 1.5\ndescription = \"" + symbol + " phrase\"\n" + extra;
}

const std::string kMessage =
    "From: =?utf-8?q?Micro=C5=9Foft_Support?= <support@helpdesk.example>\r\n"
    "Reply-To: collect@freemail.example\r\n"
    "To: alice@example.org\r\n"
    "Subject: =?utf-8?q?Your_mailbox_is_f=C3=BCll?=\r\n"
    "X-Campaign: =?utf-8?b?c3VtbWVyIHNhbGU=?=\r\n"
    "X-Campaign: second\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
    "--b\r\nContent-Type: multipart/alternative; boundary=c\r\n\r\n"
    "--c\r\nContent-Type: text/plain\r\n\r\nPlease VERIFY your account today. Call 0123456789.\r\n"
    "--c\r\nContent-Type: text/html\r\n\r\n"
    "<p>Click <a href=\"https://login.evil.example/x\">here</a> to "
    "<b>confirm</b> your password</p>\r\n"
    "--c--\r\n"
    "--b\r\nContent-Type: application/octet-stream; name=invoice.pdf.exe\r\n"
    "Content-Disposition: attachment; filename=invoice.pdf.exe\r\n\r\nMZ\r\n"
    "--b--\r\n";

}  // namespace

TEST_CASE("a bad rule is an error at the position of the offending value", "[rules]") {
  struct Row {
    std::string text;
    uint32_t line, column;
    std::string contains;
  };
  const std::vector<Row> rows = {
      // RE2's own error text, at the pattern.
      {rule("BAD_RE", "subject", "(unclosed"), 3, 11, "missing )"},
      {rule("BAD_RE", "subject", "a{2,1}"), 3, 11, "repetition size"},
      {rule("EMPTY_MATCH", "subject", "x*"), 3, 11, "empty string"},
      {rule("BAD_FIELD", "subjekt", "x"), 2, 9, "header:NAME"},
      {rule("BAD_HEADER", "header:", "x"), 2, 9, "header:NAME"},
      {rule("BAD_HEADER", "header:X Y", "x"), 2, 9, "header:NAME"},
      {"[rules.NO_PATTERN]\nfield = \"subject\"\nscore = 1\ndescription = \"d\"\n", 1, 1,
       "missing 'pattern'"},
      {"[rules.NO_SCORE]\nfield = \"subject\"\npattern = \"x\"\ndescription = \"d\"\n", 1, 1,
       "missing 'score'"},
      {"[rules.NO_FIELD]\npattern = \"x\"\nscore = 1\ndescription = \"d\"\n", 1, 1,
       "missing 'field'"},
      {rule("TYPO", "subject", "x", "scor = 2\n"), 6, 1, "scor"},
      {rule("DIR", "subject", "x", "direction = \"sideways\"\n"), 6, 13, "inbound"},
      {rule("SCORE_STR", "subject", "x")
           .replace(rule("SCORE_STR", "subject", "x").find("1.5"), 3, "\"high\""),
       4, 9, "number"},
      {rule("lower_case", "subject", "x"), 1, 1, "UPPER_SNAKE"},
      // A catalogued symbol cannot be a rule's name.
      {rule("HEADER_MISSING_DATE", "subject", "x"), 1, 1, "catalogued"},
      {"[rules]\nNOT_A_TABLE = 1\n", 2, 15, "expected a table"},
      // One pattern over RE2's memory on its own (kRuleMaxMem): at the pattern when read.
      {rule("HUGE_CLASS", "body.text", "\\pL{1000}"), 3, 11, "pattern too large"},
      // One symbol, one definition: found by `postern policy check` (check_symbols), at the
      // later definition, naming the other.
      {rule("DUP_NAME", "subject", "x") +
           "[composites.DUP_NAME]\nexpression = \"SPF_FAIL\"\nscore = 1\ndescription = \"d\"\n",
       6, 1, "[composites.DUP_NAME]: DUP_NAME is already defined by [rules.DUP_NAME] (p.toml:1:1)"},
      {"[composites.DUP_NAME]\nexpression = \"SPF_FAIL\"\nscore = 1\ndescription = \"d\"\n" +
           rule("DUP_NAME", "subject", "x"),
       5, 1, "[rules.DUP_NAME]: DUP_NAME is already defined by [composites.DUP_NAME] (p.toml:1:1)"},
      {"[lists.vips]\nmatch = \"sender\"\nsymbol = \"LIST_VIP\"\nentries = [\"a@b.test\"]\n" +
           rule("LIST_VIP", "subject", "x"),
       5, 1, "[rules.LIST_VIP]: LIST_VIP is already defined by list vips"},
      {"[dnsbl.z]\nzone = \"bl.example\"\nsymbol = \"DNSBL_Z\"\n"
       "codes = { \"127.0.0.2\" = { symbol = \"DNSBL_Z2\", score = 1 } }\n" +
           rule("DNSBL_Z2", "subject", "x"),
       5, 1, "already defined by [dnsbl.z] code 127.0.0.2"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.text);
    auto p = parse(r.text);
    // A file that parses is checked as `postern policy check` checks it.
    policy::Errors errs = p ? scan::check_symbols(*p) : p.error();
    test::check_single_error(errs, {"p.toml", r.line, r.column, r.contains});
  }
}

TEST_CASE("a rule and a composite of one name in two files: an error at the later file",
          "[rules]") {
  test::TempDir d;
  d.write("50-rules.toml", rule("LURE_DUP", "subject", "lure"));
  d.write("60-composites.toml",
          "\n[composites.LURE_DUP]\nexpression = \"SPF_FAIL\"\nscore = 1\ndescription = \"d\"\n");
  auto p = scan::load_checked_policy({d.str()});
  REQUIRE_FALSE(p);
  test::check_single_error(
      p.error(), {d.str() + "/60-composites.toml", 2, 1,
                  "already defined by [rules.LURE_DUP] (" + d.str() + "/50-rules.toml:1:1)"});
  // The other way round: the error is at the rule, in the later file.
  test::TempDir e;
  e.write("50-composites.toml",
          "[composites.LURE_DUP]\nexpression = \"SPF_FAIL\"\nscore = 1\ndescription = \"d\"\n");
  e.write("60-rules.toml", "\n\n" + rule("LURE_DUP", "subject", "lure"));
  auto q = scan::load_checked_policy({e.str()});
  REQUIRE_FALSE(q);
  test::check_single_error(q.error(), {e.str() + "/60-rules.toml", 3, 1,
                                       "[rules.LURE_DUP]: LURE_DUP is already defined by "
                                       "[composites.LURE_DUP] (" +
                                           e.str() + "/50-composites.toml:1:1)"});
}

TEST_CASE("a rule's symbol may be named by hard rules and scores", "[rules]") {
  auto p = parse(rule("LURE_MAILBOX_FULL", "subject", "mailbox is full") +
                 "[scores]\nLURE_MAILBOX_FULL = 3.0\n");
  REQUIRE(p);
  CHECK(scan::check_symbols(*p).empty());
  auto unknown = parse("[scores]\nLURE_NOT_DEFINED = 3.0\n");
  REQUIRE(unknown);
  CHECK(scan::check_symbols(*unknown).size() == 1);
}

TEST_CASE("a later file's rule replaces the earlier one of the same name", "[rules]") {
  test::TempDir dir;
  dir.write("10-a.toml", rule("LURE_X", "subject", "first") + rule("LURE_Y", "subject", "y"));
  dir.write("20-b.toml", rule("LURE_X", "body.text", "second"));
  auto p = policy::load_policy({dir.path().string()}, scan::policy_sections());
  REQUIRE(p);
  const auto& rs = p->sections.section<content::RulesPolicy>("rules").rules;
  REQUIRE(rs.size() == 2);
  CHECK(rs.at("LURE_X").field == "body.text");
  CHECK(rs.at("LURE_X").pattern == "second");
}

TEST_CASE("rules match every field kind, decoded, case-insensitive by default", "[rules]") {
  struct Row {
    std::string field, pattern;
    bool hits;
  };
  const std::vector<Row> rows = {
      {"subject", "mailbox is füll", true},  // RFC 2047-decoded
      {"subject", "=\\?utf-8", false},       // never the encoded form
      {"from.display", "microşoft support", true},
      {"from.address", "^support@helpdesk\\.example$", true},
      {"reply_to", "@freemail\\.example$", true},
      {"body.text", "verify your account", true},           // text/plain, any case
      {"body.text", "click here to confirm your", true},    // HTML as a reader sees it
      {"body.text", "<b>", false},                          // not the markup
      {"body.html", "<b>confirm</b>", true},                // the markup
      {"url", "^https://login\\.evil\\.example/x$", true},  //
      {"url.host", "^login\\.evil\\.example$", true},       //
      {"attachment.name", "\\.pdf\\.exe$", true},           //
      {"attachment.type", "^application/octet-stream$", true},
      {"raw", "Content-Disposition: attachment", true},
      {"header:X-Campaign", "^summer sale$", true},  // every field of the name, decoded
      {"header:x-campaign", "^second$", true},       // names compare case-insensitively
      {"header:X-Campaign", "c3VtbWVy", false},      // never the encoded form
      {"header:X-Absent", "x", false},
      {"subject", "invoice", false},
  };
  for (const auto& r : rows) {
    CAPTURE(r.field, r.pattern);
    auto set = rules_of(rule("TEST_RULE", r.field, r.pattern));
    auto f = run(set, kMessage);
    CHECK((symbols(f) == std::vector<std::string>{"TEST_RULE"}) == r.hits);
  }
}

TEST_CASE("case_sensitive and direction narrow a rule", "[rules]") {
  auto set = rules_of(rule("UPPER_VERIFY", "body.text", "VERIFY", "case_sensitive = true\n") +
                      rule("LOWER_VERIFY", "body.text", "verify your", "case_sensitive = true\n") +
                      rule("OUT_ONLY", "subject", "mailbox", "direction = \"outbound\"\n"));
  CHECK(symbols(run(set, kMessage)) == std::vector<std::string>{"UPPER_VERIFY"});
  CHECK(symbols(run(set, kMessage, core::Direction::Outbound)) ==
        std::vector<std::string>{"UPPER_VERIFY", "OUT_ONLY"});
}

TEST_CASE("one finding per rule, its detail quoting what matched where", "[rules]") {
  // Both body parts and the subject match; the rule fires once, at the first value.
  auto set = rules_of(rule("LURE_ACCOUNT", "body.text", "your (account|password)") +
                      rule("LURE_CALL", "body.text", "call \\d+") +
                      "[rules.NO_DESC]\nfield = \"subject\"\npattern = 'mailbox'\nscore = "
                      "0.5\ndescription = \"\"\n");
  auto f = run(set, kMessage);
  REQUIRE(f.size() == 3);
  CHECK(f[0].symbol == "LURE_ACCOUNT");
  CHECK(f[0].score == 1.5);
  CHECK(f[0].detail ==
        "LURE_ACCOUNT phrase in body.text (part 1.1.1): \"Please VERIFY your "
        "account today. Call ******6789.\"");
  // Digits of a long run are masked in the excerpt.
  CHECK(f[1].symbol == "LURE_CALL");
  CHECK(f[1].detail.find("******6789") != std::string::npos);
  CHECK(f[1].detail.find("0123456789") == std::string::npos);
  // No description: the pattern says what matched.
  CHECK(f[2].detail == "/mailbox/ in subject: \"Your mailbox is füll\"");
}

TEST_CASE("the policy's [scores] override a rule's score", "[rules]") {
  auto p = parse(rule("LURE_X", "subject", "mailbox") + "[scores]\nLURE_X = 4.0\n");
  REQUIRE(p);
  auto set = content::RuleSet::build(p->sections.section<content::RulesPolicy>("rules"));
  REQUIRE(set);
  core::ConnectionInfo conn;
  const policy::Policy& pol = *p;
  core::Transaction tx(
      conn, core::Direction::Inbound, core::Limits{},
      [&](std::string_view s, double d) { return pol.score_for(s, d); }, "id");
  tx.set_message(core::Message(kMessage));
  REQUIRE(content::RulesStage(*set).on_message(tx).kind == core::Step::Kind::Continue);
  REQUIRE(tx.findings().size() == 1);
  CHECK(tx.findings()[0].score == 4.0);
}

TEST_CASE("hit counters count each message a rule hit", "[rules]") {
  auto set = rules_of(rule("LURE_ACCOUNT", "body.text", "your account") +
                      rule("LURE_NEVER", "subject", "lottery winner"));
  CHECK(set->hits("LURE_ACCOUNT") == 0);
  run(set, kMessage);
  run(set, kMessage);
  run(set, "Subject: hello\r\n\r\nnothing here\r\n");
  CHECK(set->hits("LURE_ACCOUNT") == 2);
  CHECK(set->hits("LURE_NEVER") == 0);
  CHECK(set->hit_counts() ==
        std::map<std::string, uint64_t>{{"LURE_ACCOUNT", 2}, {"LURE_NEVER", 0}});
}

TEST_CASE("hit counts go on across a reload (sets built on one HitCounters)", "[rules]") {
  auto counters = std::make_shared<content::HitCounters>();
  auto build = [&](const std::string& text) {
    auto p = parse(text);
    if (!p) FAIL(policy::to_string(p.error()));
    auto set = content::RuleSet::build(p->sections.section<content::RulesPolicy>("rules"),
                                       content::kMaxFieldBytes, counters);
    if (!set) FAIL(set.error().to_string());
    return *set;
  };
  auto before = build(rule("LURE_ACCOUNT", "body.text", "your account"));
  run(before, kMessage);
  run(before, kMessage);
  // The reload: the same rule with another pattern, and a new one.
  auto after = build(rule("LURE_ACCOUNT", "body.text", "account") +
                     rule("LURE_NEW", "body.text", "account"));
  CHECK(after->hits("LURE_ACCOUNT") == 2);
  run(after, kMessage);
  CHECK(after->hit_counts() ==
        std::map<std::string, uint64_t>{{"LURE_ACCOUNT", 3}, {"LURE_NEW", 1}});
  // A set built on its own counts from 0.
  CHECK(rules_of(rule("LURE_ACCOUNT", "body.text", "x"))->hits("LURE_ACCOUNT") == 0);
}

TEST_CASE("a field longer than the scan bound is cut and flagged", "[rules]") {
  std::string body = std::string(200, 'a') + " needle at the end\r\n";
  std::string raw = "Subject: s\r\n\r\n" + body;
  // The needle is past the bound: no hit, and the cut is a finding.
  auto small = rules_of(
      rule("LATE_NEEDLE", "body.text", "needle") + rule("EARLY_A", "raw", "subject: s"), 100);
  auto f = run(small, raw);
  CHECK(symbols(f) ==
        std::vector<std::string>{"EARLY_A", "CONTENT_RULES_TRUNCATED", "CONTENT_RULES_TRUNCATED"});
  CHECK(f[1].detail.find("field raw") != std::string::npos);
  CHECK(f[2].detail.find("field body.text") != std::string::npos);
  // Within the bound: found, nothing flagged.
  auto big = rules_of(rule("LATE_NEEDLE", "body.text", "needle"), 1000);
  CHECK(symbols(run(big, raw)) == std::vector<std::string>{"LATE_NEEDLE"});
}

TEST_CASE(
    "a field whose rules do not fit one RE2 set is refused at its largest rule, by "
    "`postern policy check` and at load",
    "[rules]") {
  // 160 rules of about 8000 RE2 instructions each (a distinct prefix, so the Set cannot
  // factor them into one): each compiles alone, together over the Set's 64 MiB (the DFA
  // needs room for its states). One of them twice the size: the one to simplify.
  constexpr int kRules = 160;
  std::string text;
  for (int i = 0; i < kRules; ++i) {
    std::string pattern = fmt::format("q{}z.{{1000}}", i);
    if (i == 77) pattern += "x.{1000}";
    text += rule(fmt::format("WIDE_{:03}", i), "body.text", pattern);
  }
  const uint32_t line_77 = 1 + 5 * 77;  // rule() writes 5 lines per rule
  // Other fields' rules are not the problem and are not named.
  text += rule("ALSO_SUBJECT", "subject", "hello");
  auto p = parse(text);
  REQUIRE(p);
  CHECK(scan::check_symbols(*p).empty());
  const auto& rp = p->sections.section<content::RulesPolicy>("rules");
  REQUIRE(rp.rules.size() == kRules + 1);  // every rule read: none dropped
  auto set = content::RuleSet::build(rp);
  REQUIRE_FALSE(set);
  test::check_single_error(
      {set.error()},
      {"p.toml", line_77, 1,
       "[rules.WIDE_077]: the 160 rules of field body.text do not compile as one RE2 set "
       "within 64 MiB"});
  // `postern policy check` runs the same compile (scan::check_sections).
  test::check_single_error(scan::check_sections(*p), {"p.toml", line_77, 1, "WIDE_077"});
  // Half of them fit: the field's rules all match, from the one Set.
  std::string half;
  for (int i = 0; i < kRules / 2; ++i)
    half += rule(fmt::format("WIDE_{:03}", i), "body.text", fmt::format("q{}z.{{1000}}", i));
  auto fits = rules_of(half);
  CHECK(scan::check_sections(*parse(half)).empty());
  std::string body = "q5z" + std::string(1000, 'a') + " q79z" + std::string(1000, 'b') + "\r\n";
  CHECK(symbols(run(fits, "Subject: s\r\n\r\n" + body)) ==
        std::vector<std::string>{"WIDE_005", "WIDE_079"});
}

TEST_CASE("the shipped content rules load and each has a description", "[rules]") {
  auto p =
      policy::load_policy({std::string(POSTERN_SOURCE_DIR) + "/policies"}, scan::policy_sections());
  REQUIRE(p);
  CHECK(scan::check_symbols(*p).empty());
  CHECK(scan::check_sections(*p).empty());
  const auto& rs = p->sections.section<content::RulesPolicy>("rules").rules;
  CHECK(rs.size() >= 5);
  for (const auto& [name, r] : rs) {
    CAPTURE(name);
    CHECK(!r.description.empty());
    CHECK(r.score > 0);
    CHECK(r.score <= 2.5);
  }
  CHECK(content::RuleSet::build(p->sections.section<content::RulesPolicy>("rules")));
}

namespace {

struct Rates {
  size_t messages = 0;
  std::map<std::string, size_t> hits;  // by rule
};

// The shipped rules over every message of a corpus folder.
Rates rates(const std::shared_ptr<const content::RuleSet>& set, const std::string& folder) {
  Rates r;
  for (const auto& e : std::filesystem::recursive_directory_iterator(
           std::string(POSTERN_CORPUS_DIR) + "/" + folder)) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path(), std::ios::binary);
    std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ++r.messages;
    for (const auto& f : run(set, raw))
      if (f.symbol.starts_with("LURE_") || f.symbol.starts_with("ATTACHMENT_")) ++r.hits[f.symbol];
  }
  return r;
}

std::shared_ptr<const content::RuleSet> shipped_rules() {
  auto p =
      policy::load_policy({std::string(POSTERN_SOURCE_DIR) + "/policies"}, scan::policy_sections());
  if (!p) FAIL(policy::to_string(p.error()));
  auto set = content::RuleSet::build(p->sections.section<content::RulesPolicy>("rules"));
  if (!set) FAIL(set.error().to_string());
  return *set;
}

const std::vector<std::string> kHam = {"ham/spamassassin-easy", "ham/spamassassin-hard", "ham/usrp",
                                       "ham/foff"};
const std::vector<std::string> kBad = {"spam/spamassassin", "spam/industrypack", "spam/foff",
                                       "phish/nazario"};

}  // namespace

TEST_CASE("no shipped content rule fires on more than 0.5 % (or one message) of any ham folder",
          "[rules][corpus][all-mail]") {
  auto set = shipped_rules();
  for (const auto& folder : kHam) {
    Rates r = rates(set, folder);
    REQUIRE(r.messages > 100);
    for (const auto& [symbol, n] : r.hits) {
      CAPTURE(folder, symbol, n, r.messages);
      CHECK((n <= 1 || n * 1000 <= r.messages * 5));
    }
  }
}

// The table of the README's measurement: `unit_content "[.rules-table]"`.
TEST_CASE("shipped content rules: hit rates per corpus folder", "[.rules-table]") {
  auto set = shipped_rules();
  std::vector<std::string> folders = kHam;
  folders.insert(folders.end(), kBad.begin(), kBad.end());
  std::map<std::string, Rates> by_folder;
  for (const auto& f : folders) by_folder[f] = rates(set, f);
  std::string out = fmt::format("{:<28}", "rule");
  for (const auto& f : folders) out += fmt::format(" {:>10}", f.substr(f.find('/') + 1, 10));
  out += "\n";
  for (const auto& [symbol, n] : set->hit_counts()) {
    (void)n;
    out += fmt::format("{:<28}", symbol);
    for (const auto& f : folders) {
      Rates& r = by_folder[f];
      out += fmt::format(" {:>9.2f}%", 100.0 * static_cast<double>(r.hits[symbol]) /
                                           static_cast<double>(r.messages));
    }
    out += "\n";
  }
  out += fmt::format("{:<28}", "messages");
  for (const auto& f : folders) out += fmt::format(" {:>10}", by_folder[f].messages);
  fmt::print("{}\n", out);
  CHECK(set->size() > 0);
}
