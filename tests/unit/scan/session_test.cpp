// Tests for scan::Session end to end: snapshot from a Config and a policy dir,
// events driven as the milter shim drives them, outcome and JSON event checked.
#include "scan/session.hpp"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <optional>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "scan/registry.hpp"
#include "scan/snapshot.hpp"
#include "scan/verdict_headers.hpp"
#include "support/temp_dir.hpp"

using namespace postern;
using nlohmann::json;

namespace {

// The shipped policies, the lists below and `extra` (a file applied after them).
scan::SnapshotPtr test_snapshot(const std::string& extra = "") {
  test::TempDir d;
  if (!extra.empty()) d.write("etc/60-extra.toml", extra);
  d.write("etc/50-test.toml", R"(
[lists.sender_block]
match = "sender"
symbol = "LIST_SENDER_BLOCK"
entries = ["spammer@bad.test"]

[lists.sender_grey]
match = "sender"
symbol = "LIST_SENDER_GREY"
score = 6.0
entries = ["grey.test"]

[lists.sender_quar]
match = "sender"
symbol = "LIST_SENDER_QUAR"
score = 11.0
entries = ["quar.test"]
)");
  auto pol = policy::load_policy({POSTERN_SOURCE_DIR "/policies", d.str() + "/etc"},
                                 postern::scan::policy_sections());
  INFO((pol ? std::string() : policy::to_string(pol.error())));
  REQUIRE(pol);
  policy::Config cfg;
  cfg.authserv_id = "mx.test";
  return scan::make_snapshot(cfg, *pol);
}

// Recipient lists and policy groups over the test policy: a recipient block list, a
// recipient that scores 12, vip (stricter: rejects at 5, its own prefix, no quarantine)
// and sales (outbound, by sender).
constexpr const char* kGroupsPolicy = R"(
[lists.rcpt_block]
match = "recipient"
symbol = "LIST_RCPT_BLOCK"
entries = ["alice@example.com"]

[lists.rcpt_watch]
match = "recipient"
symbol = "LIST_RCPT_WATCH"
score = 12.0
entries = ["watched@example.com"]

[lists.sender_hold]
match = "sender"
symbol = "LIST_SENDER_HOLD"
entries = ["hold.test"]

[lists.vips]
match = "recipient"
symbol = "LIST_VIP"
entries = ["boss@example.com"]

[inbound.rules]
LIST_RCPT_BLOCK = { action = "reject", text = "Recipient blocked by local policy" }
LIST_SENDER_HOLD = "quarantine"

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

scan::SnapshotPtr groups_snapshot() {
  return test_snapshot(kGroupsPolicy);
}

struct Harness {
  scan::SnapshotPtr snap;
  std::vector<json> events;
  scan::Session session{[this] { return snap; }, [this](const json& e) { events.push_back(e); }};

  explicit Harness(std::string ip = "203.0.113.5", scan::SnapshotPtr s = nullptr)
      : snap(s ? std::move(s) : test_snapshot()) {
    session.connection().client_address = std::move(ip);
    session.connection().client_port = 40000;
    session.connection().client_name = "client.example.net";
    session.connect();
    session.helo("client.example.net");
  }

  // Headers of a well-formed message from `from`, plus `extra`.
  void send_message(const std::string& from,
                    const std::vector<std::pair<std::string, std::string>>& extra = {},
                    bool with_subject = true) {
    session.header("Date", "Tue, 1 Jul 2003 10:52:37 +0200");
    session.header("From", from);
    session.header("Message-ID", "<1@example.com>");
    if (with_subject) session.header("Subject", "hello");
    session.header("To", "bob@example.com");
    for (const auto& [n, v] : extra) session.header(n, v);
    session.body("line 1\r\n");
    session.body("line 2\r\n");
  }
};

const core::HeaderAddition* added(const core::Outcome& out, std::string_view name) {
  for (const auto& h : out.added)
    if (h.name == name) return &h;
  return nullptr;
}

}  // namespace

