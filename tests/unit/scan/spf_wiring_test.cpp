// The spf stage in the snapshot pipeline: present only with [dns], silent for loopback clients.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "auth/spf.hpp"
#include "dns/config.hpp"
#include "scan/registry.hpp"
#include "scan/session.hpp"
#include "scan/snapshot.hpp"
#include "support/temp_dir.hpp"

using namespace postern;
using nlohmann::json;

namespace {

std::vector<std::string> spf_symbols(const json& event) {
  std::vector<std::string> out;
  for (const auto& f : event["postern"]["findings"]) out.push_back(f["symbol"].get<std::string>());
  return out;
}

// Runs one message from `ip` with envelope sender `from` and returns its event.
json spf_run(const scan::SnapshotPtr& snap, const std::string& ip, const std::string& from) {
  std::vector<json> events;
  {
    scan::Session s([&] { return snap; }, [&](const json& e) { events.push_back(e); });
    s.connection().client_address = ip;
    s.connect();
    s.helo("client.example.net");
    s.mail_from("<" + from + ">");
    s.rcpt("<bob@example.com>");
    s.header("Date", "Tue, 1 Jul 2003 10:52:37 +0200");
    s.header("From", from);
    s.header("Message-ID", "<1@example.com>");
    s.header("Subject", "hello");
    s.header("To", "bob@example.com");
    s.body("hi\r\n");
    s.end_of_message("Q1");
  }
  REQUIRE(events.size() == 1);
  return events[0];
}

}  // namespace

TEST_CASE("without [dns] there is no spf stage and no DNS at all", "[spf]") {
  auto pol =
      policy::load_policy({POSTERN_SOURCE_DIR "/policies"}, postern::scan::policy_sections());
  REQUIRE(pol);
  auto snap = scan::make_snapshot(policy::Config{}, *pol);
  CHECK(snap->resolver() == nullptr);
  for (auto n : snap->pipeline.stage_names()) CHECK(n != "spf");
}

TEST_CASE("with [dns] the spf stage checks non-local clients and skips loopback", "[spf]") {
  test::TempDir d;
  std::string zone = d.write("local.zone",
                             "local-zone: \"sender.example.\" static\n"
                             "sender.example. IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n");
  policy::Config cfg;
  cfg.authserv_id = "mx.test";
  dns::Config dns;
  dns.forwarders = {"127.0.0.1@9"};  // never asked: the zone is static
  dns.local_data = zone;
  dns.timeout_ms = 500;
  cfg.set_section("dns", dns);
  auto pol =
      policy::load_policy({POSTERN_SOURCE_DIR "/policies"}, postern::scan::policy_sections());
  REQUIRE(pol);
  auto snap = scan::make_snapshot(cfg, *pol);
  REQUIRE(snap->resolver() != nullptr);
  auto names = snap->pipeline.stage_names();
  CHECK(std::find(names.begin(), names.end(), "spf") != names.end());

  struct Row {
    std::string ip, from, want;  // want "" = no SPF finding
  };
  for (const auto& r : std::vector<Row>{{"192.0.2.10", "a@sender.example", "SPF_PASS"},
                                        {"198.51.100.1", "a@sender.example", "SPF_FAIL"},
                                        {"198.51.100.1", "a@nothing.sender.example", "SPF_NONE"},
                                        {"127.0.0.1", "a@sender.example", ""},
                                        {"::1", "a@sender.example", ""}}) {
    CAPTURE(r.ip, r.from);
    auto ev = spf_run(snap, r.ip, r.from);
    CAPTURE(ev["postern"]["findings"].dump());
    auto syms = spf_symbols(ev);
    std::vector<std::string> spf;
    for (const auto& s : syms)
      if (s.rfind("SPF_", 0) == 0) spf.push_back(s);
    if (r.want.empty())
      CHECK(spf.empty());
    else
      CHECK(spf == std::vector<std::string>{r.want});
  }
}

TEST_CASE("a [dns] section whose local data cannot be read is a config error at load", "[spf]") {
  test::TempDir d;
  std::string path = d.write(
      "postern.toml", "[policy]\ndirs = [\"" POSTERN_SOURCE_DIR
                      "/policies\"]\n"
                      "[dns]\nforwarders = [\"127.0.0.1@9\"]\nlocal_data = \"missing.zone\"\n");
  auto snap = scan::load_snapshot(path);
  REQUIRE_FALSE(snap);
  CHECK(policy::to_string(snap.error()).find("missing.zone") != std::string::npos);
}
