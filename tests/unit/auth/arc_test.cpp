// ARC over lib/dns local zone data: canonicalization, tag lists, chains our sealer makes and the
// verifier checks, the chain rules of RFC 8617 5.2, the stage and the sealing finisher.
#include <fmt/format.h>

#include <catch2/catch.hpp>

#include "auth/arc.hpp"
#include "auth/arc_stage.hpp"
#include "auth/signature.hpp"
#include "core/finisher.hpp"

using namespace postern;
using auth::ArcStatus;
using auth::Canon;

namespace {

// A 1024-bit RSA test key (its public half is rsa._domainkey.seal.example below).
constexpr const char* kRsaPem = R"(-----BEGIN PRIVATE KEY-----
MIICeAIBADANBgkqhkiG9w0BAQEFAASCAmIwggJeAgEAAoGBANUvrjfgH4B561Uk
AL8XdZSMoG2E2EdIiRq9abkbSfbQKNCHFAOsdaK5cv5ZWYiTmM9yW81EltOXfiMG
BwYquPyQ7visHFQQAYs4A6wOS/lYI2CQazA0C9t5xysBI9riKdqoEw/fWdU1A3N+
ILFXgXHkrcOnjeNWIn6+JWdf2a5RAgMBAAECgYEAkFXG23e3fFGPPkaw5q/oYJnR
aDTgBWsbwGnrcXMDYcJPT9eUemRCBNkP/RrbXnenpxPjCZfdkgZoVSgYi1lTghez
/rN7HU+7HY5JKhEy8xKEDmmkUGNg+rEZAWgh5TBCtrwgk3oYskgDO9AJrE1cyhpJ
9A1ZS0OXxqy7WJkDTgECQQDzsv6TVxs+oOXzyILPFQasyiNNEjI1v+EV+4CUg5on
vpiLfstganyeuvAvU+Z5mXI4G2SQmDu16LHcC2XaSt/xAkEA3/JoQ2WTZ/6YsUD7
BPKxWYktxJHIETl5i00jDY3J2hDAaFw2io3E/hR5BOggZOmuRXPauqOnlg3J7SCG
C7wUYQJBAO7OP1No72S+zLfIjA6bPxBBgLg8lYFARzSAYS6ni39Y8Sj5FhikIPx2
mXj3UYllSZ0bkr9yvkhy/x9u998isjECQF2KNP6huNZhQ4oWKENC080gPVuzwKth
JGGJELEinkNVZ+ivS6DH4pZ2Gq5v/sfny4D7CUuX+/HzRHqlcRgJsUECQQC9No4I
fx146CWXClEFccbpsyiX2WzfvY8oHim12dyN7xQRUsjiM9blBlHEAhTHhgOSCOq+
B4jljSXdtXdlTBBE
-----END PRIVATE KEY-----
)";
constexpr const char* kRsaPub =
    "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDVL6434B+AeetVJAC/"
    "F3WUjKBthNhHSIkavWm5G0n20CjQhxQDrHWiuXL"
    "+WVmIk5jPclvNRJbTl34jBgcGKrj8kO74rBxUEAGLOAOsDkv5WCNgkGswNAvbeccrASPa4inaqBMP31nVNQNzfiCxV4Fx5"
    "K"
    "3Dp43jViJ+viVnX9muUQIDAQAB";
constexpr const char* kEdPem = R"(-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIEimqdgdql3uLXJWi1LtNCbs/loQgRVcM25GUDnC4t7W
-----END PRIVATE KEY-----
)";
constexpr const char* kEdPub = "ZoGqYD+AkXpWKHU4SSjJ3KAJiw10rA45qbpgNJBjgw0=";

