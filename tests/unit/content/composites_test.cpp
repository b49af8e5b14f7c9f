// Tests for content/composites.hpp: the expression language, the [composites]
// reader's errors and the composites stage over a transaction's findings.
#include "content/composites.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "scan/registry.hpp"
#include "support/expect_error.hpp"

using namespace postern;

namespace {

postern::expected<policy::Policy, policy::Errors> parse_policy_text(const std::string& text) {
  return policy::parse_policy(text, "p.toml", scan::policy_sections());
}

std::set<std::string, std::less<>> present(const std::string& letters) {
  std::set<std::string, std::less<>> s;
  for (char c : letters) s.insert(std::string(1, c));
  return s;
}

// Findings after running the composites of `text` over findings of `symbols`.
std::vector<std::string> run_composites(const std::string& text,
                                        const std::vector<std::string>& symbols) {
  auto p = parse_policy_text(text);
  if (!p) FAIL(policy::to_string(p.error()));
  auto set =
      content::CompositeSet::build(p->sections.section<content::CompositesPolicy>("composites"));
  if (!set) FAIL(set.error().to_string());
  core::ConnectionInfo conn;
  core::Transaction tx(conn, core::Direction::Inbound, core::Limits{}, nullptr, "id");
  for (const auto& s : symbols) tx.add_finding(s, 1, "");
  REQUIRE(content::CompositesStage(*set).on_message(tx).kind == core::Step::Kind::Continue);
  std::vector<std::string> out;
  for (size_t i = symbols.size(); i < tx.findings().size(); ++i)
    out.push_back(tx.findings()[i].symbol);
  return out;
}

std::string composite(const std::string& symbol, const std::string& expr) {
  return "[composites." + symbol + "]\nexpression = \"" + expr +
         "\"\nscore = 2\ndescription = \"d\"\n";
}

}  // namespace

TEST_CASE("composite expressions: truth table and precedence", "[composites]") {
  struct Row {
    std::string expr;
    std::vector<std::string> true_for;  // the sets of A, B, C present where it holds
  };
  const std::vector<Row> rows = {
      {"A", {"A", "AB", "AC", "ABC"}},
      {"!A", {"", "B", "C", "BC"}},
      {"A && B", {"AB", "ABC"}},
      {"A || B", {"A", "B", "AB", "AC", "BC", "ABC"}},
      // && binds tighter than ||.
      {"A || B && C", {"A", "AB", "AC", "ABC", "BC"}},
      {"(A || B) && C", {"AC", "BC", "ABC"}},
      {"A && (B || !C)", {"A", "AB", "ABC"}},
      // ! binds tighter than &&.
      {"!A && B", {"B", "BC"}},
      {"!(A && B)", {"", "A", "B", "C", "AC", "BC"}},
      {"!!A", {"A", "AB", "AC", "ABC"}},
  };
  const std::vector<std::string> all = {"", "A", "B", "C", "AB", "AC", "BC", "ABC"};
  for (const auto& r : rows) {
    CAPTURE(r.expr);
    auto e = content::parse_expression(r.expr);
    REQUIRE(e);
    for (const auto& s : all) {
      CAPTURE(s);
      bool want = std::find(r.true_for.begin(), r.true_for.end(), s) != r.true_for.end();
      CHECK(e->eval(present(s)) == want);
    }
  }
}

TEST_CASE("a bad composite is an error at the bad token", "[composites]") {
  struct Row {
    std::string expr;
    uint32_t column;  // the expression's string starts at column 14 (its quote)
    std::string contains;
  };
  const std::vector<Row> rows = {
      {"SPF_FAIL &&", 26, "got the end"},
      {"SPF_FAIL & DMARC_FAIL", 24, "write &&"},
      {"(SPF_FAIL", 24, "expected ')'"},
      {"SPF_FAIL)", 23, "got ')'"},
      {"SPF_FAIL DMARC_FAIL", 24, "expected '&&'"},
      {"spf_fail", 15, "not a symbol name"},
      {"", 15, "expected a symbol"},
      {"SPF_FAIL || $", 27, "unexpected '$'"},
      {std::string(40, '(') + "SPF_FAIL" + std::string(40, ')'), 47, "nested deeper"},
      // The names are checked against the catalogue and the policy's own symbols.
      {"SPF_FAIL && NO_SUCH_SYMBOL", 27, "unknown symbol NO_SUCH_SYMBOL"},
      {"SELF || SPF_FAIL", 15, "names itself"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.expr);
    auto p = parse_policy_text(composite("SELF", r.expr));
    policy::Errors errs;
    if (!p)
      errs = p.error();
    else
      errs = scan::check_symbols(*p);
    test::check_single_error(errs, {"p.toml", 2, r.column, r.contains});
  }
  // A missing key, at the table.
  auto p = parse_policy_text("[composites.X_Y]\nexpression = \"SPF_FAIL\"\nscore = 1\n");
  REQUIRE_FALSE(p);
  test::check_single_error(p.error(), {"p.toml", 1, 1, "missing 'description'"});
  // An expression with escapes: the column of the value.
  auto esc = parse_policy_text(
      "[composites.X_Y]\nexpression = \"\\u0041 &&\"\nscore = 1\ndescription = \"d\"\n");
  REQUIRE_FALSE(esc);
  test::check_single_error(esc.error(), {"p.toml", 2, 14, "got the end"});
}

