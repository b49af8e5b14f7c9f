// Tests for telemetry/event_log.hpp and event.hpp: one line per event, failures counted.
#include "telemetry/event_log.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <string>
#include <vector>

#include "mime/registration.hpp"
#include "support/temp_dir.hpp"
#include "telemetry/event.hpp"
#include "telemetry/log.hpp"

using namespace postern;

namespace {

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

}  // namespace

TEST_CASE("the event log writes one line per event and appends to what is there", "[event_log]") {
  test::TempDir d;
  std::string path = d.write("events.json", "{\"old\":1}\n");
  telemetry::EventLog log;
  REQUIRE(log.open(path));
  CHECK(log.path() == path);
  const std::vector<std::string> events = {R"({"a":1})", R"({"b":"two"})", R"({"c":[3]})"};
  for (const auto& e : events) log.write(e);
  CHECK(log.failures() == 0);
  CHECK(read_lines(path) ==
        std::vector<std::string>{R"({"old":1})", events[0], events[1], events[2]});
}

TEST_CASE("the event log follows rotation on reopen", "[event_log]") {
  test::TempDir d;
  std::string path = (d.path() / "events.json").string();
  telemetry::EventLog log;
  REQUIRE(log.open(path));
  log.write("one");
  std::filesystem::rename(path, path + ".1");
  log.write("two");  // still the old file until reopen
  REQUIRE(log.reopen());
  log.write("three");
  CHECK(read_lines(path + ".1") == std::vector<std::string>{"one", "two"});
  CHECK(read_lines(path) == std::vector<std::string>{"three"});
  CHECK(log.failures() == 0);
}

TEST_CASE("a failed event log write is counted, not thrown, and mail keeps flowing",
          "[event_log]") {
  telemetry::log_init("unit_telemetry", false);
  telemetry::EventLog log;
  REQUIRE(log.open("/dev/full"));  // every write fails with ENOSPC
  CHECK_NOTHROW(log.write(R"({"a":1})"));
  CHECK(log.failures() == 1);
  CHECK_NOTHROW(log.write(R"({"b":2})"));
  CHECK(log.failures() == 2);
}

TEST_CASE("an event log path that cannot be opened keeps the previous target", "[event_log]") {
  test::TempDir d;
  std::string good = (d.path() / "events.json").string();
  telemetry::EventLog log;
  REQUIRE(log.open(good));
  CHECK_FALSE(log.open((d.path() / "no/such/dir/events.json").string()));
  CHECK(log.path() == good);
  log.write("still here");
  CHECK(read_lines(good) == std::vector<std::string>{"still here"});
}

TEST_CASE("an empty event log path logs nothing and counts nothing", "[event_log]") {
  telemetry::EventLog log;
  REQUIRE(log.open(""));
  log.write("dropped");
  CHECK(log.failures() == 0);
}

TEST_CASE("an event line is compact JSON with invalid UTF-8 repaired", "[event]") {
  nlohmann::json e = {{"subject", "caf\xc3\xa9 \xff"}, {"n", 1}};
  std::string line = telemetry::to_line(e);
  CHECK(line.find('\n') == std::string::npos);
  CHECK(line == "{\"n\":1,\"subject\":\"caf\xc3\xa9 \xef\xbf\xbd\"}");
}

TEST_CASE("an event names every recipient the client asked for and the header From addresses",
          "[event]") {
  core::ConnectionInfo conn;
  conn.client_address = "2001:db8::7";
  core::Transaction tx(conn, core::Direction::Outbound, core::Limits{}, nullptr, "abc");
  tx.envelope().mail_from = "a@x.test";
  tx.envelope().recipients = {"b@y.test"};
  tx.set_message(
      core::Message("From: A <a@x.test>, c@z.test\r\nSubject: =?utf-8?q?R=C3=A9sum=C3=A9?=\r\n"
                    "Reply-To: =?utf-8?q?Boss?= <boss@free.test>\r\n\r\n"));
  tx.add_finding("F", 1.23456, "detail");
  core::Outcome out;
  out.verdict.action = core::Action::Tempfail;
  out.verdict.score = 1.23456;
  out.verdict.reply = {"451", "4.7.1", "later"};
  core::Verdict accepted;
  core::Verdict deferred{core::Action::Tempfail, 0, "other group", {"452", "4.5.3", "again"}};
  out.recipients = {{"b@y.test", "default", accepted, false, false},
                    {"r@y.test", "default", out.verdict, true, false},
                    {"d@y.test", "vip", deferred, true, true}};
  tx.add_finding("G", 1, "about r");  // no recipient scope open: about the transaction
  tx.begin_recipient("r@y.test");
  tx.add_finding("H", 2, "about r");
  tx.end_recipient();
  auto e = telemetry::make_event(tx, out, mime::registration().event_writers);
  // RCPT order, the deferred recipient left out: it comes again in its own transaction
  CHECK(e["email"]["to"]["address"] == nlohmann::json::array({"b@y.test", "r@y.test"}));
  CHECK(e["email"]["direction"] == "outbound");
  CHECK(e["email"]["subject"] == "R\xc3\xa9sum\xc3\xa9");  // as a mail client shows it
  CHECK(e["email"]["reply_to"]["address"] == nlohmann::json::array({"boss@free.test"}));
  CHECK(e["source"]["ip"] == "2001:db8::7");
  CHECK_FALSE(e["source"].contains("port"));
  CHECK(e["event"]["outcome"] == "failure");
  CHECK(e["postern"]["score"] == 1.235);
  CHECK(e["postern"]["findings"][0]["score"] == 1.235);
  CHECK(e["postern"]["header_from"] == nlohmann::json::array({"a@x.test", "c@z.test"}));
  CHECK(e["postern"]["smtp_reply"]["code"] == "451");
  const auto& rc = e["postern"]["recipients"];
  REQUIRE(rc.size() == 3);
  CHECK(rc[0] ==
        nlohmann::json({{"address", "b@y.test"}, {"group", "default"}, {"action", "accept"}}));
  CHECK(rc[1]["action"] == "tempfail");
  CHECK(rc[1]["smtp_reply"]["code"] == "451");
  CHECK(rc[2]["action"] == "deferred");
  CHECK(rc[2]["group"] == "vip");
  CHECK(rc[2]["smtp_reply"] ==
        nlohmann::json({{"code", "452"}, {"xcode", "4.5.3"}, {"text", "again"}}));
  CHECK_FALSE(e["postern"]["findings"][1].contains("recipient"));
  CHECK(e["postern"]["findings"][2]["recipient"] == "r@y.test");
  CHECK_FALSE(e["email"].contains("local_id"));
}

TEST_CASE("the folders' keys come from their event writers, not from the event itself", "[event]") {
  core::ConnectionInfo conn;
  core::Transaction tx(conn, core::Direction::Inbound, core::Limits{}, nullptr, "abc");
  tx.set_message(core::Message("From: A <a@x.test>\r\nSubject: s\r\n\r\n"));
  core::Outcome out;
  struct Row {
    std::string what;
    std::vector<core::EventWriter> writers;
    bool header_from;
  };
  const std::vector<Row> rows = {
      {"no writer", {}, false},
      {"lib/mime's writer", mime::registration().event_writers, true},
  };
  for (const auto& r : rows) {
    CAPTURE(r.what);
    auto e = telemetry::make_event(tx, out, r.writers);
    CHECK(e["postern"].contains("header_from") == r.header_from);
    CHECK(e["postern"].contains("scan_id"));  // the event's own keys are always there
    CHECK(e["email"].contains("subject") == r.header_from);  // lib/mime's decoded reading
  }
}