std::shared_ptr<dns::Resolver> zone() {
  dns::Options o;
  o.timeout = std::chrono::milliseconds(1000);
  o.local_data = {
      "local-zone: \".\" static",  // nothing leaves the process
      std::string("rsa._domainkey.seal.example. IN TXT \"v=DKIM1; k=rsa; p=") + kRsaPub + "\"",
      std::string("ed._domainkey.forward.example. IN TXT \"v=DKIM1; k=ed25519; p=") + kEdPub + "\"",
      "revoked._domainkey.seal.example. IN TXT \"v=DKIM1; k=rsa; p=\"",
  };
  auto r = dns::Resolver::create(o);
  REQUIRE(r.has_value());
  return *r;
}

auth::ArcSealer sealer(const char* pem, const char* domain, const char* selector) {
  auto key = auth::SignatureKey::from_private_pem(pem);
  REQUIRE(key.has_value());
  auth::ArcSealer s;
  s.domain = domain;
  s.selector = selector;
  s.key = std::make_shared<const auth::SignatureKey>(std::move(*key));
  return s;
}

constexpr const char* kArcMessage =
    "Received: from mx.origin.example by relay.example; Mon, 2 Mar 2026 10:00:00 +0000\r\n"
    "From: Alice <alice@origin.example>\r\n"
    "To: list@lists.example\r\n"
    "Subject: quarterly  numbers\r\n"
    "Date: Mon, 2 Mar 2026 09:59:00 +0000\r\n"
    "Message-ID: <1@origin.example>\r\n"
    "MIME-Version: 1.0\r\n"
    "\r\n"
    "Hello team,\r\n"
    "the numbers are in.\r\n";

// The message with an ARC set on top (AS, AMS, AAR from the top down, as the finisher adds them).
core::Message add_set(const core::Message& m, const auth::ArcSet& s) {
  return core::Message("ARC-Seal: " + s.seal + "\r\nARC-Message-Signature: " + s.ams +
                       "\r\nARC-Authentication-Results: " + s.aar + "\r\n" + m.raw());
}

core::Message sealed(const core::Message& m, const auth::ArcSealer& s, ArcStatus cv,
                     int64_t t = 1772445600) {
  auto set = auth::seal_arc(m, "relay.example; spf=pass smtp.mailfrom=origin.example", cv, s, t);
  REQUIRE(set.has_value());
  return add_set(m, *set);
}

auth::ArcResult verify(const core::Message& m, size_t max_queries = 60,
                       auth::ArcVerifyOptions o = {}) {
  static auto res = zone();
  dns::Budget budget(res, max_queries);
  return auth::verify_arc(m, budget, o);
}

// Replaces the first occurrence of `from` in the raw message.
core::Message edit(const core::Message& m, std::string_view from, std::string_view to) {
  std::string raw = m.raw();
  size_t at = raw.find(from);
  REQUIRE(at != std::string::npos);
  raw.replace(at, from.size(), to);
  return core::Message(std::move(raw));
}

// A chain of `n` syntactically complete sets whose signatures are not valid.
std::string fake_sets(unsigned n, const char* newest_cv = "pass") {
  std::string raw;
  for (unsigned i = n; i >= 1; --i) {
    const char* cv = i == 1 ? "none" : (i == n ? newest_cv : "pass");
    raw += fmt::format(
        "ARC-Seal: a=rsa-sha256; b=AAAA; cv={}; d=seal.example; i={}; s=rsa\r\n"
        "ARC-Message-Signature: a=rsa-sha256; b=AAAA; bh=AAAA; d=seal.example; h=from; i={}; "
        "s=rsa\r\n"
        "ARC-Authentication-Results: i={}; relay.example; spf=pass\r\n",
        cv, i, i, i);
  }
  return raw;
}

}  // namespace

