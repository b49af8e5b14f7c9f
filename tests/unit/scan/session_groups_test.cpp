// Tests for scan::Session with recipients that differ: findings about one
// recipient, policy groups ([[group]]), the 452 4.5.3 deferral, the sender's
// group for outbound mail, and the per-recipient results in outcome and event.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "scan/session.hpp"
#include "scan/snapshot.hpp"
#include "scan/verdict_headers.hpp"
#include "support/temp_dir.hpp"

using namespace postern;
using core::Action;
using nlohmann::json;

namespace {

// The shipped policies plus a recipient block list, a sender that scores 6 (the
// default group tags it) and groups: vip (stricter: rejects at 5, its own prefix,
// no quarantine) and sales (outbound, by sender).
constexpr const char* kPolicy = R"(
[lists.rcpt_block]
match = "recipient"
symbol = "LIST_RCPT_BLOCK"
entries = ["alice@example.com"]

[lists.rcpt_watch]
match = "recipient"
symbol = "LIST_RCPT_WATCH"
score = 12.0
entries = ["watched@example.com"]

[lists.sender_grey]
match = "sender"
symbol = "LIST_SENDER_GREY"
score = 6.0
entries = ["grey.test"]

[lists.sender_quar]
match = "sender"
symbol = "LIST_SENDER_QUAR"
entries = ["quar.test"]

[lists.vips]
match = "recipient"
symbol = "LIST_VIP"
entries = ["boss@example.com"]

[inbound.rules]
LIST_RCPT_BLOCK = { action = "reject", text = "Recipient blocked by local policy" }
LIST_SENDER_QUAR = "quarantine"

[[group]]
name = "vip"
recipients = ["@vip.example.com"]
lists = ["vips"]
subject_prefix = "[VIP-SPAM]"
quarantine = false
[group.inbound]
tag = 2.0
quarantine = 4.0
reject = 5.0

[[group]]
name = "sales"
recipients = ["@sales.example.com"]
[group.outbound]
tag = 1.0
)";

scan::SnapshotPtr snapshot() {
  test::TempDir d;
  d.write("etc/50-test.toml", kPolicy);
  auto pol = policy::load_policy({POSTERN_SOURCE_DIR "/policies", d.str() + "/etc"});
  INFO((pol ? std::string() : policy::to_string(pol.error())));
  REQUIRE(pol);
  return scan::make_snapshot(policy::Config{}, *pol);
}

struct Harness {
  scan::SnapshotPtr snap = snapshot();
  std::vector<json> events;
  scan::Session session{[this] { return snap; }, [this](const json& e) { events.push_back(e); }};

  explicit Harness(std::string ip = "203.0.113.5") {
    session.connection().client_address = std::move(ip);
    session.connect();
    session.helo("client.example.net");
  }
  void send_message(const std::string& from) {
    session.header("Date", "Tue, 1 Jul 2003 10:52:37 +0200");
    session.header("From", from);
    session.header("Message-ID", "<1@example.com>");
    session.header("Subject", "hello");
    session.body("hello\r\n");
  }
};

const core::HeaderAddition* added(const core::Outcome& out, std::string_view name) {
  for (const auto& h : out.added)
    if (h.name == name) return &h;
  return nullptr;
}

}  // namespace

TEST_CASE("a recipient list's reject refuses that recipient only; the other gets the message",
          "[session][recipients]") {
  // The order must not matter: a listed recipient first once refused every later one.
  for (bool listed_first : {true, false}) {
    CAPTURE(listed_first);
    Harness h;
    h.session.mail_from("<carol@good.test>");
    std::vector<std::string> order = {"<alice@example.com>", "<bob@example.com>"};
    if (!listed_first) std::swap(order[0], order[1]);
    for (const auto& r : order) {
      auto reply = h.session.rcpt(r);
      if (r == "<alice@example.com>") {
        CHECK(reply.action == Action::Reject);
        CHECK(reply.reply.code == "550");
        CHECK(reply.reply.text == "Recipient blocked by local policy");
      } else {
        CHECK(reply.action == Action::Accept);
      }
    }
    REQUIRE(h.session.transaction());
    CHECK(h.session.transaction()->envelope().recipients ==
          std::vector<std::string>{"bob@example.com"});
    h.send_message("carol@good.test");
    auto out = h.session.end_of_message();
    CHECK(out.verdict.action == Action::Accept);
    // alice's finding is hers: not in bob's message, not in its score
    CHECK(out.verdict.score == 0);
    CHECK(added(out, scan::kFindingsHeader) == nullptr);
    REQUIRE(out.recipients.size() == 2);
    REQUIRE(h.events.size() == 1);
    const json& e = h.events[0];
    CHECK(e["event"]["action"] == "accept");
    const json& rc = e["postern"]["recipients"];
    REQUIRE(rc.size() == 2);
    size_t alice = listed_first ? 0 : 1;
    CHECK(rc[alice]["address"] == "alice@example.com");
    CHECK(rc[alice]["action"] == "reject");
    CHECK(rc[alice]["smtp_reply"]["code"] == "550");
    CHECK(rc[1 - alice]["action"] == "accept");
    CHECK_FALSE(rc[1 - alice].contains("smtp_reply"));
    CHECK(e["postern"]["findings"][0]["recipient"] == "alice@example.com");
  }
}

