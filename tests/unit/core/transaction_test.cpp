// Tests for core/transaction.hpp and core/action.hpp: findings, scores, actions.
#include "core/transaction.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "core/action.hpp"

using namespace postern::core;

TEST_CASE("findings beyond the limit are dropped with one POSTERN_FINDINGS_LIMIT",
          "[transaction]") {
  struct Row {
    size_t limit;
    size_t added;
    size_t kept;
    bool capped;
  };
  const std::vector<Row> rows = {
      {3, 2, 2, false},  {3, 3, 3, false},       {3, 4, 4, true},
      {3, 100, 4, true}, {500, 1000, 501, true},
  };
  for (const auto& r : rows) {
    CAPTURE(r.limit, r.added);
    ConnectionInfo conn;
    Limits lim;
    lim.findings = r.limit;
    Transaction tx(conn, Direction::Inbound, lim, nullptr, "id");
    for (size_t i = 0; i < r.added; ++i) tx.add_finding("F" + std::to_string(i), 1, "");
    CHECK(tx.findings().size() == r.kept);
    auto n = std::count_if(tx.findings().begin(), tx.findings().end(),
                           [](const Finding& f) { return f.symbol == "POSTERN_FINDINGS_LIMIT"; });
    CHECK(n == (r.capped ? 1 : 0));
    CHECK(tx.has_finding("POSTERN_FINDINGS_LIMIT") == r.capped);
    if (r.capped) {
      CHECK(tx.findings().back().symbol == "POSTERN_FINDINGS_LIMIT");
      CHECK(tx.findings().back().detail.find(std::to_string(r.limit)) != std::string::npos);
    }
    CHECK(tx.has_finding("F0"));
    CHECK_FALSE(tx.has_finding("F" + std::to_string(r.limit)));
  }
}

TEST_CASE("findings get the policy's effective score and the transaction score is their sum",
          "[transaction]") {
  ConnectionInfo conn;
  ScoreFn score = [](std::string_view sym, double def) { return sym == "OVERRIDDEN" ? 7.5 : def; };
  Transaction tx(conn, Direction::Outbound, Limits{}, score, "scan1");
  tx.add_finding("OVERRIDDEN", 1, "a");
  tx.add_finding("DEFAULT", 2, "b");
  tx.add_finding("NEGATIVE", -3, "c");
  tx.adopt(Finding{"ADOPTED", 0.25, "from the connection"});
  REQUIRE(tx.findings().size() == 4);
  CHECK(tx.findings()[0] == Finding{"OVERRIDDEN", 7.5, "a"});
  CHECK(tx.findings()[1] == Finding{"DEFAULT", 2, "b"});
  CHECK(tx.findings()[3] == Finding{"ADOPTED", 0.25, "from the connection"});
  CHECK(tx.score() == Approx(6.75));
  CHECK(tx.direction() == Direction::Outbound);
  CHECK(tx.scan_id() == "scan1");
  CHECK(tx.message() == nullptr);
  tx.set_message(Message("Subject: x\r\n\r\n"));
  REQUIRE(tx.message() != nullptr);
  CHECK(tx.message()->count("subject") == 1);
}

TEST_CASE("actions have admin-facing names and a severity order", "[action]") {
  const std::vector<std::pair<Action, std::string>> rows = {
      {Action::Accept, "accept"},         {Action::Tag, "tag"},
      {Action::Quarantine, "quarantine"}, {Action::Tempfail, "tempfail"},
      {Action::Discard, "discard"},       {Action::Reject, "reject"},
  };
  for (size_t i = 0; i < rows.size(); ++i) {
    CHECK(to_string(rows[i].first) == rows[i].second);
    CHECK(parse_action(rows[i].second) == rows[i].first);
    CHECK(severity(rows[i].first) == static_cast<int>(i));
  }
  CHECK_FALSE(parse_action("Reject"));
  CHECK_FALSE(parse_action("bounce"));
  CHECK_FALSE(parse_action(""));
  CHECK(most_severe(Action::Tag, Action::Reject) == Action::Reject);
  CHECK(most_severe(Action::Discard, Action::Tempfail) == Action::Discard);
  CHECK(most_severe(Action::Accept, Action::Accept) == Action::Accept);
  CHECK(is_final(Action::Reject));
  CHECK(is_final(Action::Tempfail));
  CHECK(is_final(Action::Discard));
  CHECK_FALSE(is_final(Action::Quarantine));
  CHECK_FALSE(is_final(Action::Tag));
  CHECK_FALSE(is_final(Action::Accept));
}

TEST_CASE("findings about one recipient are seen only with that recipient", "[transaction]") {
  ConnectionInfo conn;
  Transaction tx(conn, Direction::Inbound, Limits{}, nullptr, "id");
  tx.add_finding("T", 1, "the transaction");
  tx.begin_recipient("a@x.test");
  tx.add_finding("A", 2, "about a");
  CHECK(tx.has_finding("A"));
  CHECK(tx.has_finding("T"));
  tx.end_recipient();
  tx.begin_recipient("b@x.test");
  CHECK_FALSE(tx.has_finding("A"));  // another recipient's
  tx.add_finding("A", 3, "about b");
  tx.end_recipient();
  CHECK_FALSE(tx.has_finding("A"));  // no scope: the transaction's findings only
  struct Row {
    std::string rcpt;
    std::vector<std::string> details;
    bool own;
  };
  const std::vector<Row> rows = {
      {"", {"the transaction"}, false},
      {"a@x.test", {"the transaction", "about a"}, true},
      {"b@x.test", {"the transaction", "about b"}, true},
      {"c@x.test", {"the transaction"}, false},
  };
  for (const auto& r : rows) {
    CAPTURE(r.rcpt);
    std::vector<std::string> got;
    for (const auto& f : tx.findings_for(r.rcpt)) got.push_back(f.detail);
    CHECK(got == r.details);
    CHECK(tx.has_recipient_findings(r.rcpt) == r.own);
  }
  CHECK(tx.findings().size() == 3);
  CHECK(tx.findings()[1].recipient == "a@x.test");
}

TEST_CASE("each recipient's findings are bounded on their own", "[transaction]") {
  ConnectionInfo conn;
  Limits lim;
  lim.findings = 3;
  Transaction tx(conn, Direction::Inbound, lim, nullptr, "id");
  for (int i = 0; i < 10; ++i) tx.add_finding("T", 0, "");  // the transaction's are capped
  for (int r = 0; r < 5; ++r) {  // many recipients' findings do not crowd out the last one's
    tx.begin_recipient("r" + std::to_string(r) + "@x.test");
    for (int i = 0; i < 5; ++i) tx.add_finding("R" + std::to_string(i), 0, "");
    tx.end_recipient();
  }
  auto last = tx.findings_for("r4@x.test");
  std::vector<std::string> got;
  for (const auto& f : last) got.push_back(f.symbol);
  CHECK(got == std::vector<std::string>{"T", "T", "T", "POSTERN_FINDINGS_LIMIT", "R0", "R1", "R2",
                                        "POSTERN_FINDINGS_LIMIT"});
  CHECK(tx.findings().size() == 4 + 5 * 4);
}