TEST_CASE("relaxed and simple canonicalization follow RFC 6376 3.4", "[arc]") {
  struct HeaderRow {
    Canon c;
    const char* name;
    const char* value;
    const char* field;
    const char* want;
  };
  const HeaderRow headers[] = {
      {Canon::Relaxed, "Subject", " Hello \t World  \r\n  again ", "",
       "subject:Hello World again\r\n"},
      {Canon::Relaxed, "SUBJECT ", "x", "", "subject:x\r\n"},
      {Canon::Relaxed, "To", "", "", "to:\r\n"},
      {Canon::Simple, "Subject", " a  b", "Subject: a  b\r\n", "Subject: a  b\r\n"},
      {Canon::Simple, "Subject", " a", "Subject: a\n", "Subject: a\r\n"},
  };
  for (const auto& r : headers) {
    CAPTURE(r.name, r.value);
    CHECK(auth::canon_header(r.c, r.name, r.value, r.field) == r.want);
  }
  struct BodyRow {
    Canon c;
    const char* body;
    const char* want;
  };
  const BodyRow bodies[] = {
      {Canon::Relaxed, "a  b \t\r\n\r\n\r\n", "a b\r\n"},
      {Canon::Relaxed, "", ""},
      {Canon::Relaxed, "\r\n\r\n", ""},
      {Canon::Relaxed, "x", "x\r\n"},
      {Canon::Relaxed, " x\r\n\r\ny \r\n", " x\r\n\r\ny\r\n"},
      {Canon::Relaxed, "bare\nlf\n", "bare\r\nlf\r\n"},
      {Canon::Simple, "", "\r\n"},
      {Canon::Simple, "\r\n\r\n", "\r\n"},
      {Canon::Simple, "a  b \r\n\r\n", "a  b \r\n"},
      {Canon::Simple, " \r\n", " \r\n"},
      {Canon::Simple, "x", "x\r\n"},
  };
  for (const auto& r : bodies) {
    CAPTURE(r.body);
    CHECK(auth::canon_body(r.c, r.body) == r.want);
  }
}

TEST_CASE("tag lists keep RFC 6376 3.2 syntax", "[arc]") {
  struct Row {
    const char* text;
    bool ok;
    const char* tag;
    const char* value;
  };
  const Row rows[] = {
      {"a=1; b=2", true, "b", "2"},
      {" a = 1 ;\r\n\tb=x y ; ", true, "b", "x y"},
      {"a=1;", true, "a", "1"},
      {"a=", true, "a", ""},
      {"w=flarp; a=1", true, "w", "flarp"},
      {"a=1;; b=2", false, nullptr, nullptr},
      {"a=1; a=2", false, nullptr, nullptr},
      {"=1", false, nullptr, nullptr},
      {"1a=1", false, nullptr, nullptr},
      {"a", false, nullptr, nullptr},
      {"a=\x01", false, nullptr, nullptr},
  };
  for (const auto& r : rows) {
    CAPTURE(r.text);
    auto t = auth::TagList::parse(r.text);
    REQUIRE(t.has_value() == r.ok);
    if (r.ok) CHECK(t->get(r.tag) == r.value);
  }
  auto upper = auth::TagList::parse("A=1");
  REQUIRE(upper.has_value());
  CHECK_FALSE(upper->get("a").has_value());  // names are case-sensitive
}

TEST_CASE("a chain our sealer made passes, one instance and two", "[arc]") {
  core::Message m(kArcMessage);
  CHECK(verify(m).cv == ArcStatus::None);

  core::Message one = sealed(m, sealer(kRsaPem, "seal.example", "rsa"), ArcStatus::None);
  auto r1 = verify(one);
  CHECK(r1.cv == ArcStatus::Pass);
  CHECK(r1.instances == 1);
  CHECK(r1.detail == "");

  // A forwarder with an Ed25519 key saw the chain pass, tags the subject (which the first AMS
  // signed, so the first set alone no longer passes) and seals i=2 with cv=pass: only the newest
  // AMS must verify, so the chain passes again.
  core::Message changed = edit(one, "Subject: quarterly  numbers", "Subject: [list] quarterly");
  CHECK(verify(changed).cv == ArcStatus::Fail);
  core::Message two = sealed(changed, sealer(kEdPem, "forward.example", "ed"), ArcStatus::Pass);
  auto r2 = verify(two);
  CHECK(r2.cv == ArcStatus::Pass);
  CHECK(r2.instances == 2);
  CHECK(r2.sealers == std::vector<std::string>{"seal.example", "forward.example"});
  CHECK(r2.newest_sealer() == "forward.example");
}