TEST_CASE("a clean message is accepted with X-Postern-Verdict added and one event", "[session]") {
  Harness h;
  h.session.mail_from("<alice@good.test>", {"SIZE=100"});
  auto r = h.session.rcpt("<bob@example.com>");
  CHECK(r.action == core::Action::Accept);
  CHECK(r.reply.empty());
  h.send_message("Alice <alice@good.test>");
  auto out = h.session.end_of_message("QID1");
  CHECK(out.verdict.action == core::Action::Accept);
  CHECK_FALSE(out.before_data);
  CHECK(out.changed.empty());
  CHECK_FALSE(out.new_subject);
  const auto* v = added(out, scan::kVerdictHeader);
  REQUIRE(v);
  CHECK(std::regex_match(v->value, std::regex("accept score=0 id=[0-9a-f]{16}")));
  CHECK(added(out, scan::kFindingsHeader) == nullptr);  // nothing to list
  REQUIRE(h.events.size() == 1);
  CHECK(h.session.transaction() == nullptr);
  CHECK_FALSE(h.session.abort());  // nothing left to log
  CHECK(h.events.size() == 1);
}

TEST_CASE("a forged X-Postern-Verdict is removed before ours is added", "[session]") {
  Harness h;
  h.session.mail_from("<alice@good.test>");
  h.session.rcpt("<bob@example.com>");
  h.send_message("alice@good.test", {{"X-Postern-Verdict", "accept score=-100 id=forged"},
                                     {"x-postern-findings", "NONE(0)"}});
  auto out = h.session.end_of_message();
  REQUIRE(out.changed.size() == 2);
  CHECK(out.changed[0].name == "X-Postern-Verdict");
  CHECK(out.changed[0].index == 1);
  CHECK(out.changed[1].name == "x-postern-findings");
  const auto* v = added(out, scan::kVerdictHeader);
  REQUIRE(v);
  CHECK(v->value.find("forged") == std::string::npos);
  REQUIRE(h.events.size() == 1);
  CHECK(h.events[0]["postern"]["headers_removed"] ==
        json::array({{{"name", "X-Postern-Verdict"}, {"index", 1}},
                     {{"name", "x-postern-findings"}, {"index", 1}}}));
}

TEST_CASE(
    "a blocked sender is refused at RCPT with 550 5.7.1 and the rule text, logged once at abort",
    "[session]") {
  Harness h;
  h.session.mail_from("<spammer@bad.test>");
  auto r = h.session.rcpt("<bob@example.com>");
  CHECK(r.action == core::Action::Reject);
  CHECK(r.reply.code == "550");
  CHECK(r.reply.xcode == "5.7.1");
  CHECK(r.reply.text == "Sender address blocked by local policy");
  auto r2 = h.session.rcpt("<carol@example.com>");
  CHECK(r2.action == core::Action::Reject);
  CHECK(h.events.empty());  // nothing is logged per recipient

  auto logged = h.session.abort();
  REQUIRE(logged);
  CHECK(logged->before_data);
  CHECK(logged->verdict.action == core::Action::Reject);
  REQUIRE(logged->recipients.size() == 2);
  CHECK(logged->recipients[0].at_rcpt);
  CHECK(logged->recipients[1].verdict.action == core::Action::Reject);
  REQUIRE(h.events.size() == 1);
  const json& e = h.events[0];
  CHECK(e["event"]["action"] == "reject");
  CHECK(e["event"]["outcome"] == "failure");
  CHECK(e["email"]["from"]["address"] == "spammer@bad.test");
  CHECK(e["email"]["to"]["address"] == json::array({"bob@example.com", "carol@example.com"}));
  CHECK(e["postern"]["before_data"] == true);
  CHECK(e["postern"]["smtp_reply"] == json({{"code", "550"},
                                            {"xcode", "5.7.1"},
                                            {"text", "Sender address blocked by local policy"}}));
  CHECK(e["postern"]["recipients"].size() == 2);
  CHECK(e["postern"]["recipients"][1] ==
        json({{"address", "carol@example.com"},
              {"group", "default"},
              {"action", "reject"},
              {"reason", "rule LIST_SENDER_BLOCK = reject"},
              {"smtp_reply",
               {{"code", "550"},
                {"xcode", "5.7.1"},
                {"text", "Sender address blocked by local policy"}}}}));

  CHECK_FALSE(h.session.abort());            // logged once, not again
  h.session.mail_from("<alice@good.test>");  // a new transaction does not log the old one again
  CHECK(h.events.size() == 1);
}

