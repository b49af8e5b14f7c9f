// SPF over lib/dns local zone data (and a silent forwarder for timeouts): real libspf2, no network.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include "auth/spf.hpp"
#include "auth/spf_stage.hpp"
#include "support/silent_server.hpp"

using namespace postern;
using auth::SpfIdentity;
using auth::SpfStatus;

namespace {

using test::SilentServer;

std::shared_ptr<dns::Resolver> zone(uint16_t silent_port) {
  dns::Options o;
  o.forwarders = {"127.0.0.1@" + std::to_string(silent_port)};
  o.timeout = std::chrono::milliseconds(300);
  o.local_data = {
      "local-zone: \"test.\" static",
      // no data here: asks the silent forwarder (not under test.: unbound keeps its own test. zone)
      "local-zone: \"slow.example.\" transparent",
      "pass.test. IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"",
      "fail.test. IN TXT \"v=spf1 -all\"",
      "soft.test. IN TXT \"v=spf1 ~all\"",
      "neutral.test. IN TXT \"v=spf1 ?all\"",
      "nospf.test. IN A 192.0.2.1",
      "syntax.test. IN TXT \"v=spf1 ip4:192.0.2.0/33 bogus:x -all\"",
      "mx.test. IN TXT \"v=spf1 mx -all\"",
      "mx.test. IN MX 10 mail.mx.test.",
      "mail.mx.test. IN A 198.51.100.7",
      "a.test. IN TXT \"v=spf1 a:host.a.test -all\"",
      "host.a.test. IN A 198.51.100.8",
      "v6.test. IN TXT \"v=spf1 ip6:2001:db8::/32 -all\"",
      "incl.test. IN TXT \"v=spf1 include:pass.test -all\"",
      "timeout.test. IN TXT \"v=spf1 a:x.slow.example -all\"",
      // 11 DNS mechanisms: one past the RFC 7208 limit of 10
      "many.test. IN TXT \"v=spf1 a:h1.test a:h2.test a:h3.test a:h4.test a:h5.test a:h6.test "
      "a:h7.test "
      "a:h8.test a:h9.test a:h10.test a:h10.test ip4:192.0.2.0/24 -all\"",
      // 10 are fine
      "ten.test. IN TXT \"v=spf1 a:h1.test a:h2.test a:h3.test a:h4.test a:h5.test a:h6.test "
      "a:h7.test "
      "a:h8.test a:h9.test a:h10.test ip4:192.0.2.0/24 -all\"",
      "h1.test. IN A 203.0.113.1",
      "h2.test. IN A 203.0.113.2",
      "h3.test. IN A 203.0.113.3",
      "h4.test. IN A 203.0.113.4",
      "h5.test. IN A 203.0.113.5",
      "h6.test. IN A 203.0.113.6",
      "h7.test. IN A 203.0.113.7",
      "h8.test. IN A 203.0.113.8",
      "h9.test. IN A 203.0.113.9",
      "h10.test. IN A 203.0.113.10",
      // three mechanisms that find nothing: one past the void-lookup limit of 2
      "void3.test. IN TXT \"v=spf1 a:v1.test a:v2.test a:v3.test ip4:192.0.2.0/24 -all\"",
      "void2.test. IN TXT \"v=spf1 a:v1.test a:v2.test ip4:192.0.2.0/24 -all\"",
      "exp.test. IN TXT \"v=spf1 -all exp=why.exp.test\"",
      "why.exp.test. IN TXT \"%{i} may not send mail for %{d}\"",
      "helo.test. IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"",
  };
  auto r = dns::Resolver::create(o);
  REQUIRE(r.has_value());
  return *r;
}

}  // namespace

TEST_CASE("each SPF result is told apart over local zone data", "[spf]") {
  SilentServer silent;
  auto res = zone(silent.port);
  struct Row {
    const char* mail_from;
    const char* ip;
    SpfStatus want;
  };
  const Row rows[] = {
      {"user@pass.test", "192.0.2.10", SpfStatus::Pass},
      {"user@pass.test", "198.51.100.1", SpfStatus::Fail},
      {"user@fail.test", "192.0.2.10", SpfStatus::Fail},
      {"user@soft.test", "192.0.2.10", SpfStatus::SoftFail},
      {"user@neutral.test", "192.0.2.10", SpfStatus::Neutral},
      {"user@nospf.test", "192.0.2.10", SpfStatus::None},
      {"user@missing.test", "192.0.2.10", SpfStatus::None},
      {"user@syntax.test", "192.0.2.10", SpfStatus::PermError},
      {"user@mx.test", "198.51.100.7", SpfStatus::Pass},
      {"user@mx.test", "198.51.100.8", SpfStatus::Fail},
      {"user@a.test", "198.51.100.8", SpfStatus::Pass},
      {"user@v6.test", "2001:db8::1", SpfStatus::Pass},
      {"user@v6.test", "2001:db9::1", SpfStatus::Fail},
      {"user@incl.test", "192.0.2.10", SpfStatus::Pass},
      {"user@timeout.test", "192.0.2.10", SpfStatus::TempError},
      {"user@ten.test", "192.0.2.10", SpfStatus::Pass},
      {"user@many.test", "192.0.2.10", SpfStatus::PermError},
      {"user@void2.test", "192.0.2.10", SpfStatus::Pass},
      {"user@void3.test", "192.0.2.10", SpfStatus::PermError},
  };
  for (const auto& row : rows) {
    CAPTURE(row.mail_from, row.ip);
    dns::Budget budget(res, 50);
    auto r =
        auth::check_spf(SpfIdentity::MailFrom, row.ip, "client.example", row.mail_from, budget);
    CAPTURE(r.detail, r.received_spf);
    CHECK(auth::to_string(r.result) == auth::to_string(row.want));
    CHECK_FALSE(r.skipped);
  }
}