TEST_CASE("an inbound recipient of another group than the first accepted one is deferred 452 4.5.3",
          "[session][groups]") {
  Harness h;
  h.session.mail_from("<carol@good.test>");
  CHECK(h.session.rcpt("<bob@example.com>").action == Action::Accept);  // fixes "default"
  auto boss = h.session.rcpt("<boss@example.com>");                     // vip, through its list
  CHECK(boss.action == Action::Tempfail);
  CHECK(boss.reply.code == "452");
  CHECK(boss.reply.xcode == "4.5.3");
  CHECK(boss.reply.text.find("its own transaction") != std::string::npos);
  CHECK(h.session.rcpt("<dave@vip.example.com>").action == Action::Tempfail);  // vip by pattern
  CHECK(h.session.rcpt("<erin@example.com>").action == Action::Accept);        // default again
  // a recipient its own group refuses is refused, not deferred
  CHECK(h.session.rcpt("<alice@example.com>").action == Action::Reject);
  h.send_message("carol@good.test");
  auto out = h.session.end_of_message();
  CHECK(out.verdict.action == Action::Accept);
  REQUIRE(h.events.size() == 1);
  const json& e = h.events[0];
  CHECK(e["email"]["to"]["address"] ==
        json::array({"bob@example.com", "erin@example.com", "alice@example.com"}));
  const json& rc = e["postern"]["recipients"];
  REQUIRE(rc.size() == 5);
  CHECK(rc[1] ==
        json({{"address", "boss@example.com"},
              {"group", "vip"},
              {"action", "deferred"},
              {"reason", "recipient of group vip, the transaction's group is default"},
              {"smtp_reply",
               {{"code", "452"}, {"xcode", "4.5.3"}, {"text", scan::kGroupDeferral.text}}}}));
  CHECK(rc[2]["action"] == "deferred");
  CHECK(rc[3]["group"] == "default");
  CHECK(rc[4]["action"] == "reject");

  SECTION("the deferred recipient's own transaction is decided by its group") {
    h.session.mail_from("<someone@grey.test>");
    CHECK(h.session.rcpt("<boss@example.com>").action == Action::Accept);  // fixes "vip"
    CHECK(h.session.rcpt("<bob@example.com>").action == Action::Tempfail);
    h.send_message("someone@grey.test");
    auto vip = h.session.end_of_message();
    CHECK(vip.verdict.action == Action::Reject);  // 6 >= vip's reject 5; default would tag
    CHECK(vip.verdict.reason == "score 6.00 >= reject threshold 5.00");
  }
}

TEST_CASE("a recipient refused at RCPT does not fix the group", "[session][groups]") {
  Harness h;
  h.session.mail_from("<carol@good.test>");
  CHECK(h.session.rcpt("<alice@example.com>").action == Action::Reject);
  CHECK(h.session.rcpt("<boss@example.com>").action == Action::Accept);  // the first accepted
  CHECK(h.session.rcpt("<bob@example.com>").action == Action::Tempfail);
}