TEST_CASE("a new MAIL FROM after refused recipients logs the refused transaction once",
          "[session]") {
  Harness h;
  h.session.mail_from("<spammer@bad.test>");
  h.session.rcpt("<bob@example.com>");
  h.session.mail_from("<alice@good.test>");
  REQUIRE(h.events.size() == 1);
  CHECK(h.events[0]["email"]["from"]["address"] == "spammer@bad.test");
  h.session.rcpt("<bob@example.com>");
  h.send_message("alice@good.test");
  h.session.end_of_message();
  REQUIRE(h.events.size() == 2);
  CHECK(h.events[1]["event"]["action"] == "accept");
}

TEST_CASE("postmaster still gets mail from a blocked sender, capped at tag", "[session]") {
  Harness h;
  h.session.mail_from("<spammer@bad.test>");
  auto pm = h.session.rcpt("<postmaster@example.com>");
  CHECK(pm.action == core::Action::Accept);
  auto bob = h.session.rcpt("<bob@example.com>");
  CHECK(bob.action == core::Action::Reject);
  h.send_message("spammer@bad.test");
  auto out = h.session.end_of_message();
  CHECK(out.verdict.action == core::Action::Tag);
  CHECK(out.verdict.reply.empty());
  CHECK(out.verdict.reason.find("capped to tag") != std::string::npos);
  REQUIRE(out.new_subject);
  CHECK(*out.new_subject == "[SPAM] hello");
  REQUIRE(h.events.size() == 1);
  const json& e = h.events[0];
  CHECK(e["event"]["action"] == "tag");
  CHECK(e["event"]["outcome"] == "success");
  CHECK(e["email"]["to"]["address"] == json::array({"postmaster@example.com", "bob@example.com"}));
  REQUIRE(e["postern"]["recipients"].size() == 2);
  CHECK(e["postern"]["recipients"][0]["action"] == "tag");
  CHECK(e["postern"]["recipients"][1]["action"] == "reject");
}

TEST_CASE("reaching the tag threshold adds the subject prefix and the findings header",
          "[session]") {
  struct Row {
    std::string name;
    bool with_subject;
    std::string old_subject_prefix;
    std::optional<std::string> new_subject;
    bool subject_exists;
  };
  const std::vector<Row> rows = {
      {"subject gets the prefix", true, "", "[SPAM] hello", true},
      {"no subject: the prefix alone", false, "", "[SPAM]", false},
  };
  for (const auto& r : rows) {
    CAPTURE(r.name);
    Harness h;
    h.session.mail_from("<someone@grey.test>");
    h.session.rcpt("<bob@example.com>");
    h.send_message("someone@grey.test", {}, r.with_subject);
    auto out = h.session.end_of_message();
    CHECK(out.verdict.action == core::Action::Tag);
    CHECK(out.verdict.score == 6.0);
    CHECK(out.new_subject == r.new_subject);
    CHECK(out.subject_exists == r.subject_exists);
    const auto* f = added(out, scan::kFindingsHeader);
    REQUIRE(f);
    CHECK(f->value == "LIST_SENDER_GREY(6)");
    const auto* v = added(out, scan::kVerdictHeader);
    REQUIRE(v);
    CHECK(v->value.rfind("tag score=6 id=", 0) == 0);
  }
}

