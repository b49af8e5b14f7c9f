// Tests for policy/config.hpp: the daemon config, its errors and its paths.
#include "policy/config.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "dns/config.hpp"
#include "scan/registry.hpp"
#include "state/config.hpp"
#include "support/expect_error.hpp"
#include "support/temp_dir.hpp"

using postern::core::Action;
using postern::scan::load_config;  // with every folder's section readers
using postern::test::TempDir;

TEST_CASE("each config mistake is reported at its file:line:column with what was expected",
          "[config]") {
  struct Row {
    std::string name;
    std::string text;
    uint32_t line, column;
    std::string contains;
  };
  const std::vector<Row> rows = {
      {"TOML syntax error", "[milter]\nsocket = \n", 2, 10, "expected value"},
      {"unknown section (a typo)", "[milterr]\nsocket = \"unix:/x\"\n", 1, 2,
       "unknown key 'milterr' at top level; expected one of: arc, clamav, click, dkim, dns, "
       "limits, "
       "log, metrics, milter, policy, sandbox, scan"},
      {"unknown key in a section (a typo)", "[milter]\ntimeot = 30\n", 2, 1,
       "unknown key 'timeot' in [milter]"},
      {"unknown key in [limits]", "[limits]\nmessage_size = 2048\nheader_lines = 5\n", 3, 1,
       "unknown key 'header_lines' in [limits]; expected one of: findings, header_count"},
      {"wrong type", "[milter]\ntimeout = \"30\"\n", 2, 11,
       "'timeout' in [milter]: expected an integer"},
      {"integer out of range", "[limits]\nheader_count = 0\n", 2, 16,
       "'header_count' in [limits]: expected an integer from 1 to 1000000, got 0"},
      {"float for an integer", "[limits]\nreceived_hops = 5.5\n", 2, 17, "expected an integer"},
      {"nan for an integer", "[limits]\nreceived_hops = nan\n", 2, 17, "expected an integer"},
      {"inf for an integer", "[dns]\ntimeout_ms = +inf\n", 2, 14, "expected an integer"},
      {"-inf for an integer", "[milter]\ntimeout = -inf\n", 2, 11, "expected an integer"},
      {"bad socket", "[milter]\nsocket = \"/tmp/x.sock\"\n", 2, 10,
       "expected unix:PATH, inet:PORT@HOST"},
      {"bad socket mode", "[milter]\nsocket_mode = \"999\"\n", 2, 15, "expected an octal mode"},
      {"socket mode as a number", "[milter]\nsocket_mode = 660\n", 2, 15,
       "'socket_mode' in [milter]: expected a string"},
      {"bad on_error action", "[scan]\non_error = \"bounce\"\n", 2, 12,
       "'on_error': expected one of accept, tag, quarantine, tempfail, discard, reject"},
      {"bad per-stage on_error", "[scan.stage_on_error]\nlists = \"nope\"\n", 2, 9,
       "'stage_on_error.lists': expected one of accept"},
      {"bad log target", "[log]\ntarget = \"file\"\n", 2, 10, "expected \"syslog\" or \"stderr\""},
      {"unknown event syslog facility", "[log]\nevent_syslog = \"local9\"\n", 2, 16,
       "'event_syslog': expected a facility (mail, daemon, user, local0..local7)"},
      {"relative event syslog socket", "[log]\nevent_syslog = \"local3:dev/log\"\n", 2, 16,
       "'event_syslog': the socket must be an absolute path"},
      {"policy dirs not an array", "[policy]\ndirs = \"/etc/postern/policies\"\n", 2, 8,
       "'dirs' in [policy]: expected an array of strings"},
      {"policy dirs with a number", "[policy]\ndirs = [\"/a\", 5]\n", 2, 15,
       "'dirs' in [policy]: expected a string"},
      {"bad forwarder", "[dns]\nforwarders = [\"127.0.0.1@53\", \"dns.example\"]\n", 2, 31,
       "'forwarders' in [dns]: expected an IP address, optionally @PORT"},
      {"forwarder port out of range", "[dns]\nforwarders = [\"::1@70000\"]\n", 2, 15,
       "expected an IP address"},
      {"dns timeout out of range", "[dns]\ntimeout_ms = 0\n", 2, 14,
       "'timeout_ms' in [dns]: expected an integer from 10"},
      {"unknown key in [dns]", "[dns]\nforwarder = [\"127.0.0.1\"]\n", 2, 1,
       "unknown key 'forwarder' in [dns]"},
      {"bad ARC seal mode", "[arc]\nseal = \"yes\"\n", 2, 8,
       "'seal' in [arc]: expected \"off\", \"modified\" or \"always\""},
      {"ARC sealing without a key",
       "[arc]\nseal = \"modified\"\ndomain = \"gw.example\"\nselector = \"s\"\n", 1, 1,
       "[arc]: sealing needs 'key'"},
      {"ARC instance limit above RFC 8617's 50", "[arc]\nmax_instances = 51\n", 2, 17,
       "'max_instances' in [arc]: expected an integer from 1 to 50"},
      {"section that is not a table", "log = \"stderr\"\n", 1, 7, "'log'"},
      {"scan time below 10 ms", "[limits]\nscan_time_ms = 0\n", 2, 16,
       "'scan_time_ms' in [limits]: expected an integer from 10 to 600000, got 0"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.name);
    TempDir d;
    std::string path = d.write("postern.toml", r.text);
    auto c = load_config(path);
    REQUIRE_FALSE(c);
    postern::test::check_single_error(c.error(), {path, r.line, r.column, r.contains});
  }
}

