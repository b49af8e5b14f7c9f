// Inbound TLS requirements: {tls_version} read strictly, [tls.inbound.require.NAME]
// read (errors at file:line:column), requirements matched by network, envelope sender
// and header From, unmet ones tempfailed or rejected at RCPT or end of message, and
// the TLS details in Authentication-Results and the event.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "auth/auth_results.hpp"
#include "policy/config.hpp"
#include "policy/policy.hpp"
#include "scan/registry.hpp"
#include "scan/session.hpp"
#include "scan/snapshot.hpp"
#include "tls/inbound_stage.hpp"
#include "tls/policy.hpp"
#include "tls/version.hpp"

using namespace postern;

namespace {

postern::expected<policy::Policy, policy::Errors> parse_tls(const std::string& text) {
  return policy::parse_policy(text, "tls.toml", scan::policy_sections());
}

struct TlsRun {
  scan::EventReply rcpt;
  core::Outcome out;
  bool reached_data = false;
  std::vector<nlohmann::json> events;
};

core::TlsInfo tls_of(std::string version, std::string verify = "") {
  core::TlsInfo t;
  t.version = std::move(version);
  if (!t.version.empty()) {
    t.cipher = "TLS_AES_256_GCM_SHA384";
    t.cipher_bits = "256";
    t.cert_subject = "CN=mx.partner.example";
    t.cert_issuer = "CN=Test CA";
  }
  t.verify = std::move(verify);
  return t;
}

// One inbound message from `ip` over `tls`: envelope sender `from`, header From `hfrom`.
TlsRun run_tls(const std::string& policy_text, const core::TlsInfo& tls, const std::string& from,
               const std::string& hfrom = "", const std::string& ip = "198.51.100.7") {
  auto p = parse_tls(policy_text);
  if (!p) FAIL(policy::to_string(p.error()));
  auto snap = scan::make_snapshot(policy::Config{}, std::move(*p));
  TlsRun r;
  scan::Session s([&] { return snap; }, [&](const nlohmann::json& e) { r.events.push_back(e); });
  s.connection().client_address = ip;
  s.connect();
  s.connection().tls = tls;
  s.helo("mx.partner.example");
  s.mail_from("<" + from + ">");
  r.rcpt = s.rcpt("<bob@example.com>");
  if (core::is_final(r.rcpt.action)) {
    s.abort();
    return r;
  }
  r.reached_data = true;
  s.header("From", hfrom.empty() ? from : hfrom);
  s.header("To", "bob@example.com");
  s.header("Subject", "hello");
  s.body("hi\r\n");
  r.out = s.end_of_message("Q1");
  return r;
}

const std::string kPartner =
    "[tls.inbound.require.partner]\nsenders = [\"partner.example\"]\n"
    "networks = [\"192.0.2.0/24\"]\n";

bool has_finding(const TlsRun& r, std::string_view symbol) {
  for (const auto& e : r.events)
    for (const auto& f : e["postern"]["findings"])
      if (f["symbol"] == symbol) return true;
  return false;
}

}  // namespace

TEST_CASE("{tls_version} is read strictly: an unknown value is below every version",
          "[tls][version]") {
  struct Row {
    const char* macro;
    tls::Version want;
  };
  const Row rows[] = {
      {"", tls::Version::None},
      {"TLSv1.3", tls::Version::Tls13},
      {"TLSv1.2", tls::Version::Tls12},
      {"TLSv1.1", tls::Version::Tls11},
      {"TLSv1", tls::Version::Tls10},
      {"SSLv3", tls::Version::Ssl3},
      {"tlsv1.3", tls::Version::Unknown},
      {"TLSv1.3 ", tls::Version::Unknown},
      {" TLSv1.2", tls::Version::Unknown},
      {"TLSv1.4", tls::Version::Unknown},
      {"TLSv1.2x", tls::Version::Unknown},
      {"DTLSv1.2", tls::Version::Unknown},
      {"TLSv13", tls::Version::Unknown},
      {"TLSv1.0", tls::Version::Unknown},
      {"unknown", tls::Version::Unknown},
  };
  for (const auto& row : rows) {
    INFO(row.macro);
    CHECK(tls::parse_version(row.macro) == row.want);
  }
  tls::Requirement req;  // min TLSv1.2
  req.name = "r";
  CHECK_FALSE(tls::unmet(req, tls_of("TLSv1.3")));
  CHECK_FALSE(tls::unmet(req, tls_of("TLSv1.2")));
  CHECK(tls::unmet(req, tls_of(""))->symbol == tls::kMissing);
  CHECK(tls::unmet(req, tls_of("TLSv1.1"))->symbol == tls::kTooLow);
  CHECK(tls::unmet(req, tls_of("TLSv1.9"))->symbol == tls::kTooLow);
  CHECK(tls::unmet(req, tls_of("SSLv3"))->symbol == tls::kTooLow);
  req.min_version = tls::Version::Tls13;
  CHECK(tls::unmet(req, tls_of("TLSv1.2"))->why == "TLSv1.2 is below TLSv1.3");
  req.client_cert = true;
  CHECK(tls::unmet(req, tls_of("TLSv1.3", "OK")) == std::nullopt);
  for (const char* v : {"", "NONE", "FAIL", "ok", "NO"}) {
    INFO(v);
    CHECK(tls::unmet(req, tls_of("TLSv1.3", v))->symbol == tls::kUnverified);
  }
}