TEST_CASE("composites may name rules, policy symbols and other composites", "[composites]") {
  std::string text =
      "[rules.LURE_X]\nfield = \"subject\"\npattern = \"x\"\nscore = 1\n"
      "description = \"d\"\n" +
      composite("LURE_AND_SPF", "LURE_X && SPF_FAIL") +
      composite("ALL_THREE", "LURE_AND_SPF && DMARC_POLICY_REJECT");
  auto p = parse_policy_text(text);
  REQUIRE(p);
  CHECK(scan::check_symbols(*p).empty());
  // Composites of composites are evaluated in order of reference, whatever their names.
  CHECK(run_composites(text, {"LURE_X", "SPF_FAIL", "DMARC_POLICY_REJECT"}) ==
        std::vector<std::string>{"LURE_AND_SPF", "ALL_THREE"});
  CHECK(run_composites(text, {"LURE_X", "DMARC_POLICY_REJECT"}).empty());
  // A cycle is an error when the set is built.
  auto cyc =
      parse_policy_text(composite("CYC_A", "CYC_B || SPF_FAIL") + composite("CYC_B", "CYC_A"));
  REQUIRE(cyc);
  auto set =
      content::CompositeSet::build(cyc->sections.section<content::CompositesPolicy>("composites"));
  REQUIRE_FALSE(set);
  CHECK(set.error().message.find("cycle") != std::string::npos);
}

TEST_CASE("a composite adds its finding, keeps its parts and says what held", "[composites]") {
  auto p = parse_policy_text(
      composite("PHISH_COMBO", "SPF_FAIL && (DMARC_POLICY_REJECT || !DKIM_PASS)"));
  REQUIRE(p);
  auto set =
      content::CompositeSet::build(p->sections.section<content::CompositesPolicy>("composites"));
  REQUIRE(set);
  core::ConnectionInfo conn;
  core::Transaction tx(conn, core::Direction::Inbound, core::Limits{}, nullptr, "id");
  tx.add_finding("SPF_FAIL", 1, "");
  REQUIRE(content::CompositesStage(*set).on_message(tx).kind == core::Step::Kind::Continue);
  REQUIRE(tx.findings().size() == 2);
  CHECK(tx.findings()[0].symbol == "SPF_FAIL");  // the part stays
  CHECK(tx.findings()[1].symbol == "PHISH_COMBO");
  CHECK(tx.findings()[1].score == 2);
  CHECK(tx.findings()[1].detail ==
        "d (SPF_FAIL && (DMARC_POLICY_REJECT || !DKIM_PASS) holds; present: SPF_FAIL)");
}

TEST_CASE("a recipient's own findings count for that recipient only", "[composites]") {
  auto p = parse_policy_text(composite("LISTED_AND_SPF", "SPF_FAIL && RCPT_LISTED") +
                             composite("NOT_LISTED", "SPF_FAIL && !RCPT_LISTED") +
                             composite("ZZ_NOT_LISTED_TOO", "NOT_LISTED"));
  REQUIRE(p);
  auto set =
      content::CompositeSet::build(p->sections.section<content::CompositesPolicy>("composites"));
  REQUIRE(set);
  core::ConnectionInfo conn;
  core::Transaction tx(conn, core::Direction::Inbound, core::Limits{}, nullptr, "id");
  tx.envelope().recipients = {"a@example.org", "b@example.org"};
  tx.add_finding("SPF_FAIL", 1, "");
  tx.begin_recipient("b@example.org");
  tx.add_finding("RCPT_LISTED", 1, "");
  tx.end_recipient();
  REQUIRE(content::CompositesStage(*set).on_message(tx).kind == core::Step::Kind::Continue);
  // b's own finding makes LISTED_AND_SPF hold for b alone, and NOT_LISTED for a alone;
  // a composite of a composite follows it to a.
  std::vector<std::pair<std::string, std::string>> added;
  for (size_t i = 2; i < tx.findings().size(); ++i)
    added.emplace_back(tx.findings()[i].symbol, tx.findings()[i].recipient);
  CHECK(added ==
        std::vector<std::pair<std::string, std::string>>{{"LISTED_AND_SPF", "b@example.org"},
                                                         {"NOT_LISTED", "a@example.org"},
                                                         {"ZZ_NOT_LISTED_TOO", "a@example.org"}});
  CHECK(tx.current_recipient().empty());
}