TEST_CASE("tampering fails the chain", "[arc]") {
  core::Message m(kArcMessage);
  auto s = sealer(kRsaPem, "seal.example", "rsa");
  core::Message one = sealed(m, s, ArcStatus::None);
  core::Message two = sealed(one, s, ArcStatus::Pass, 1772445700);
  REQUIRE(verify(two).cv == ArcStatus::Pass);

  struct Row {
    const char* what;
    const char* from;
    const char* to;
    const char* detail;
  };
  const Row rows[] = {
      {"body", "the numbers are in.", "the numbers are out.", "body hash mismatch"},
      {"signed header", "To: list@lists.example", "To: all@lists.example",
       "ARC-Message-Signature i=2: bad signature"},
      {"newest seal", "cv=pass; d=seal.example; i=2; s=rsa; t=1772445700",
       "cv=pass; d=seal.example; i=2; s=rsa; t=1772445701", "ARC-Seal i=2: bad signature"},
      {"oldest AAR", "i=1; relay.example; spf=pass", "i=1; relay.example; spf=fail",
       "ARC-Seal i=2: bad signature"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.what);
    auto res = verify(edit(two, r.from, r.to));
    CHECK(res.cv == ArcStatus::Fail);
    CHECK_THAT(res.detail, Catch::Contains(r.detail));
    CHECK_FALSE(res.temporary);
  }
}

TEST_CASE("chain structure: gaps, duplicates, cv sequence and the instance limit", "[arc]") {
  core::Message m(kArcMessage);
  auto s = sealer(kRsaPem, "seal.example", "rsa");
  core::Message one = sealed(m, s, ArcStatus::None);
  core::Message two = sealed(one, s, ArcStatus::Pass);
  const std::string& raw = two.raw();
  // The i=2 set alone (the first three fields): a gap at i=1.
  size_t set1 = raw.find("ARC-Seal: a=rsa-sha256", 10);
  size_t end1 = raw.find("Received:");
  std::string only2 = raw.substr(0, set1) + raw.substr(end1);
  std::string dup_aar = "ARC-Authentication-Results: i=1; x.example; spf=none\r\n" + raw;

  struct Row {
    const char* what;
    std::string raw;
    const char* detail;
  };
  const Row rows[] = {
      {"gap", only2, "ARC set i=1 is missing"},
      {"duplicate", dup_aar, "duplicate ARC-Authentication-Results i=1"},
      {"i=1 says pass", sealed(m, s, ArcStatus::Pass).raw(), "i=1 does not say cv=none"},
      {"i=0", edit(one, "i=1; s=rsa", "i=0; s=rsa").raw(), "bad i="},
      {"51 sets", fake_sets(51) + kArcMessage, "i=51 is past the limit of 50 ARC sets"},
      {"i=51", edit(one, "ARC-Seal: a=rsa-sha256; b=", "ARC-Seal: i=51; a=rsa-sha256; b=").raw(),
       "duplicate tag i"},
      {"huge field", "ARC-Seal: x=" + std::string(17000, 'a') + "\r\n" + kArcMessage,
       "longer than 16384 bytes"},
      {"newest says fail", fake_sets(2, "fail") + kArcMessage, "the ARC-Seal i=2 says cv=fail"},
      {"AAR without i=",
       edit(one, "ARC-Authentication-Results: i=1;", "ARC-Authentication-Results:").raw(),
       "does not start with i=N;"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.what);
    auto res = verify(core::Message(r.raw));
    CHECK(res.cv == ArcStatus::Fail);
    CHECK_THAT(res.detail, Catch::Contains(r.detail));
  }
  // The limit is an option too: a two-set chain fails where only one set is allowed.
  auto limited = verify(two, 60, auth::ArcVerifyOptions{.max_instances = 1});
  CHECK(limited.cv == ArcStatus::Fail);
  CHECK_THAT(limited.detail, Catch::Contains("past the limit of 1"));
}