TEST_CASE("a subject that already has the prefix is not prefixed again", "[session]") {
  Harness h;
  h.session.mail_from("<someone@grey.test>");
  h.session.rcpt("<bob@example.com>");
  h.send_message("someone@grey.test", {{"Subject", "[SPAM] already"}}, false);
  auto out = h.session.end_of_message();
  CHECK(out.verdict.action == core::Action::Tag);
  CHECK_FALSE(out.new_subject);
}

TEST_CASE("reaching the quarantine threshold sets the quarantine reason", "[session]") {
  Harness h;
  h.session.mail_from("<someone@quar.test>");
  h.session.rcpt("<bob@example.com>");
  h.send_message("someone@quar.test");
  auto out = h.session.end_of_message();
  CHECK(out.verdict.action == core::Action::Quarantine);
  REQUIRE(h.events.size() == 1);
  std::string id = h.events[0]["postern"]["scan_id"];
  CHECK(out.quarantine_reason == "postern " + id + ": score 11.00 >= quarantine threshold 10.00");
  CHECK(h.events[0]["postern"]["quarantine_reason"] == out.quarantine_reason);
  CHECK(h.events[0]["event"]["outcome"] == "failure");
}

TEST_CASE("the event carries the public keys", "[session][event]") {
  Harness h;
  h.session.mail_from("<alice@good.test>");
  h.session.rcpt("<bob@example.com>");
  h.session.rcpt("<carol@example.com>");
  h.send_message("Alice <alice@good.test>", {{"X-Postern-Verdict", "forged"}});
  auto out = h.session.end_of_message("QID42");
  REQUIRE(h.events.size() == 1);
  const json& e = h.events[0];
  INFO(e.dump(2));
  CHECK(std::regex_match(e["@timestamp"].get<std::string>(),
                         std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")));
  CHECK(e["event"]["kind"] == "event");
  CHECK(e["event"]["category"] == json::array({"email"}));
  CHECK(e["event"]["action"] == "accept");
  CHECK(e["event"]["outcome"] == "success");
  CHECK(e["email"]["from"]["address"] == "alice@good.test");
  CHECK(e["email"]["to"]["address"] == json::array({"bob@example.com", "carol@example.com"}));
  CHECK(e["email"]["direction"] == "inbound");
  CHECK(e["email"]["subject"] == "hello");
  CHECK(e["email"]["message_id"] == "<1@example.com>");
  CHECK(e["email"]["local_id"] == "QID42");
  CHECK(e["source"]["ip"] == "203.0.113.5");
  CHECK(e["source"]["port"] == 40000);
  CHECK(e["source"]["domain"] == "client.example.net");
  const json& p = e["postern"];
  std::string id = p["scan_id"];
  CHECK(std::regex_match(id, std::regex("[0-9a-f]{16}")));
  const auto* v = added(out, scan::kVerdictHeader);
  REQUIRE(v);
  CHECK(v->value == "accept score=0 id=" + id);
  CHECK(p["action"] == "accept");
  CHECK(p["score"] == 0);
  CHECK(p["findings"] == json::array());
  CHECK(p["headers_added"] == json::array({{{"name", "X-Postern-Verdict"}, {"value", v->value}}}));
  CHECK(p["headers_removed"] == json::array({{{"name", "X-Postern-Verdict"}, {"index", 1}}}));
  CHECK_FALSE(p.contains("smtp_reply"));  // only for reject and tempfail
  std::vector<std::string> stages;
  for (const auto& s : p["stages"]) {
    stages.push_back(s["name"]);
    CHECK(s["ms"].is_number());
  }
  // The shipped content rules run; no composite is shipped, so that stage is not built.
  CHECK(stages == std::vector<std::string>{"limits", "lists", "header_sanity", "mime", "attach",
                                           "url", "rules", "heuristics", "bec", "smime-verify"});
  CHECK(p["header_from"] == json::array({"alice@good.test"}));
  CHECK(p["before_data"] == false);
}

TEST_CASE("findings and their scores reach the event", "[session][event]") {
  Harness h;
  h.session.mail_from("<someone@grey.test>");
  h.session.rcpt("<bob@example.com>");
  h.session.header("From", "someone@grey.test");
  h.session.header("To", "bob@example.com");
  h.session.body("no date, no message-id\r\n");
  h.session.end_of_message();
  REQUIRE(h.events.size() == 1);
  const json& p = h.events[0]["postern"];
  std::vector<std::string> symbols;
  for (const auto& f : p["findings"]) symbols.push_back(f["symbol"]);
  CHECK(symbols == std::vector<std::string>{"LIST_SENDER_GREY", "HEADER_MISSING_DATE",
                                            "HEADER_MISSING_MESSAGE_ID"});
  CHECK(p["score"] == 8.0);
  CHECK(p["action"] == "tag");
  CHECK(p["findings"][0]["detail"] ==
        "envelope sender someone@grey.test in list sender_grey (grey.test)");
}

TEST_CASE("an authenticated client is outbound in the outcome and the event", "[session][event]") {
  Harness h;
  h.session.connection().sasl_user = "alice";
  h.session.mail_from("<someone@grey.test>");  // 6 is below the outbound tag threshold of 8
  h.session.rcpt("<bob@example.net>");
  h.send_message("someone@grey.test");
  auto out = h.session.end_of_message();
  CHECK(out.verdict.action == core::Action::Accept);
  REQUIRE(h.events.size() == 1);
  CHECK(h.events[0]["email"]["direction"] == "outbound");
}

TEST_CASE("a blocked client is refused at RCPT by the connect-time list match", "[session]") {
  test::TempDir d;
  d.write("etc/50-block.toml",
          "[lists.client_block]\nmatch = \"client_ip\"\nsymbol = \"LIST_CLIENT_BLOCK\"\nentries = "
          "[\"192.0.2.0/24\"]\n");
  auto pol = policy::load_policy({POSTERN_SOURCE_DIR "/policies", d.str() + "/etc"},
                                 postern::scan::policy_sections());
  REQUIRE(pol);
  auto snap = scan::make_snapshot(policy::Config{}, *pol);
  std::vector<json> events;
  {
    scan::Session s([&] { return snap; }, [&](const json& e) { events.push_back(e); });
    s.connection().client_address = "192.0.2.10";
    s.connect();
    s.mail_from("<anyone@example.org>");
    auto r = s.rcpt("<bob@example.com>");
    CHECK(r.action == core::Action::Reject);
    CHECK(r.reply.text == "Client host blocked by local policy");
    CHECK(s.rcpt("<postmaster@example.com>").action == core::Action::Accept);
  }  // closing the connection without end of message logs the refusal once
  REQUIRE(events.size() == 1);
  CHECK(events[0]["event"]["action"] == "reject");
  CHECK(events[0]["postern"]["findings"][0]["symbol"] == "LIST_CLIENT_BLOCK");
}

TEST_CASE("scan ids are 16 hex digits and unique", "[session]") {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    auto id = scan::new_scan_id();
    CHECK(id.size() == 16);
    seen.insert(id);
  }
  CHECK(seen.size() == 1000);
}

TEST_CASE("a recipient list's reject refuses that recipient only; the other gets the message",
          "[session][recipients]") {
  // The order must not matter: a listed recipient first once refused every later one.
  for (bool listed_first : {true, false}) {
    CAPTURE(listed_first);
    Harness h("203.0.113.5", groups_snapshot());
    h.session.mail_from("<carol@good.test>");
    std::vector<std::string> order = {"<alice@example.com>", "<bob@example.com>"};
    if (!listed_first) std::swap(order[0], order[1]);
    for (const auto& r : order) {
      auto reply = h.session.rcpt(r);
      if (r == "<alice@example.com>") {
        CHECK(reply.action == core::Action::Reject);
        CHECK(reply.reply.code == "550");
        CHECK(reply.reply.text == "Recipient blocked by local policy");
      } else {
        CHECK(reply.action == core::Action::Accept);
      }
    }
    REQUIRE(h.session.transaction());
    CHECK(h.session.transaction()->envelope().recipients ==
          std::vector<std::string>{"bob@example.com"});
    h.send_message("carol@good.test");
    auto out = h.session.end_of_message();
    CHECK(out.verdict.action == core::Action::Accept);
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
  Harness h("203.0.113.5", groups_snapshot());
  h.session.mail_from("<carol@good.test>");
  CHECK(h.session.rcpt("<bob@example.com>").action == core::Action::Accept);  // fixes "default"
  auto boss = h.session.rcpt("<boss@example.com>");  // vip, through its list
  CHECK(boss.action == core::Action::Tempfail);
  CHECK(boss.reply.code == "452");
  CHECK(boss.reply.xcode == "4.5.3");
  CHECK(boss.reply.text.find("its own transaction") != std::string::npos);
  CHECK(h.session.rcpt("<dave@vip.example.com>").action ==
        core::Action::Tempfail);                                               // vip by pattern
  CHECK(h.session.rcpt("<erin@example.com>").action == core::Action::Accept);  // default again
  // a recipient its own group refuses is refused, not deferred
  CHECK(h.session.rcpt("<alice@example.com>").action == core::Action::Reject);
  h.send_message("carol@good.test");
  auto out = h.session.end_of_message();
  CHECK(out.verdict.action == core::Action::Accept);
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
    CHECK(h.session.rcpt("<boss@example.com>").action == core::Action::Accept);  // fixes "vip"
    CHECK(h.session.rcpt("<bob@example.com>").action == core::Action::Tempfail);
    h.send_message("someone@grey.test");
    auto vip = h.session.end_of_message();
    CHECK(vip.verdict.action == core::Action::Reject);  // 6 >= vip's reject 5; default would tag
    CHECK(vip.verdict.reason == "score 6.00 >= reject threshold 5.00");
  }
}

TEST_CASE("a recipient refused at RCPT does not fix the group", "[session][groups]") {
  Harness h("203.0.113.5", groups_snapshot());
  h.session.mail_from("<carol@good.test>");
  CHECK(h.session.rcpt("<alice@example.com>").action == core::Action::Reject);
  CHECK(h.session.rcpt("<boss@example.com>").action == core::Action::Accept);  // the first accepted
  CHECK(h.session.rcpt("<bob@example.com>").action == core::Action::Tempfail);
}

TEST_CASE("groups set thresholds, tag settings and quarantine over the default",
          "[session][groups]") {
  struct Row {
    std::string name;
    std::string sender, rcpt;
    core::Action action;
    std::string subject;  // "" = unchanged
  };
  const std::vector<Row> rows = {
      {"default tags a score of 6", "<someone@grey.test>", "<bob@example.com>", core::Action::Tag,
       "[SPAM] hello"},
      {"vip rejects a score of 6 (reject = 5)", "<someone@grey.test>", "<boss@example.com>",
       core::Action::Reject, ""},
      {"default quarantines by rule", "<x@hold.test>", "<bob@example.com>",
       core::Action::Quarantine, ""},
      {"vip does not quarantine: tagged with its own prefix", "<x@hold.test>",
       "<dave@vip.example.com>", core::Action::Tag, "[VIP-SPAM] hello"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.name);
    Harness h("203.0.113.5", groups_snapshot());
    h.session.mail_from(r.sender);
    CHECK(h.session.rcpt(r.rcpt).action == core::Action::Accept);
    h.send_message("someone@example.org");
    auto out = h.session.end_of_message();
    CHECK(out.verdict.action == r.action);
    if (r.subject.empty())
      CHECK_FALSE(out.new_subject);
    else
      CHECK(out.new_subject == r.subject);
    CHECK(out.quarantine_reason.empty() == (r.action != core::Action::Quarantine));
  }
}

TEST_CASE("outbound mail is decided by the sender's group", "[session][groups]") {
  struct Row {
    std::string name;
    std::string sasl_user, sender;
    std::string group;
    core::Action action;
  };
  // LIST_SENDER_GREY scores 6: below the outbound tag of 8, above sales' 1.
  const std::vector<Row> rows = {
      {"envelope sender in sales", "", "<ann@sales.example.com>", "sales", core::Action::Accept},
      {"default group", "joe", "<joe@example.com>", "default", core::Action::Accept},
      {"authenticated address in sales, whatever the envelope says", "ann@sales.example.com",
       "<ann@example.com>", "sales", core::Action::Accept},
  };
  for (const auto& r : rows) {
    CAPTURE(r.name);
    Harness h("10.9.9.9", groups_snapshot());
    h.session.connection().sasl_user = r.sasl_user;
    if (r.sasl_user.empty())  // an internal client: 127.0.0.1 is internal in the shipped policy
      h.session.connection().client_address = "127.0.0.1";
    h.session.mail_from(r.sender);
    // recipients of every group belong to the sender's group's transaction
    CHECK(h.session.rcpt("<boss@example.com>").action == core::Action::Accept);
    CHECK(h.session.rcpt("<x@elsewhere.test>").action == core::Action::Accept);
    h.send_message("a@grey.test");
    auto out = h.session.end_of_message();
    REQUIRE(h.events.size() == 1);
    CHECK(h.events[0]["email"]["direction"] == "outbound");
    for (const auto& rc : h.events[0]["postern"]["recipients"]) CHECK(rc["group"] == r.group);
    // the header From a@grey.test scores 6: sales tags it (tag = 1), default does not (8)
    CHECK(out.verdict.action == (r.group == "sales" ? core::Action::Tag : r.action));
  }
}

TEST_CASE("each accepted recipient gets its own result; the most severe decides the message",
          "[session][recipients]") {
  Harness h("203.0.113.5", groups_snapshot());
  h.session.mail_from("<carol@good.test>");
  CHECK(h.session.rcpt("<bob@example.com>").action == core::Action::Accept);
  CHECK(h.session.rcpt("<watched@example.com>").action == core::Action::Accept);  // +12, no rule
  h.send_message("carol@good.test");
  auto out = h.session.end_of_message();
  REQUIRE(out.recipients.size() == 2);
  CHECK(out.recipients[0].verdict.action == core::Action::Accept);
  CHECK(out.recipients[1].verdict.action == core::Action::Quarantine);
  CHECK(out.recipients[1].verdict.score == 12);
  CHECK(out.verdict.action == core::Action::Quarantine);
  CHECK(out.verdict.reason.find("the result for watched@example.com") != std::string::npos);
  const auto* f = added(out, scan::kFindingsHeader);
  REQUIRE(f);
  CHECK(f->value == "LIST_RCPT_WATCH(12)");
  REQUIRE(h.events.size() == 1);
  CHECK(h.events[0]["postern"]["recipients"][0]["action"] == "accept");
  CHECK(h.events[0]["postern"]["recipients"][1]["action"] == "quarantine");
}

TEST_CASE("pass recipients keep their mail in any group, capped at tag", "[session][groups]") {
  Harness h("203.0.113.5", groups_snapshot());
  h.session.mail_from("<someone@grey.test>");
  CHECK(h.session.rcpt("<postmaster@vip.example.com>").action == core::Action::Accept);  // vip
  CHECK(h.session.rcpt("<bob@example.com>").action == core::Action::Tempfail);           // default
  h.send_message("someone@grey.test");
  auto out = h.session.end_of_message();
  CHECK(out.verdict.action == core::Action::Tag);  // vip would reject at 6
  CHECK(out.verdict.reason.find("capped to tag") != std::string::npos);
  CHECK(out.new_subject == "[VIP-SPAM] hello");
}
