// The dnsbl and helo stages in the snapshot pipeline, and [reputation] decide_at in the Session:
// a listed client is refused at connect (or HELO) with the listing text, or at RCPT by default.
#include <catch2/catch.hpp>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "dns/config.hpp"
#include "scan/registry.hpp"
#include "scan/session.hpp"
#include "scan/snapshot.hpp"
#include "support/temp_dir.hpp"

using namespace postern;
using core::Action;
using nlohmann::json;

namespace {

// A snapshot with the shipped policies, a zone "zen.example" in which 192.0.2.2 is listed
// (127.0.0.2, RBL_SBL, with listing text), and `extra` policy text.
scan::SnapshotPtr snapshot(const test::TempDir& d, const std::string& extra) {
  std::string zone =
      d.write("local.zone",
              "local-zone: \"zen.example.\" static\n"
              "2.2.0.192.zen.example. A 127.0.0.2\n"
              "2.2.0.192.zen.example. TXT \"see https://zen.example/q/192.0.2.2\"\n");
  d.write("p/50-test.toml", R"(
[dnsbl.zen]
zone = "zen.example"
symbol = "RBL_LISTED"
score = 5.0
codes = { "127.0.0.2" = { symbol = "RBL_SBL", score = 10.0 } }

[inbound.rules]
RBL_SBL = { action = "reject", text = "Service unavailable; {detail}" }
HELO_BARE_IP = "reject"
)" + extra);
  policy::Config cfg;
  cfg.authserv_id = "mx.test";
  dns::Config dns;
  dns.forwarders = {"127.0.0.1@9"};  // never asked for the static zone
  dns.local_data = zone;
  dns.timeout_ms = 300;
  cfg.set_section("dns", dns);
  auto pol = policy::load_policy({POSTERN_SOURCE_DIR "/policies", d.str() + "/p"},
                                 postern::scan::policy_sections());
  INFO((pol ? std::string() : policy::to_string(pol.error())));
  REQUIRE(pol);
  return scan::make_snapshot(cfg, *pol);
}

const std::string kWant =
    "Service unavailable; 192.0.2.2 listed by zen.example (127.0.0.2): see "
    "https://zen.example/q/192.0.2.2";

}  // namespace

TEST_CASE("the dnsbl and helo stages follow the lists stage when [dns] is configured", "[dnsbl]") {
  test::TempDir d;
  auto snap = snapshot(d, "");
  auto names = snap->pipeline.stage_names();
  auto at = [&](std::string_view n) { return std::find(names.begin(), names.end(), n); };
  REQUIRE(snap->resolver() != nullptr);
  REQUIRE(at("lists") != names.end());
  CHECK(at("dnsbl") == at("lists") + 1);
  CHECK(at("helo") == at("lists") + 2);

  auto pol =
      policy::load_policy({POSTERN_SOURCE_DIR "/policies"}, postern::scan::policy_sections());
  REQUIRE(pol);
  auto plain_snap = scan::make_snapshot(policy::Config{}, *pol);
  auto plain = plain_snap->pipeline.stage_names();
  CHECK(std::find(plain.begin(), plain.end(), "dnsbl") == plain.end());
  CHECK(std::find(plain.begin(), plain.end(), "helo") == plain.end());
}

TEST_CASE("decide_at = connect refuses a listed client at connect with the listing text",
          "[dnsbl]") {
  test::TempDir d;
  auto snap = snapshot(d, "[reputation]\ndecide_at = \"connect\"\n");
  std::vector<json> events;
  {
    scan::Session s([&] { return snap; }, [&](const json& e) { events.push_back(e); });
    s.connection().client_address = "192.0.2.2";
    auto r = s.connect();
    CHECK(r.action == Action::Reject);
    CHECK(r.reply.code == "550");
    CHECK(r.reply.xcode == "5.7.1");
    CHECK(r.reply.text == kWant);
  }
  REQUIRE(events.size() == 1);  // the refused connection is logged once
  CHECK(events[0]["postern"]["action"] == "reject");
  CHECK(events[0]["postern"]["before_data"] == true);

  // an unlisted client passes
  scan::Session ok([&] { return snap; }, nullptr);
  ok.connection().client_address = "192.0.2.3";
  CHECK(ok.connect().action == Action::Accept);
  CHECK(ok.helo("mail.example.net").action == Action::Accept);
}

TEST_CASE("decide_at = rcpt (the default) lets connect and HELO pass and refuses at RCPT",
          "[dnsbl]") {
  test::TempDir d;
  auto snap = snapshot(d, "");
  std::vector<json> events;
  {
    scan::Session s([&] { return snap; }, [&](const json& e) { events.push_back(e); });
    s.connection().client_address = "192.0.2.2";
    CHECK(s.connect().action == Action::Accept);
    CHECK(s.helo("192.0.2.2").action == Action::Accept);  // HELO_BARE_IP waits for RCPT too
    CHECK(events.empty());
    s.mail_from("<a@sender.example>");
    auto pm = s.rcpt("<postmaster@example.com>");  // a pass recipient still gets its mail
    CHECK(pm.action == Action::Accept);
    auto r = s.rcpt("<bob@example.com>");
    CHECK(r.action == Action::Reject);
    CHECK(r.reply.text == kWant);
  }
  REQUIRE(events.size() == 1);
}

TEST_CASE("decide_at = helo refuses at HELO, not at connect", "[dnsbl]") {
  test::TempDir d;
  auto snap = snapshot(d, "[reputation]\ndecide_at = \"helo\"\n");
  scan::Session s([&] { return snap; }, nullptr);
  s.connection().client_address = "192.0.2.9";
  CHECK(s.connect().action == Action::Accept);
  auto r = s.helo("192.0.2.9");
  CHECK(r.action == Action::Reject);
  CHECK(r.reply.text == "Message rejected by policy");  // HELO_BARE_IP's rule has no text
}

TEST_CASE("a client that authenticates is not judged by its address or HELO name", "[dnsbl]") {
  test::TempDir d;
  auto snap = snapshot(d, "");
  std::vector<json> events;
  {
    scan::Session s([&] { return snap; }, [&](const json& e) { events.push_back(e); });
    s.connection().client_address = "192.0.2.2";  // listed, and a bare-IP HELO
    CHECK(s.connect().action == Action::Accept);
    CHECK(s.helo("192.0.2.2").action == Action::Accept);
    s.connection().sasl_user = "alice";  // AUTH after EHLO: known from MAIL FROM on
    s.mail_from("<alice@example.com>");
    CHECK(s.rcpt("<bob@example.org>").action == Action::Accept);
    s.header("From", "alice@example.com");
    s.body("hi\r\n");
    CHECK(s.end_of_message("Q1").verdict.action == Action::Accept);
  }
  REQUIRE(events.size() == 1);
  for (const auto& f : events[0]["postern"]["findings"]) {
    std::string sym = f["symbol"];
    CHECK(sym.rfind("RBL_", 0) != 0);
    CHECK(sym.rfind("HELO_", 0) != 0);
  }
}
