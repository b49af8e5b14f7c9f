// Attacks on sender authentication found in review, each once a bypass: From
// domains past a cap, a DNS budget the sender's SPF record could spend, a key name
// that cannot exist, a field added on top of a signed message.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "auth/dkim.hpp"
#include "auth/dmarc_stage.hpp"
#include "auth/spf_stage.hpp"
#include "content/header_sanity.hpp"
#include "support/dkim_keys.hpp"

using namespace postern;

namespace {

// example.com publishes p=reject; the attacker owns evil.test, whose SPF record
// costs 1 TXT + 5 MX + 5 x 10 A lookups (all within RFC 7208's 10-mechanism limit).
std::shared_ptr<dns::Resolver> review_resolver() {
  dns::Options o;
  o.forwarders = {"127.0.0.1@9"};
  o.timeout = std::chrono::milliseconds(300);
  o.local_data = {"local-zone: \"example.com.\" static",
                  "local-zone: \"evil.test.\" static",
                  "local-zone: \"a.test.\" static",
                  "local-zone: \"b.test.\" static",
                  "local-zone: \"c.test.\" static",
                  "local-zone: \"d.test.\" static",
                  "_dmarc.example.com. TXT \"v=DMARC1; p=reject\"",
                  "evil.test. TXT \"v=spf1 mx:m1.evil.test mx:m2.evil.test mx:m3.evil.test "
                  "mx:m4.evil.test mx:m5.evil.test ~all\""};
  for (int m = 1; m <= 5; ++m)
    for (int h = 1; h <= 10; ++h)
      o.local_data.push_back("m" + std::to_string(m) + ".evil.test. MX 10 h" + std::to_string(h) +
                             ".evil.test.");
  for (int h = 1; h <= 10; ++h)
    o.local_data.push_back("h" + std::to_string(h) + ".evil.test. A 192.0.2.99");
  auto r = dns::Resolver::create(o);
  REQUIRE(r);
  return *r;
}

core::ConnectionInfo review_conn() {
  core::ConnectionInfo c;
  c.client_address = "198.51.100.7";
  c.helo = "mx.evil.test";
  return c;
}

core::Transaction review_tx(const core::ConnectionInfo& conn) {
  return core::Transaction(
      conn, core::Direction::Inbound, core::Limits{}, [](std::string_view, double d) { return d; },
      "review");
}

std::vector<std::string> symbols(const core::Transaction& tx) {
  std::vector<std::string> out;
  for (const auto& f : tx.findings()) out.push_back(f.symbol + " " + f.detail);
  return out;
}

bool has(const core::Transaction& tx, std::string_view symbol) {
  return tx.has_finding(symbol);
}

void run_dmarc(core::Transaction& tx, const std::shared_ptr<dns::Resolver>& res,
               const std::string& from) {
  tx.set_message(core::Message("From: " + from +
                               "\r\nTo: bob@example.net\r\nSubject: pay\r\n"
                               "Message-ID: <1@x>\r\n\r\nPay now.\r\n"));
  auth::DmarcStage stage(res, {});
  stage.prepare(core::Event::Message, tx);
  CHECK(stage.on_message(tx).kind == core::Step::Kind::Continue);
}

// SPF passed for the attacker's own domain (the MAIL FROM was bounce@evil.test).
void spf_pass_for_evil(core::Transaction& tx) {
  auth::SpfResult spf;
  spf.result = auth::SpfStatus::Pass;
  spf.domain = "evil.test";
  tx.put<auth::SpfResult>(std::make_shared<const auth::SpfResult>(spf));
}

}  // namespace

TEST_CASE("a From domain after four other From domains is still DMARC-checked", "[dmarc]") {
  auto res = review_resolver();
  auto conn = review_conn();
  auto tx = review_tx(conn);
  run_dmarc(tx, res, "a@a.test, b@b.test, c@c.test, d@d.test, ceo@example.com");
  CAPTURE(symbols(tx));
  CHECK(has(tx, "DMARC_POLICY_REJECT"));
}