TEST_CASE("groups set thresholds, tag settings and quarantine over the default",
          "[session][groups]") {
  struct Row {
    std::string name;
    std::string sender, rcpt;
    Action action;
    std::string subject;  // "" = unchanged
  };
  const std::vector<Row> rows = {
      {"default tags a score of 6", "<someone@grey.test>", "<bob@example.com>", Action::Tag,
       "[SPAM] hello"},
      {"vip rejects a score of 6 (reject = 5)", "<someone@grey.test>", "<boss@example.com>",
       Action::Reject, ""},
      {"default quarantines by rule", "<x@quar.test>", "<bob@example.com>", Action::Quarantine, ""},
      {"vip does not quarantine: tagged with its own prefix", "<x@quar.test>",
       "<dave@vip.example.com>", Action::Tag, "[VIP-SPAM] hello"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.name);
    Harness h;
    h.session.mail_from(r.sender);
    CHECK(h.session.rcpt(r.rcpt).action == Action::Accept);
    h.send_message("someone@example.org");
    auto out = h.session.end_of_message();
    CHECK(out.verdict.action == r.action);
    if (r.subject.empty())
      CHECK_FALSE(out.new_subject);
    else
      CHECK(out.new_subject == r.subject);
    CHECK(out.quarantine_reason.empty() == (r.action != Action::Quarantine));
  }
}

TEST_CASE("outbound mail is decided by the sender's group", "[session][groups]") {
  struct Row {
    std::string name;
    std::string sasl_user, sender;
    std::string group;
    Action action;
  };
  // LIST_SENDER_GREY scores 6: below the outbound tag of 8, above sales' 1.
  const std::vector<Row> rows = {
      {"envelope sender in sales", "", "<ann@sales.example.com>", "sales", Action::Accept},
      {"default group", "joe", "<joe@example.com>", "default", Action::Accept},
      {"authenticated address in sales, whatever the envelope says", "ann@sales.example.com",
       "<ann@example.com>", "sales", Action::Accept},
  };
  for (const auto& r : rows) {
    CAPTURE(r.name);
    Harness h("10.9.9.9");
    h.session.connection().sasl_user = r.sasl_user;
    if (r.sasl_user.empty())  // an internal client: 127.0.0.1 is internal in the shipped policy
      h.session.connection().client_address = "127.0.0.1";
    h.session.mail_from(r.sender);
    // recipients of every group belong to the sender's group's transaction
    CHECK(h.session.rcpt("<boss@example.com>").action == Action::Accept);
    CHECK(h.session.rcpt("<x@elsewhere.test>").action == Action::Accept);
    h.send_message("a@grey.test");
    auto out = h.session.end_of_message();
    REQUIRE(h.events.size() == 1);
    CHECK(h.events[0]["email"]["direction"] == "outbound");
    for (const auto& rc : h.events[0]["postern"]["recipients"]) CHECK(rc["group"] == r.group);
    // the header From a@grey.test scores 6: sales tags it (tag = 1), default does not (8)
    CHECK(out.verdict.action == (r.group == "sales" ? Action::Tag : r.action));
  }
}

TEST_CASE("each accepted recipient gets its own result; the most severe decides the message",
          "[session][recipients]") {
  Harness h;
  h.session.mail_from("<carol@good.test>");
  CHECK(h.session.rcpt("<bob@example.com>").action == Action::Accept);
  CHECK(h.session.rcpt("<watched@example.com>").action == Action::Accept);  // +12, no rule
  h.send_message("carol@good.test");
  auto out = h.session.end_of_message();
  REQUIRE(out.recipients.size() == 2);
  CHECK(out.recipients[0].verdict.action == Action::Accept);
  CHECK(out.recipients[1].verdict.action == Action::Quarantine);
  CHECK(out.recipients[1].verdict.score == 12);
  CHECK(out.verdict.action == Action::Quarantine);
  CHECK(out.verdict.reason.find("the result for watched@example.com") != std::string::npos);
  const auto* f = added(out, scan::kFindingsHeader);
  REQUIRE(f);
  CHECK(f->value == "LIST_RCPT_WATCH(12)");
  REQUIRE(h.events.size() == 1);
  CHECK(h.events[0]["postern"]["recipients"][0]["action"] == "accept");
  CHECK(h.events[0]["postern"]["recipients"][1]["action"] == "quarantine");
}

TEST_CASE("pass recipients keep their mail in any group, capped at tag", "[session][groups]") {
  Harness h;
  h.session.mail_from("<someone@grey.test>");
  CHECK(h.session.rcpt("<postmaster@vip.example.com>").action == Action::Accept);  // vip
  CHECK(h.session.rcpt("<bob@example.com>").action == Action::Tempfail);           // default
  h.send_message("someone@grey.test");
  auto out = h.session.end_of_message();
  CHECK(out.verdict.action == Action::Tag);  // vip would reject at 6
  CHECK(out.verdict.reason.find("capped to tag") != std::string::npos);
  CHECK(out.new_subject == "[VIP-SPAM] hello");
}
