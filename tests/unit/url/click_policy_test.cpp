// The [click] policy section and the click-rewrite modifier: whose mail is rewritten
// (inbound, the listed groups, verdicts that deliver or hold it), unknown groups refused
// at their position, and the rewritten body's links verifying to the originals.
#include <catch2/catch.hpp>

#include <string>

#include "core/transaction.hpp"
#include "policy/policy.hpp"
#include "scan/registry.hpp"
#include "telemetry/event.hpp"
#include "url/click.hpp"
#include "url/rewrite.hpp"

using namespace postern;

namespace {

constexpr const char* kPolicy = R"(
[[group]]
name = "exec"
recipients = ["ceo@example.com"]

[click]
rewrite = true
groups = ["exec"]
internal_domains = ["Example.COM"]
version = 3
)";

const char* kClickMessage =
    "From: a@outside.test\r\nTo: ceo@example.com\r\nSubject: s\r\nMIME-Version: 1.0\r\n"
    "Content-Type: text/html; charset=utf-8\r\n\r\n"
    "<a href=\"https://out.example.net/x\">x</a> <a href=\"https://www.example.com/\">in</a>\r\n";

struct ClickRun {
  core::Outcome out;
};

ClickRun click_run(const policy::Policy& p, std::shared_ptr<const url::KeyRing> keys,
                   core::Direction dir, const std::string& rcpt, core::Action action) {
  url::ClickRewriteModifier mod(url::click_policy(p), "click.example.com", keys, p);
  core::ConnectionInfo conn;
  core::Transaction tx(
      conn, dir, core::Limits{}, [](std::string_view, double d) { return d; }, "scan-77");
  tx.envelope().recipients.push_back(rcpt);
  core::Message m(kClickMessage);
  tx.set_message(m);
  ClickRun r;
  r.out.verdict.action = action;
  mod.modify(tx, m, r.out);
  return r;
}

}  // namespace

TEST_CASE("click-rewrite rewrites inbound mail of the listed groups only") {
  auto p = policy::parse_policy(kPolicy, "click.toml", scan::policy_sections());
  REQUIRE(p);
  const url::ClickPolicy& cp = url::click_policy(*p);
  CHECK(cp.rewrite);
  CHECK(cp.version == 3);
  CHECK(cp.internal_domains == std::vector<std::string>{"example.com"});
  auto keys = std::make_shared<const url::KeyRing>(
      *url::KeyRing::from({{"k1", std::string(32, 'z'), false}}, "k1"));

  auto yes = click_run(*p, keys, core::Direction::Inbound, "CEO@example.com", core::Action::Tag);
  REQUIRE(yes.out.new_body);
  auto spans = url::html_link_spans(*yes.out.new_body);
  REQUIRE(spans.size() == 2);
  const std::string prefix = "https://click.example.com/v1/";
  REQUIRE(spans[0].value.starts_with(prefix));
  auto t = keys->verify(spans[0].value.substr(prefix.size()), std::chrono::seconds(0));
  REQUIRE(t);
  CHECK(t->url == "https://out.example.net/x");
  CHECK(t->scan_id == "scan-77");
  CHECK(t->policy_version == 3);
  CHECK(t->recipient == url::recipient_hash({"ceo@example.com"}));
  CHECK(spans[1].value == "https://www.example.com/");  // internal
  // The event counts the links rewritten (the internal one is not).
  {
    core::ConnectionInfo conn;
    core::Transaction tx(conn, core::Direction::Inbound, core::Limits{}, nullptr, "scan-77");
    auto e = telemetry::make_event(tx, yes.out, {});
    CHECK(e["postern"]["click"]["rewritten"] == 1);
  }

  // another group, outbound, a rejected message: left alone, and no count in the event
  auto other =
      click_run(*p, keys, core::Direction::Inbound, "bob@example.com", core::Action::Accept);
  CHECK_FALSE(other.out.new_body);
  CHECK(other.out.event_counts.empty());
  CHECK_FALSE(
      click_run(*p, keys, core::Direction::Outbound, "ceo@example.com", core::Action::Accept)
          .out.new_body);
  CHECK_FALSE(click_run(*p, keys, core::Direction::Inbound, "ceo@example.com", core::Action::Reject)
                  .out.new_body);
  CHECK(click_run(*p, keys, core::Direction::Inbound, "ceo@example.com", core::Action::Quarantine)
            .out.new_body);
}

TEST_CASE("click.rewritten is 0 when rewriting was due but the message has no link to rewrite") {
  auto p = policy::parse_policy(kPolicy, "click.toml", scan::policy_sections());
  REQUIRE(p);
  auto keys = std::make_shared<const url::KeyRing>(
      *url::KeyRing::from({{"k1", std::string(32, 'z'), false}}, "k1"));
  url::ClickRewriteModifier mod(url::click_policy(*p), "click.example.com", keys, *p);
  core::ConnectionInfo conn;
  core::Transaction tx(conn, core::Direction::Inbound, core::Limits{}, nullptr, "scan-78");
  tx.envelope().recipients.push_back("ceo@example.com");
  core::Message m(
      "From: a@outside.test\r\nTo: ceo@example.com\r\nSubject: s\r\n"
      "Content-Type: text/html\r\n\r\n<p>no links</p>\r\n");
  tx.set_message(m);
  core::Outcome out;
  mod.modify(tx, m, out);
  CHECK_FALSE(out.new_body);
  CHECK(telemetry::make_event(tx, out, {})["postern"]["click"]["rewritten"] == 0);
}

TEST_CASE("[click] refuses unknown groups and bad values at their position") {
  auto p = policy::parse_policy("[click]\ngroups = [\"default\", \"nobody\"]\n", "c.toml",
                                scan::policy_sections());
  REQUIRE(p);
  std::vector<policy::Error> errs;
  url::check_click_policy(*p, errs);
  REQUIRE(errs.size() == 1);
  CHECK(errs[0].line == 2);
  CHECK(errs[0].column == 22);
  CHECK(errs[0].message.find("nobody") != std::string::npos);
  auto bad =
      policy::parse_policy("[click]\non_listed = \"maybe\"\n", "c.toml", scan::policy_sections());
  REQUIRE_FALSE(bad);
  CHECK(bad.error()[0].line == 2);
  CHECK(bad.error()[0].message.find("warn") != std::string::npos);
}