TEST_CASE("[tls.inbound.require] errors name file:line:column", "[tls][policy]") {
  struct Row {
    std::string text, want;
  };
  const Row rows[] = {
      {"[tls.inbound.require.a]\nmin_version = \"TLSv1.2\"\n",
       "tls.toml:1:1: [tls.inbound.require.a]: expected 'senders' or 'networks'"},
      {"[tls.inbound.require.a]\nnetworks = [\"192.0.2.0/33\"]\n",
       "tls.toml:2:12: 'networks': '192.0.2.0/33': expected an address or a CIDR network"},
      {"[tls.inbound.require.a]\nsenders = [\"a.example\"]\nmin_version = \"TLSv1.4\"\n",
       "tls.toml:3:15: 'min_version': expected"},
      {"[tls.inbound.require.a]\nsenders = [\"a.example\"]\nmin_version = \"SSLv3\"\n",
       "tls.toml:3:15: 'min_version': expected"},
      {"[tls.inbound]\naction = \"discard\"\n", "tls.toml:2:10: 'action': expected"},
      {"[tls.inbound.require.a]\nsenders = [\"a.example\"]\nclient_certs = true\n",
       "tls.toml:3:1:"},
      {"[tls.inbound.require.A]\nsenders = [\"a.example\"]\n",
       "[tls.inbound.require]: 'A': expected a table"},
  };
  for (const auto& row : rows) {
    INFO(row.text);
    auto p = parse_tls(row.text);
    REQUIRE_FALSE(p);
    CHECK_THAT(policy::to_string(p.error()), Catch::Contains(row.want));
  }
  auto ok = parse_tls(kPartner + "min_version = \"TLSv1.3\"\nclient_cert = true\n");
  REQUIRE(ok);
  const auto& in = ok->sections.section<tls::TlsPolicy>("tls").inbound;
  CHECK(in.requirements.at("partner").min_version == tls::Version::Tls13);
  CHECK(in.requirements.at("partner").client_cert);
  CHECK(ok->inbound.rules.at("TLS_REQUIRED_MISSING").action == core::Action::Tempfail);
  CHECK_FALSE(ok->outbound.rules.contains("TLS_REQUIRED_MISSING"));
}

TEST_CASE("a require-TLS sender over plain SMTP is deferred at RCPT; over TLS 1.2+ it passes",
          "[tls][stage]") {
  auto plain = run_tls(kPartner, tls_of(""), "alice@partner.example");
  CHECK(plain.rcpt.action == core::Action::Tempfail);
  CHECK(plain.rcpt.reply.code == "451");
  CHECK_FALSE(plain.reached_data);
  REQUIRE_FALSE(plain.events.empty());
  CHECK(has_finding(plain, "TLS_REQUIRED_MISSING"));

  // A subdomain of the listed domain is listed too ("partner.example" is a tree).
  CHECK(run_tls(kPartner, tls_of(""), "a@mx.partner.example").rcpt.action ==
        core::Action::Tempfail);
  auto old = run_tls(kPartner, tls_of("TLSv1.1"), "alice@partner.example");
  CHECK(old.rcpt.action == core::Action::Tempfail);
  CHECK(has_finding(old, "TLS_VERSION_TOO_LOW"));
  CHECK(run_tls(kPartner, tls_of("TLSv1.2 "), "alice@partner.example").rcpt.action ==
        core::Action::Tempfail);

  auto good = run_tls(kPartner, tls_of("TLSv1.3"), "alice@partner.example");
  CHECK(good.rcpt.action == core::Action::Accept);
  CHECK(good.out.verdict.action == core::Action::Accept);
  CHECK_FALSE(has_finding(good, "TLS_REQUIRED_MISSING"));

  // Another sender over plain SMTP is not the requirement's.
  auto other = run_tls(kPartner, tls_of(""), "carol@other.example");
  CHECK(other.out.verdict.action == core::Action::Accept);

  // action = "reject" with the policy's text: 550 at RCPT.
  auto rej = run_tls(kPartner + "[tls.inbound]\naction = \"reject\"\nmessage = \"TLS required\"\n",
                     tls_of(""), "alice@partner.example");
  CHECK(rej.rcpt.action == core::Action::Reject);
  CHECK(rej.rcpt.reply.code == "550");
  CHECK(rej.rcpt.reply.text == "TLS required");
}

