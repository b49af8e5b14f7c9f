// The DLP actions require_tls and notify: the route header on the message that
// leaves (never a sender's own), and the notification to the sender through a real
// command, with masked values only.
#include <catch2/catch.hpp>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "dlp/notify.hpp"
#include "policy/config.hpp"
#include "policy/policy.hpp"
#include "scan/registry.hpp"
#include "scan/session.hpp"
#include "scan/snapshot.hpp"
#include "support/files.hpp"
#include "support/temp_dir.hpp"

using namespace postern;

namespace {

struct ActionRun {
  core::Outcome out;
  nlohmann::json event;
};

// One outbound message (an authenticated client) from alice with `body`, and `extra` headers.
ActionRun send_outbound(const std::string& policy_text, const std::string& body,
                        const std::vector<std::pair<std::string, std::string>>& extra = {}) {
  auto p = policy::parse_policy(policy_text, "dlp.toml", scan::policy_sections());
  if (!p) FAIL(policy::to_string(p.error()));
  auto snap = scan::make_snapshot(policy::Config{}, std::move(*p));
  std::vector<nlohmann::json> events;
  ActionRun r;
  {
    scan::Session s([&] { return snap; }, [&](const nlohmann::json& e) { events.push_back(e); });
    s.connection().client_address = "203.0.113.5";
    s.connection().sasl_user = "alice@example.com";
    s.connect();
    s.mail_from("<alice@example.com>");
    s.rcpt("<bob@partner.example>");
    s.header("From", "alice@example.com");
    s.header("To", "bob@partner.example");
    s.header("Subject", "the numbers\r\n\tyou asked for");
    for (const auto& [n, v] : extra) s.header(n, v);
    s.header("Content-Type", "text/plain");
    s.body(body);
    r.out = s.end_of_message("Q7");
  }
  REQUIRE(events.size() == 1);
  r.event = events[0];
  return r;
}

const std::string kCardsBody = "card 4241 9602 0928 2256 and card 5206932327216243\r\n";

std::vector<std::string> added(const core::Outcome& out, std::string_view name) {
  std::vector<std::string> v;
  for (const auto& a : out.added)
    if (a.name == name) v.push_back(a.value);
  return v;
}

bool removes(const core::Outcome& out, std::string_view name) {
  for (const auto& c : out.changed)
    if (c.name == name && !c.value) return true;
  return false;
}

}  // namespace

TEST_CASE("require_tls delivers with X-Postern-Route: tls-required, a sender's own is removed",
          "[dlp][actions]") {
  const std::string rule = "[dlp.rules.cards]\ndetectors = [\"card\"]\naction = \"require_tls\"\n";
  auto hit = send_outbound(rule, kCardsBody);
  CHECK(hit.out.verdict.action == core::Action::Accept);
  CHECK(added(hit.out, "X-Postern-Route") == std::vector<std::string>{"tls-required"});
  // No match: no route.
  auto miss = send_outbound(rule, "nothing here\r\n");
  CHECK(added(miss.out, "X-Postern-Route").empty());
  // A sender's own route header is removed, whatever it says, and never added back.
  auto forged = send_outbound(rule, "nothing here\r\n", {{"X-Postern-Route", "tls-required"}});
  CHECK(removes(forged.out, "X-Postern-Route"));
  CHECK(added(forged.out, "X-Postern-Route").empty());
  auto both = send_outbound(rule, kCardsBody, {{"x-postern-route", "none"}});
  CHECK(removes(both.out, "x-postern-route"));
  CHECK(added(both.out, "X-Postern-Route").size() == 1);
  // require_tls is no hard rule: a later [outbound.rules] still may set one.
  auto p = policy::parse_policy(rule, "dlp.toml", scan::policy_sections());
  REQUIRE(p);
  CHECK_FALSE(p->outbound.rules.contains("DLP_CARDS"));
}

TEST_CASE("notify sends the sender a notice naming the rule with masked values only",
          "[dlp][actions]") {
  test::TempDir d;
  // A real command in place of sendmail: it records its arguments and its input.
  const std::string script = d.write("sendmail.sh",
                                     "#!/bin/sh\nprintf '%s\\n' \"$@\" > \"$0.args\"\n"
                                     "cat > \"$0.mail\"\n");
  std::filesystem::permissions(script, std::filesystem::perms::owner_all);
  const std::string rule = "[dlp]\nnotify_from = \"dlp@gw.example\"\nnotify_command = [\"" +
                           script +
                           "\"]\n[dlp.rules.cards]\ndetectors = [\"card\"]\naction = \"notify\"\n";
  auto hit = send_outbound(rule, kCardsBody);
  CHECK(hit.out.verdict.action == core::Action::Accept);
  REQUIRE(std::filesystem::exists(script + ".mail"));
  const std::string mail = test::slurp(script + ".mail");
  CHECK(test::slurp(script + ".args") == "-f\n<>\n--\nalice@example.com\n");
  CHECK_THAT(mail, Catch::Contains("From: dlp@gw.example\r\nTo: alice@example.com\r\n"));
  CHECK_THAT(mail, Catch::Contains("Subject: Data protection notice: the numbers you asked for"));
  CHECK_THAT(mail, Catch::Contains("- cards (DLP_CARDS): 2 match(es): **** **** **** 2256"));
  CHECK_THAT(mail, Catch::Contains("It was delivered."));
  CHECK_THAT(mail, Catch::Contains("(queue id Q7)"));
  CHECK(mail.find("4241") == std::string::npos);
  CHECK(mail.find("5206") == std::string::npos);
  // notify = true on a quarantine rule: held, and the notice says so.
  std::filesystem::remove(script + ".mail");
  const std::string held = "[dlp]\nnotify_command = [\"" + script +
                           "\"]\n[dlp.rules.cards]\ndetectors = [\"card\"]\n"
                           "action = \"quarantine\"\nnotify = true\n";
  auto q = send_outbound(held, kCardsBody);
  CHECK(q.out.verdict.action == core::Action::Quarantine);
  CHECK_THAT(test::slurp(script + ".mail"), Catch::Contains("It was held for review"));
  // No hit: no notice.
  std::filesystem::remove(script + ".mail");
  send_outbound(rule, "nothing here\r\n");
  CHECK_FALSE(std::filesystem::exists(script + ".mail"));
  // A command that fails does not hold the mail back.
  auto failing = send_outbound(
      "[dlp]\nnotify_command = [\"/bin/false\"]\n[dlp.rules.cards]\ndetectors = [\"card\"]\n"
      "action = \"notify\"\n",
      kCardsBody);
  CHECK(failing.out.verdict.action == core::Action::Accept);
}

TEST_CASE("[dlp] notify settings are checked at file:line:column", "[dlp][actions]") {
  struct Row {
    std::string text, want;
  };
  const Row rows[] = {
      {"[dlp]\nnotify_command = [\"sendmail\"]\n", "dlp.toml:2:18: 'notify_command'"},
      {"[dlp]\nnotify_from = \"a b\"\n", "dlp.toml:2:15: 'notify_from'"},
      {"[dlp.rules.x]\ndetectors = [\"card\"]\naction = \"encrypt_maybe\"\n",
       "\"require_tls\" or \"notify\""},
  };
  for (const auto& row : rows) {
    INFO(row.text);
    auto p = policy::parse_policy(row.text, "dlp.toml", scan::policy_sections());
    REQUIRE_FALSE(p);
    CHECK_THAT(policy::to_string(p.error()), Catch::Contains(row.want));
  }
}