TEST_CASE("keys: missing, revoked and a DNS failure", "[arc]") {
  core::Message m(kArcMessage);
  // Missing: the selector has no record (NXDOMAIN under the static zone).
  auto missing = verify(sealed(m, sealer(kRsaPem, "seal.example", "nokey"), ArcStatus::None));
  CHECK(missing.cv == ArcStatus::Fail);
  CHECK_THAT(missing.detail, Catch::Contains("no key at nokey._domainkey.seal.example"));
  CHECK_FALSE(missing.temporary);

  auto revoked = verify(sealed(m, sealer(kRsaPem, "seal.example", "revoked"), ArcStatus::None));
  CHECK(revoked.cv == ArcStatus::Fail);
  CHECK_THAT(revoked.detail, Catch::Contains("revoked"));

  // The wrong key for the signature: the RSA key signs, the Ed25519 record answers.
  auto wrong = verify(sealed(m, sealer(kRsaPem, "forward.example", "ed"), ArcStatus::None));
  CHECK(wrong.cv == ArcStatus::Fail);
  CHECK_THAT(wrong.detail, Catch::Contains("does not fit"));

  // No query allowed (the message's DNS budget is spent): cv=fail, marked temporary.
  auto spent = verify(sealed(m, sealer(kRsaPem, "seal.example", "rsa"), ArcStatus::None), 0);
  CHECK(spent.cv == ArcStatus::Fail);
  CHECK(spent.temporary);
}

TEST_CASE("sealing refuses a terminated chain, the 50th set and a false cv=none", "[arc]") {
  core::Message m(kArcMessage);
  auto s = sealer(kRsaPem, "seal.example", "rsa");
  auto failed = auth::seal_arc(core::Message(fake_sets(2, "fail") + kArcMessage),
                               "r.example; arc=fail", ArcStatus::Fail, s, 1);
  REQUIRE_FALSE(failed.has_value());
  CHECK_THAT(failed.error(), Catch::Contains("cv=fail at i=2"));

  auto full = auth::seal_arc(core::Message(fake_sets(50) + kArcMessage), "r.example; arc=pass",
                             ArcStatus::Pass, s, 1);
  REQUIRE_FALSE(full.has_value());
  CHECK_THAT(full.error(), Catch::Contains("already has 50 sets"));

  auto none = auth::seal_arc(core::Message(fake_sets(1) + kArcMessage), "r.example; arc=none",
                             ArcStatus::None, s, 1);
  CHECK_FALSE(none.has_value());

  // A broken chain gets a cv=fail set that seals only itself (RFC 8617 5.1.2): it verifies
  // as a structure but the chain stays failed.
  core::Message broken = edit(sealed(m, s, ArcStatus::None), "the numbers are in.", "changed");
  REQUIRE(verify(broken).cv == ArcStatus::Fail);
  auto set = auth::seal_arc(broken, "r.example; arc=fail", ArcStatus::Fail, s, 2);
  REQUIRE(set.has_value());
  CHECK(set->instance == 2);
  CHECK_THAT(set->seal, Catch::Contains("cv=fail"));
  auto after = verify(add_set(broken, *set));
  CHECK(after.cv == ArcStatus::Fail);
  CHECK_THAT(after.detail, Catch::Contains("i=2 says cv=fail"));
}

