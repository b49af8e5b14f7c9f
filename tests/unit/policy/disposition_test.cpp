// Tests for policy::decide and reply_for: findings to one verdict.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "policy/policy.hpp"
#include "support/temp_dir.hpp"

using postern::core::Action;
using postern::core::Direction;
using postern::core::Finding;
using postern::policy::When;

namespace {

const postern::policy::Policy& test_policy() {
  static const postern::policy::Policy p = [] {
    postern::test::TempDir d;
    d.write("p/00.toml", R"([inbound]
tag = 5
quarantine = 10
reject = 15
[inbound.rules]
VIRUS = { action = "reject", text = "Virus found" }
SOFT = "quarantine"
TAGME = "tag"
SLOW = { action = "tempfail", text = "Try later, friend" }
DROP = "discard"
BARE_REJECT = "reject"
[outbound]
tag = 8
quarantine = 12
reject = "off"
[outbound.rules]
DLP_CARD = { action = "quarantine", text = "ignored for quarantine" }
[replies]
reject = { code = "554", xcode = "5.7.0", text = "Go away" }
)");
    auto loaded = postern::policy::load_policy({d.str() + "/p"});
    REQUIRE(loaded);
    return *loaded;
  }();
  return p;
}

}  // namespace

TEST_CASE("thresholds and hard rules turn findings into one verdict", "[disposition]") {
  struct Row {
    std::string name;
    Direction dir;
    std::vector<Finding> findings;
    When when;
    Action action;
    double score;
    std::string code, xcode, text;
    std::string reason_starts;
  };
  const auto In = Direction::Inbound;
  const auto Out = Direction::Outbound;
  const auto Eom = When::EndOfMessage;
  const auto Rcpt = When::BeforeData;
  const std::vector<Row> rows = {
      {"no findings", In, {}, Eom, Action::Accept, 0, "", "", "", ""},
      {"below tag", In, {{"A", 4.99, ""}}, Eom, Action::Accept, 4.99, "", "", "", ""},
      {"exactly tag",
       In,
       {{"A", 5, ""}},
       Eom,
       Action::Tag,
       5,
       "",
       "",
       "",
       "score 5.00 >= tag threshold 5.00"},
      {"scores add up",
       In,
       {{"A", 3, ""}, {"B", 3, ""}},
       Eom,
       Action::Tag,
       6,
       "",
       "",
       "",
       "score 6.00 >= tag"},
      {"quarantine threshold",
       In,
       {{"A", 10, ""}},
       Eom,
       Action::Quarantine,
       10,
       "",
       "",
       "",
       "score 10.00 >= quarantine"},
      {"reject threshold uses the policy's reply",
       In,
       {{"A", 15, ""}},
       Eom,
       Action::Reject,
       15,
       "554",
       "5.7.0",
       "Go away",
       "score 15.00 >= reject threshold 15.00"},
      {"negative scores pull below thresholds",
       In,
       {{"A", 12, ""}, {"ALLOW", -10, ""}},
       Eom,
       Action::Accept,
       2,
       "",
       "",
       "",
       ""},
      {"a hard rule beats a low score",
       In,
       {{"VIRUS", 0, ""}},
       Eom,
       Action::Reject,
       0,
       "554",
       "5.7.0",
       "Virus found",
       "rule VIRUS = reject"},
      {"a hard rule beats a negative score",
       In,
       {{"VIRUS", 0, ""}, {"ALLOW", -100, ""}},
       Eom,
       Action::Reject,
       -100,
       "554",
       "5.7.0",
       "Virus found",
       "rule VIRUS = reject"},
      {"a rule without text uses the default reply text",
       In,
       {{"BARE_REJECT", 0, ""}},
       Eom,
       Action::Reject,
       0,
       "554",
       "5.7.0",
       "Go away",
       "rule BARE_REJECT = reject"},
      {"a soft rule",
       In,
       {{"SOFT", 1, ""}},
       Eom,
       Action::Quarantine,
       1,
       "",
       "",
       "",
       "rule SOFT = quarantine"},
      {"a higher threshold beats a softer rule, with the default text",
       In,
       {{"SOFT", 0, ""}, {"A", 20, ""}},
       Eom,
       Action::Reject,
       20,
       "554",
       "5.7.0",
       "Go away",
       "score 20.00 >= reject"},
      {"a softer threshold does not weaken a rule",
       In,
       {{"SOFT", 0, ""}, {"A", 6, ""}},
       Eom,
       Action::Quarantine,
       6,
       "",
       "",
       "",
       "rule SOFT = quarantine"},
      {"the strongest of several rules wins",
       In,
       {{"TAGME", 0, ""}, {"VIRUS", 0, ""}, {"SOFT", 0, ""}},
       Eom,
       Action::Reject,
       0,
       "554",
       "5.7.0",
       "Virus found",
       "rule VIRUS"},
      {"tempfail rule: 4xx reply with the rule text",
       In,
       {{"SLOW", 0, ""}},
       Eom,
       Action::Tempfail,
       0,
       "451",
       "4.7.1",
       "Try later, friend",
       "rule SLOW = tempfail"},
      {"discard has no reply",
       In,
       {{"DROP", 0, ""}},
       Eom,
       Action::Discard,
       0,
       "",
       "",
       "",
       "rule DROP = discard"},
      // before data only final rules apply, never thresholds
      {"before data: a final rule applies",
       In,
       {{"VIRUS", 0, ""}},
       Rcpt,
       Action::Reject,
       0,
       "554",
       "5.7.0",
       "Virus found",
       "rule VIRUS"},
      {"before data: tempfail applies",
       In,
       {{"SLOW", 0, ""}},
       Rcpt,
       Action::Tempfail,
       0,
       "451",
       "4.7.1",
       "Try later, friend",
       "rule SLOW"},
      {"before data: discard applies",
       In,
       {{"DROP", 0, ""}},
       Rcpt,
       Action::Discard,
       0,
       "",
       "",
       "",
       "rule DROP"},
      {"before data: a quarantine rule waits",
       In,
       {{"SOFT", 0, ""}},
       Rcpt,
       Action::Accept,
       0,
       "",
       "",
       "",
       ""},
      {"before data: a tag rule waits",
       In,
       {{"TAGME", 0, ""}},
       Rcpt,
       Action::Accept,
       0,
       "",
       "",
       "",
       ""},
      {"before data: scores wait", In, {{"A", 100, ""}}, Rcpt, Action::Accept, 100, "", "", "", ""},
      // per direction
      {"outbound has its own thresholds",
       Out,
       {{"A", 7, ""}},
       Eom,
       Action::Accept,
       7,
       "",
       "",
       "",
       ""},
      {"outbound tag", Out, {{"A", 8, ""}}, Eom, Action::Tag, 8, "", "", "", "score 8.00 >= tag"},
      {"outbound reject is off",
       Out,
       {{"A", 100, ""}},
       Eom,
       Action::Quarantine,
       100,
       "",
       "",
       "",
       "score 100.00 >= quarantine"},
      {"inbound rules do not apply outbound",
       Out,
       {{"VIRUS", 0, ""}},
       Eom,
       Action::Accept,
       0,
       "",
       "",
       "",
       ""},
      {"outbound rules do not apply inbound",
       In,
       {{"DLP_CARD", 0, ""}},
       Eom,
       Action::Accept,
       0,
       "",
       "",
       "",
       ""},
      {"outbound rule",
       Out,
       {{"DLP_CARD", 0, ""}},
       Eom,
       Action::Quarantine,
       0,
       "",
       "",
       "",
       "rule DLP_CARD"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.name);
    auto v = postern::policy::decide(test_policy(), r.dir, r.findings, r.when);
    CHECK(v.action == r.action);
    CHECK(v.score == Approx(r.score));
    CHECK(v.reply.code == r.code);
    CHECK(v.reply.xcode == r.xcode);
    CHECK(v.reply.text == r.text);
    CHECK(v.reason.rfind(r.reason_starts, 0) == 0);
    if (r.reason_starts.empty()) CHECK(v.reason.empty());
  }
}

TEST_CASE("reply_for gives the policy's reply for reject and tempfail only", "[disposition]") {
  const auto& p = test_policy();
  struct Row {
    Action action;
    std::string text;
    std::string code, xcode, want_text;
  };
  const std::vector<Row> rows = {
      {Action::Reject, "", "554", "5.7.0", "Go away"},
      {Action::Reject, "Custom", "554", "5.7.0", "Custom"},
      {Action::Tempfail, "", "451", "4.7.1", "Message deferred by policy, try again later"},
      {Action::Discard, "x", "", "", ""},
      {Action::Quarantine, "x", "", "", ""},
      {Action::Accept, "", "", "", ""},
  };
  for (const auto& r : rows) {
    auto reply = postern::policy::reply_for(p, r.action, r.text);
    CHECK(reply.code == r.code);
    CHECK(reply.xcode == r.xcode);
    CHECK(reply.text == r.want_text);
    CHECK(reply.empty() == r.code.empty());
  }
}