TEST_CASE("every mistake of a config file is reported, not just the first", "[config]") {
  TempDir d;
  std::string path =
      d.write("postern.toml", "[milter]\ntimeout = 0\ntimeot = 5\n[log]\ntarget = \"x\"\n");
  auto c = load_config(path);
  REQUIRE_FALSE(c);
  REQUIRE(c.error().size() == 3);
  CHECK(c.error()[0].line == 2);
  CHECK(c.error()[1].line == 3);
  CHECK(c.error()[2].line == 5);
}

TEST_CASE("a missing config file is an error unless missing_ok, which gives the built-in defaults",
          "[config]") {
  TempDir d;
  std::string path = (d.path() / "absent.toml").string();
  auto c = load_config(path);
  REQUIRE_FALSE(c);
  REQUIRE(c.error().size() == 1);
  CHECK(c.error()[0].file == path);
  CHECK(c.error()[0].line == 0);
  CHECK(c.error()[0].to_string() == path + ": cannot read file");

  auto def = load_config(path, true);
  REQUIRE(def);
  CHECK(def->path.empty());
  CHECK(def->on_error == Action::Tempfail);
  CHECK(def->policy_dirs ==
        std::vector<std::string>{"/usr/share/postern/policies", "/etc/postern/policies"});
  CHECK(def->limits.message_size == 64u << 20);
  CHECK(def->limits.scan_time_ms == 2000);
}

TEST_CASE("the CPU time budget of a message is read from [limits] scan_time_ms", "[config]") {
  TempDir d;
  auto c = load_config(d.write("postern.toml", "[limits]\nscan_time_ms = 750\n"));
  REQUIRE(c);
  CHECK(c->limits.scan_time_ms == 750);
}

TEST_CASE("the shipped sample config loads with the values it shows", "[config]") {
  auto c = load_config(POSTERN_SOURCE_DIR "/packaging/postern.toml");
  INFO((c ? std::string() : postern::policy::to_string(c.error())));
  REQUIRE(c);
  CHECK(c->socket == "unix:/var/spool/postfix/postern/postern.sock");
  CHECK(c->socket_mode == 0660);
  CHECK(c->timeout == 300);
  CHECK(c->on_error == Action::Tempfail);
  CHECK(c->limits.message_size == 67108864);
  CHECK(c->limits.header_line_length == 998);
  CHECK(c->limits.scan_time_ms == 2000);
  CHECK(c->has_section("dns"));  // the packaged config turns SPF on, with the system resolver
  CHECK(postern::dns::config_of(*c).forwarders.empty());
  CHECK(c->log_target == "stderr");  // the journal under systemd (postern-milter(8))
  CHECK(c->event_log == "/var/log/postern/events.json");
  // The state store is the daemon's: named here, not in a policy.
  CHECK(postern::state::sqlite_path(*c) == "/var/lib/postern/state.db");
  CHECK(c->policy_dirs ==
        std::vector<std::string>{"/usr/share/postern/policies", "/etc/postern/policies"});
}

TEST_CASE("relative paths in the config resolve against the config file's directory", "[config]") {
  TempDir d;
  std::string path = d.write("etc/postern.toml",
                             "[policy]\ndirs = [\"policies\", \"../share/p\", \"/abs/p\"]\n"
                             "[log]\nevent_log = \"log/events.json\"\n");
  auto c = load_config(path);
  REQUIRE(c);
  CHECK(c->policy_dirs == std::vector<std::string>{(d.path() / "etc/policies").string(),
                                                   (d.path() / "share/p").string(), "/abs/p"});
  CHECK(c->event_log == (d.path() / "etc/log/events.json").string());

  struct Row {
    std::string value;
    std::string want;
  };
  for (const auto& r :
       std::vector<Row>{{"-", "-"}, {"", ""}, {"/var/log/e.json", "/var/log/e.json"}}) {
    std::string p2 = d.write("etc/other.toml", "[log]\nevent_log = \"" + r.value + "\"\n");
    auto c2 = load_config(p2);
    REQUIRE(c2);
    CHECK(c2->event_log == r.want);
  }
}

TEST_CASE("the event syslog target is a facility and an optional socket", "[config]") {
  TempDir d;
  for (const std::string v : {"local3", "mail:/run/systemd/journal/dev-log", ""}) {
    auto c = load_config(d.write("postern.toml", "[log]\nevent_syslog = \"" + v + "\"\n"));
    REQUIRE(c);
    CHECK(c->event_syslog == v);
  }
  auto def = load_config(d.write("postern.toml", "[log]\n"));
  REQUIRE(def);
  CHECK(def->event_syslog.empty());  // off unless asked for
}

TEST_CASE("scan settings: on_error and per-stage overrides", "[config]") {
  TempDir d;
  std::string path = d.write("postern.toml",
                             "[scan]\non_error = \"accept\"\nauthserv_id = \"mx.example.com\"\n"
                             "[scan.stage_on_error]\nlists = \"reject\"\nlimits = \"tempfail\"\n"
                             "[limits]\nfindings = 20\n");
  auto c = load_config(path);
  REQUIRE(c);
  CHECK(c->on_error == Action::Accept);
  CHECK(c->authserv_id == "mx.example.com");
  CHECK(c->stage_on_error.at("lists") == Action::Reject);
  CHECK(c->stage_on_error.at("limits") == Action::Tempfail);
  CHECK(c->limits.findings == 20);
}
