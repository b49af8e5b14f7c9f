// Tests for telemetry/event_log.hpp and event.hpp: one line per event, failures counted.
#include "telemetry/event_log.hpp"

#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <optional>
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

// A syslog daemon's datagram socket, bound at `path` (rebinding replaces it).
class SyslogListener {
 public:
  explicit SyslogListener(std::string path) : path_(std::move(path)) {
    ::unlink(path_.c_str());
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::memcpy(a.sun_path, path_.data(), path_.size());
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
    timeval tv{2, 0};  // a datagram that never comes fails the test, never hangs it
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }
  ~SyslogListener() {
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  std::optional<std::string> next() {
    std::string buf(1 << 20, '\0');
    ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
    if (n < 0) return std::nullopt;
    buf.resize(static_cast<size_t>(n));
    return buf;
  }

 private:
  std::string path_;
  int fd_ = -1;
};

// "<PRI>Mmm dd hh:mm:ss postern-events[PID]: " then the event.
void check_syslog_line(const std::string& dgram, int pri, const std::string& event) {
  const std::string head = "<" + std::to_string(pri) + ">";
  REQUIRE(dgram.starts_with(head));
  const std::string tag = " postern-events[" + std::to_string(::getpid()) + "]: ";
  const size_t at = dgram.find(tag);
  REQUIRE(at == head.size() + 15);  // "Dec  4 18:05:09"
  CHECK(dgram.substr(at + tag.size()) == event);
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

TEST_CASE("events go to syslog as one datagram each, beside the file", "[event_log]") {
  test::TempDir d;
  SyslogListener daemon((d.path() / "log.sock").string());
  const std::string file = (d.path() / "events.json").string();
  telemetry::EventLog log;
  REQUIRE(log.open(file));
  REQUIRE(log.open_syslog("local3:" + (d.path() / "log.sock").string()));
  const std::vector<std::string> events = {R"({"a":1})", R"({"subject":"caf\u00e9 \ud83d"})"};
  for (const auto& e : events) {
    log.write(e);
    auto got = daemon.next();
    REQUIRE(got);
    check_syslog_line(*got, 19 * 8 + 6, e);  // local3.info
  }
  CHECK(read_lines(file) == events);
  CHECK(log.failures() == 0);
}

TEST_CASE(
    "a syslog daemon that is away, restarted, or handed too big an event costs events, "
    "never mail",
    "[event_log]") {
  telemetry::log_init("unit_telemetry", false);
  test::TempDir d;
  const std::string sock = (d.path() / "log.sock").string();
  telemetry::EventLog log;
  REQUIRE(log.open_syslog("mail:" + sock));
  CHECK_NOTHROW(log.write(R"({"n":1})"));  // no daemon yet
  CHECK(log.failures() == 1);
  {
    SyslogListener daemon(sock);
    log.write(R"({"n":2})");
    auto got = daemon.next();
    REQUIRE(got);
    check_syslog_line(*got, 2 * 8 + 6, R"({"n":2})");              // mail.info
    log.write("{\"big\":\"" + std::string(4 << 20, 'x') + "\"}");  // more than a datagram holds
    CHECK(log.failures() == 2);
    log.write(R"({"n":3})");
    got = daemon.next();
    REQUIRE(got);
    check_syslog_line(*got, 2 * 8 + 6, R"({"n":3})");
  }
  SyslogListener restarted(sock);  // the daemon's new socket at the same path
  log.write(R"({"n":4})");         // the old connection is dead: this one is lost
  log.write(R"({"n":5})");         // connected again
  CHECK(log.failures() == 3);
  auto got = restarted.next();
  REQUIRE(got);
  check_syslog_line(*got, 2 * 8 + 6, R"({"n":5})");
}

TEST_CASE("a bad event syslog target is refused and the previous one kept", "[event_log]") {
  telemetry::log_init("unit_telemetry", false);
  telemetry::EventLog log;
  REQUIRE(log.open_syslog("local1"));
  for (const std::string bad : {"local8", "LOCAL1", "local1:", "kern"}) {
    CHECK_FALSE(log.open_syslog(bad));
    CHECK(log.syslog_spec() == "local1");
  }
  REQUIRE(log.open_syslog(""));
  CHECK(log.syslog_spec().empty());
}