TEST_CASE("a From domain after twenty addresses of another domain is DMARC-checked", "[dmarc]") {
  auto res = review_resolver();
  auto conn = review_conn();
  auto tx = review_tx(conn);
  std::string from;
  for (int i = 0; i < 20; ++i) from += "x@a.test, ";
  from += "ceo@example.com";
  run_dmarc(tx, res, from);
  CAPTURE(symbols(tx));
  CHECK(has(tx, "DMARC_POLICY_REJECT"));
}

TEST_CASE("an SPF record of the envelope sender cannot spend DMARC's DNS budget", "[dmarc][spf]") {
  auto res = review_resolver();
  auto conn = review_conn();
  auto tx = review_tx(conn);
  tx.envelope().mail_from = "bounce@evil.test";
  auth::SpfStage spf(res, 50, auth::SpfOptions{});
  CHECK(spf.on_mail_from(tx).kind == core::Step::Kind::Continue);
  run_dmarc(tx, res, "ceo@example.com");
  CAPTURE(symbols(tx));
  // Today: DMARC_TEMPERROR (score 0, no rule) "_dmarc.example.com: budget" -> delivered.
  CHECK(has(tx, "DMARC_POLICY_REJECT"));
}

TEST_CASE("a DKIM signature whose key name cannot exist is permerror, not temperror", "[dkim]") {
  auto res = review_resolver();
  auto lib = auth::DkimVerifier::create({});
  REQUIRE(lib);
  std::string selector(70, 's');  // one label over 63 octets: no such DNS name
  std::string raw =
      "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=" + selector +
      "; h=from:subject; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; "
      "b=dGhpcyBpcyBub3QgYSByZWFsIHNpZ25hdHVyZSBhdCBhbGwgYnV0IGl0IGlzIGJhc2U2NA==\r\n"
      "From: ceo@example.com\r\nSubject: pay\r\n\r\n";
  dns::Budget budget(res, 50);
  auto v = (*lib)->verify(core::Message(raw), budget);
  REQUIRE(v.results.signatures.size() == 1);
  CAPTURE(v.results.signatures[0].detail);
  // Today: temperror ("key ...: error"), which makes a p=reject DMARC failure of
  // example.com DMARC_TEMPERROR_REJECT (tempfail) instead of DMARC_POLICY_REJECT.
  CHECK(v.results.signatures[0].result == auth::DkimStatus::PermError);
}

TEST_CASE("a message postern signed cannot take a second From or Subject on top", "[dkim]") {
  test::TempDir dir;
  test::DkimKey key = test::make_key(dir, "ed", 0);
  dns::Options o;
  o.forwarders = {"127.0.0.1@9"};
  o.local_data = {"local-zone: \"_domainkey.example.com.\" static",
                  test::txt_line("e._domainkey.example.com", key.record)};
  auto res = dns::Resolver::create(o);
  REQUIRE(res);
  auto lib = auth::DkimVerifier::create({});
  REQUIRE(lib);
  auto signer = auth::DkimSigner::create(
      {{"example.com", "e", auth::DkimAlgorithm::Ed25519Sha256, key.pem_path, false}});
  REQUIRE(signer);
  const std::string msg =
      "From: Alice <alice@example.com>\r\nTo: bob@example.net\r\nSubject: lunch\r\n"
      "Date: Tue, 1 Jul 2025 10:52:37 +0200\r\nMessage-ID: <3@example.com>\r\n\r\nHi.\r\n";
  auto s = (*signer)->sign(core::Message(msg), "example.com");
  REQUIRE(s.signatures.size() == 1);
  const std::string sig = "DKIM-Signature: " + s.signatures[0].value + "\r\n";
  {
    dns::Budget b(*res, 10);
    auto v = (*lib)->verify(core::Message(sig + msg), b);
    REQUIRE(v.results.signatures.size() == 1);
    REQUIRE(v.results.signatures[0].result == auth::DkimStatus::Pass);  // sanity
  }
  // A replay with a forged Subject (or From display) above the signed one, which most
  // MUAs show: the signature must not survive (oversign From/Subject/To/... in h=).
  dns::Budget b(*res, 10);
  auto v = (*lib)->verify(core::Message(sig + "Subject: Urgent: wire the money\r\n" + msg), b);
  REQUIRE(v.results.signatures.size() == 1);
  CHECK(v.results.signatures[0].result != auth::DkimStatus::Pass);
}