TEST_CASE("the arc stage reports the chain and the finisher seals what postern changed", "[arc]") {
  static auto res = zone();
  auth::ArcStage stage(res, 20, {});
  core::ConnectionInfo conn;
  conn.client_address = "192.0.2.1";
  auto s = sealer(kRsaPem, "seal.example", "rsa");

  struct Row {
    core::Message msg;
    core::Direction dir;
    const char* symbol;
  };
  core::Message plain(kArcMessage);
  const Row rows[] = {
      {plain, core::Direction::Inbound, "ARC_NONE"},
      {sealed(plain, s, ArcStatus::None), core::Direction::Inbound, "ARC_PASS"},
      {edit(sealed(plain, s, ArcStatus::None), "in.", "out."), core::Direction::Inbound,
       "ARC_FAIL"},
      {plain, core::Direction::Outbound, nullptr},
      {core::Message(kArcMessage, 1 << 20, true), core::Direction::Inbound, nullptr},  // truncated
  };
  for (const auto& r : rows) {
    CAPTURE(r.symbol ? r.symbol : "none");
    core::Transaction tx(
        conn, r.dir, core::Limits{}, [](std::string_view, double d) { return d; }, "id");
    tx.set_message(r.msg);
    CHECK(stage.on_message(tx).kind == core::Step::Kind::Continue);
    if (!r.symbol) {
      CHECK(tx.findings().empty());
      CHECK(tx.get<auth::ArcResult>() == nullptr);
      continue;
    }
    REQUIRE(tx.findings().size() == 1);
    CHECK(tx.findings()[0].symbol == r.symbol);
    CHECK(tx.get<auth::ArcResult>() != nullptr);
  }

  // The finisher: a tagged subject is sealed (the A-R addition recorded), an untouched message
  // is not (seal = "modified"), and the delivered message verifies with the new set on top.
  core::Message in = sealed(plain, s, ArcStatus::None);
  core::Transaction tx(
      conn, core::Direction::Inbound, core::Limits{}, [](std::string_view, double d) { return d; },
      "id");
  tx.set_message(in);
  stage.on_message(tx);
  auth::ArcSealFinisher fin(sealer(kEdPem, "forward.example", "ed"), false, "gw.example",
                            [] { return int64_t{1772449200}; });

  core::Outcome untouched;
  untouched.added.push_back({"Authentication-Results", "gw.example; arc=pass", true});
  fin.finish(tx, core::apply_edits(in, untouched), untouched);
  CHECK(untouched.added.size() == 1);

  core::Outcome out;
  out.added.push_back({"Authentication-Results", "gw.example; arc=pass", true});
  out.new_subject = "[SPAM] quarterly numbers";
  fin.finish(tx, core::apply_edits(in, out), out);
  REQUIRE(out.added.size() == 4);
  CHECK(out.added[1].name == "ARC-Authentication-Results");
  CHECK(out.added[1].value == "i=2; gw.example; arc=pass");
  CHECK(out.added[2].name == "ARC-Message-Signature");
  CHECK(out.added[3].name == "ARC-Seal");
  CHECK_THAT(out.added[3].value, Catch::Contains("cv=pass") && Catch::Contains("t=1772449200"));
  for (const auto& a : out.added) CHECK(a.at_top);

  core::Message delivered = core::apply_edits(in, out);
  CHECK(delivered.headers()[0].name == "ARC-Seal");
  auto r = verify(delivered);
  CHECK(r.cv == ArcStatus::Pass);
  CHECK(r.instances == 2);

  // A new body alone (a banner, rewritten links) is a change postern seals over too.
  core::Outcome body;
  body.added.push_back({"Authentication-Results", "gw.example; arc=pass", true});
  body.new_body = "links rewritten\r\n";
  fin.finish(tx, core::apply_edits(in, body), body);
  REQUIRE(body.added.size() == 4);
  CHECK(verify(core::apply_edits(in, body)).cv == ArcStatus::Pass);

  // A message cut at the size limit is never sealed: its AMS would sign a body that never leaves.
  core::Outcome cut;
  cut.new_subject = "x";
  fin.finish(tx, core::Message(in.raw(), 1 << 20, true), cut);
  CHECK(cut.added.empty());

  // Without an A-R addition the AAR records "<authserv-id>; arc=<cv>".
  core::Outcome bare;
  bare.new_subject = "x";
  fin.finish(tx, core::apply_edits(in, bare), bare);
  REQUIRE(bare.added.size() == 3);
  CHECK(bare.added[0].value == "i=2; gw.example; arc=pass");
}