TEST_CASE("a TLS requirement applies by client network and by any header From reading",
          "[tls][stage]") {
  auto net = run_tls(kPartner, tls_of(""), "x@elsewhere.example", "", "192.0.2.55");
  CHECK(net.rcpt.action == core::Action::Tempfail);
  // The envelope is another domain; the header From is the partner: deferred at end of data.
  auto hdr = run_tls(kPartner, tls_of(""), "bounce@esp.example", "Alice <alice@partner.example>");
  CHECK(hdr.reached_data);
  CHECK(hdr.out.verdict.action == core::Action::Tempfail);
  // Two From readings: whichever names the partner counts.
  auto amb = run_tls(kPartner, tls_of(""), "bounce@esp.example",
                     "\"alice@partner.example\" <alice@esp.example>, <x@partner.example>");
  CHECK(amb.out.verdict.action == core::Action::Tempfail);
  // A verified client certificate when the requirement asks for one.
  const std::string cert = kPartner + "client_cert = true\n";
  CHECK(run_tls(cert, tls_of("TLSv1.3", "FAIL"), "a@partner.example").rcpt.action ==
        core::Action::Tempfail);
  CHECK(run_tls(cert, tls_of("TLSv1.3", "OK"), "a@partner.example").rcpt.action ==
        core::Action::Accept);
  // A disabled requirement is none.
  CHECK(run_tls(kPartner + "enabled = false\n", tls_of(""), "a@partner.example").rcpt.action ==
        core::Action::Accept);
}

TEST_CASE("TLS details go into Authentication-Results as a comment and into the event's tls",
          "[tls][event]") {
  auto good = run_tls(kPartner, tls_of("TLSv1.3", "OK"), "alice@partner.example");
  REQUIRE(good.events.size() == 1);
  const auto& e = good.events[0];
  CHECK(e["tls"]["version"] == "1.3");
  CHECK(e["tls"]["version_protocol"] == "tls");
  CHECK(e["tls"]["cipher"] == "TLS_AES_256_GCM_SHA384");
  CHECK(e["tls"]["client"]["subject"] == "CN=mx.partner.example");
  CHECK(e["tls"]["client"]["issuer"] == "CN=Test CA");
  CHECK(e["postern"]["tls"]["verify"] == "OK");
  // Authentication-Results (its finisher needs [dns]: the writer itself here).
  core::ConnectionInfo conn;
  conn.tls = tls_of("TLSv1.3", "OK");
  core::Transaction tx(conn, core::Direction::Inbound, core::Limits{}, nullptr, "id");
  CHECK(auth::authentication_results("mx.test", tx) ==
        "mx.test (tls=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384 bits=256 verify=OK); none");
  conn.tls.version = "TLSv1.3) spf=pass (";  // no injection out of the comment
  core::Transaction forged(conn, core::Direction::Inbound, core::Limits{}, nullptr, "id");
  CHECK_THAT(auth::authentication_results("mx.test", forged),
             Catch::StartsWith("mx.test (tls=TLSv1.3 spf=pass  cipher="));
  conn.tls = {};
  core::Transaction plain_tx(conn, core::Direction::Inbound, core::Limits{}, nullptr, "id");
  CHECK(auth::authentication_results("mx.test", plain_tx).empty());

  // A plain connection: no tls object, no comment.
  auto plain = run_tls("", tls_of(""), "a@other.example");
  REQUIRE(plain.events.size() == 1);
  CHECK_FALSE(plain.events[0].contains("tls"));
  // An unreadable version is kept as written (bounded), never read as a version.
  auto odd = run_tls("", tls_of("TLSv9(x)"), "a@other.example");
  CHECK(odd.events[0]["tls"]["version"] == "unknown");
  CHECK(odd.events[0]["postern"]["tls"]["version"] == "TLSv9(x)");
}