TEST_CASE("a From naming more domains than DMARC checks is refused whole", "[dmarc]") {
  auto res = review_resolver();
  auto conn = review_conn();
  auto tx = review_tx(conn);
  std::string from;
  for (int i = 0; i < 8; ++i) from += "x@d" + std::to_string(i) + ".test, ";
  from += "ceo@example.com";
  run_dmarc(tx, res, from);
  CAPTURE(symbols(tx));
  CHECK(has(tx, "DMARC_FROM_DOMAIN_LIMIT"));
  CHECK_FALSE(has(tx, "DMARC_NONE"));
}

TEST_CASE("a From that reads as the victim's domain to anyone is DMARC-checked as it", "[dmarc]") {
  // SPF passes for evil.test, the attacker's own domain; example.com publishes p=reject.
  // In each form a person (and Python's email package) reads ceo@example.com.
  struct Row {
    std::string what, raw_from;
    bool ambiguous;
  };
  const std::vector<Row> rows = {
      {"the reference spoof", "Bank <ceo@example.com>", false},
      {"a second angle address", "Bank <ceo@example.com> <a@evil.test>", true},
      {"whitespace inside the domain", "Bank <ceo@example .com>", true},
      {"an address before an empty angle address", "ceo@example.com <>", false},
      {"a bare CR ends the field for some readers", "ceo@example.com\rX: a@evil.test", true},
      {"an encoded word where the address belongs", "=?utf-8?q?ceo=40example.com?=", true},
      {"an addr-spec glued after the angle address", "<a@evil.test>ceo@example.com", true},
      {"two '@'", "a@evil.test@example.com", true},
      {"a From hidden behind a bare CR in the Subject",
       "a@evil.test\r\nSubject: x\rFrom: ceo@example.com", true},
  };
  auto res = review_resolver();
  for (const auto& r : rows) {
    CAPTURE(r.what);
    auto conn = review_conn();
    auto tx = review_tx(conn);
    spf_pass_for_evil(tx);
    run_dmarc(tx, res, r.raw_from);
    CAPTURE(symbols(tx));
    CHECK(has(tx, "DMARC_POLICY_REJECT"));
    const auto* d = tx.get<auth::DmarcResult>();
    REQUIRE(d);
    CHECK(d->from_domain == "example.com");
    content::HeaderSanityStage sanity;
    sanity.on_message(tx);
    CHECK(has(tx, "HEADER_FROM_AMBIGUOUS") == r.ambiguous);
  }
  // The attacker's own From authenticates: the rows above fail for the spoof alone.
  auto conn = review_conn();
  auto tx = review_tx(conn);
  spf_pass_for_evil(tx);
  run_dmarc(tx, res, "Evil <a@evil.test>");
  CAPTURE(symbols(tx));
  CHECK_FALSE(has(tx, "DMARC_POLICY_REJECT"));
}

TEST_CASE("a From with no domain in any reading is not authenticated", "[dmarc]") {
  auto res = review_resolver();
  for (std::string from : {"Bank Security", "undisclosed-recipients:;", "<>"}) {
    CAPTURE(from);
    auto conn = review_conn();
    auto tx = review_tx(conn);
    run_dmarc(tx, res, from);
    CAPTURE(symbols(tx));
    CHECK(has(tx, "DMARC_PERMERROR"));
    const auto* d = tx.get<auth::DmarcResult>();
    REQUIRE(d);
    CHECK(d->result == auth::DmarcStatus::PermError);
  }
}