TEST_CASE("an empty MAIL FROM checks the HELO identity", "[spf]") {
  SilentServer silent;
  auto res = zone(silent.port);
  dns::Budget b1(res, 50);
  auto r = auth::check_spf(SpfIdentity::MailFrom, "192.0.2.10", "helo.test", "", b1);
  CHECK(r.result == SpfStatus::Pass);
  CHECK(r.identity == SpfIdentity::Helo);
  CHECK(r.domain == "helo.test");
  CHECK(r.sender == "postmaster@helo.test");
  dns::Budget b2(res, 50);
  CHECK(auth::check_spf(SpfIdentity::MailFrom, "198.51.100.1", "helo.test", "", b2).result ==
        SpfStatus::Fail);
  dns::Budget b3(res, 50);  // HELO asked for explicitly, with a MAIL FROM present
  CHECK(
      auth::check_spf(SpfIdentity::Helo, "192.0.2.10", "helo.test", "user@fail.test", b3).result ==
      SpfStatus::Pass);
}

TEST_CASE("a pass carries a Received-SPF value and a fail the domain's explanation", "[spf]") {
  SilentServer silent;
  auto res = zone(silent.port);
  dns::Budget b(res, 50);
  auto r = auth::check_spf(SpfIdentity::MailFrom, "192.0.2.10", "client.example", "user@pass.test",
                           b, auth::SpfOptions{.receiver = "mx.postern.test"});
  CHECK(r.received_spf.find("pass (mx.postern.test") == 0);
  CHECK(r.domain == "pass.test");
  CHECK(r.explanation.empty());

  dns::Budget b2(res, 50);
  auto f =
      auth::check_spf(SpfIdentity::MailFrom, "198.51.100.1", "client.example", "user@exp.test", b2);
  CHECK(f.result == SpfStatus::Fail);
  // libspf2 1.2.10 expands the first macro of a domain's exp= text but mangles the spaces
  // (and what follows): "198.51.100.1%may%not%send%mail%for%{d}". Informational text only.
  CHECK(f.explanation.rfind("198.51.100.1", 0) == 0);
  dns::Budget b3(res, 50);  // no exp=: our default text, not libspf2's openspf.org link
  auto g = auth::check_spf(SpfIdentity::MailFrom, "198.51.100.1", "client.example",
                           "user@fail.test", b3);
  CHECK(g.explanation == "198.51.100.1 is not a permitted sender for fail.test (SPF)");
}

TEST_CASE("a spent DNS budget is a temperror, not a fail", "[spf]") {
  SilentServer silent;
  auto res = zone(silent.port);
  dns::Budget b(res, 1);  // the TXT lookup only; a:host.a.test is not asked
  auto r =
      auth::check_spf(SpfIdentity::MailFrom, "198.51.100.8", "client.example", "user@a.test", b);
  CHECK(r.result == SpfStatus::TempError);
  CHECK(r.detail.find("budget") != std::string::npos);
}

TEST_CASE("loopback and unusable client addresses are not checked", "[spf]") {
  SilentServer silent;
  auto res = zone(silent.port);
  for (const char* ip : {"127.0.0.1", "::1", "::ffff:127.0.0.1", "", "not-an-ip"}) {
    CAPTURE(ip);
    dns::Budget b(res, 50);
    auto r = auth::check_spf(SpfIdentity::MailFrom, ip, "helo.test", "user@fail.test", b);
    CHECK(r.skipped);
    CHECK(b.used() == 0);
  }
}

TEST_CASE("the spf stage adds one finding and shares the result", "[spf]") {
  SilentServer silent;
  auto res = zone(silent.port);
  auth::SpfStage stage(res, 50, {});
  struct Row {
    const char* ip;
    const char* from;
    const char* symbol;  // nullptr = no finding
  };
  const Row rows[] = {
      {"192.0.2.10", "user@pass.test", "SPF_PASS"},
      {"198.51.100.1", "user@pass.test", "SPF_FAIL"},
      {"192.0.2.10", "user@soft.test", "SPF_SOFTFAIL"},
      {"192.0.2.10", "user@neutral.test", "SPF_NEUTRAL"},
      {"192.0.2.10", "user@nospf.test", "SPF_NONE"},
      {"192.0.2.10", "user@syntax.test", "SPF_PERMERROR"},
      {"192.0.2.10", "user@timeout.test", "SPF_TEMPERROR"},
      {"192.0.2.10", "", "SPF_PASS"},  // HELO helo.test
      {"127.0.0.1", "user@fail.test", nullptr},
      {"", "user@fail.test", nullptr},
  };
  for (const auto& row : rows) {
    CAPTURE(row.ip, row.from);
    core::ConnectionInfo conn;
    conn.client_address = row.ip;
    conn.helo = "helo.test";
    core::Transaction tx(
        conn, core::Direction::Inbound, core::Limits{},
        [](std::string_view, double d) { return d; }, "id");
    tx.envelope().mail_from = row.from;
    auto step = stage.on_mail_from(tx);
    CHECK(step.kind == core::Step::Kind::Continue);
    if (row.symbol) {
      REQUIRE(tx.findings().size() == 1);
      CHECK(tx.findings()[0].symbol == row.symbol);
      REQUIRE(tx.get<auth::SpfResult>() != nullptr);
    } else {
      CHECK(tx.findings().empty());
      CHECK(tx.get<auth::SpfResult>() == nullptr);
    }
  }
}
