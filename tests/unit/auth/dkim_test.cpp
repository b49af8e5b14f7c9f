// DKIM verification and signing through libopendkim, keys from lib/dns local zone data.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include "auth/dkim.hpp"
#include "core/address.hpp"
#include "support/dkim_keys.hpp"
#include "support/files.hpp"
#include "support/lsan.hpp"
#include "support/silent_server.hpp"

#define _Bool bool
#include <dkim.h>
#undef _Bool

using namespace postern;
using auth::DkimStatus;

namespace {

using postern::test::slurp;

std::string crlf(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) out += '\r';
    out += text[i];
  }
  return out;
}

std::shared_ptr<dns::Resolver> resolver(std::vector<std::string> lines) {
  dns::Options o;
  o.forwarders = {"127.0.0.1@9"};
  o.timeout = std::chrono::milliseconds(300);
  o.local_data = std::move(lines);
  auto r = dns::Resolver::create(o);
  REQUIRE(r);
  return *r;
}

// Local data for key records {name, record}: a static zone per _domainkey parent.
std::vector<std::string> zone(const std::vector<std::pair<std::string, std::string>>& keys) {
  std::vector<std::string> zones, data;
  for (const auto& [name, rec] : keys) {
    std::string z = "local-zone: \"" + name.substr(name.find("_domainkey.")) + ".\" static";
    if (std::find(zones.begin(), zones.end(), z) == zones.end()) zones.push_back(z);
    data.push_back(test::txt_line(name, rec));
  }
  zones.insert(zones.end(), data.begin(), data.end());
  return zones;
}

auth::DkimVerification verify(const std::string& raw, const std::vector<std::string>& data,
                              auth::DkimOptions o = {}, size_t budget = 50) {
  auto lib = auth::DkimVerifier::create(o);
  REQUIRE(lib);
  dns::Budget b(resolver(data), budget);
  return (*lib)->verify(core::Message(raw), b);
}

const std::string kCorpus = POSTERN_CORPUS_DIR "/auth/dkim/";

// A mail-auth corpus file: "<name> <record>" lines, a blank line, the message.
std::pair<std::vector<std::string>, std::string> mail_auth(const std::string& file) {
  std::string text = slurp(kCorpus + "mail-auth/" + file);
  size_t split = text.find("\n\n");
  std::vector<std::pair<std::string, std::string>> keys;
  std::istringstream recs(text.substr(0, split));
  for (std::string line; std::getline(recs, line);)
    keys.push_back({line.substr(0, line.find(' ')), line.substr(line.find(' ') + 1)});
  return {zone(keys), crlf(text.substr(split + 2))};
}

std::string first_line(const std::string& path) {
  std::string s = slurp(path);
  return s.substr(0, s.find('\n'));
}

const std::string kMessage =
    "From: Alice <alice@example.com>\r\n"
    "To: bob@example.net\r\n"
    "Subject: lunch\r\n"
    "Date: Tue, 1 Jul 2025 10:52:37 +0200\r\n"
    "Message-ID: <1@example.com>\r\n"
    "\r\n"
    "Shall we meet at noon?\r\n"
    "  Alice\r\n";

// Signs `raw` with libopendkim directly (independent of DkimSigner): any algorithm, and l=
// when `length` >= 0. Returns the message with the DKIM-Signature field on top.
std::string sign_raw(const std::string& raw, const test::DkimKey& key, const std::string& domain,
                     const std::string& selector, dkim_alg_t alg, ssize_t length = -1) {
  const test::LeaksIgnored libopendkim_leaks_its_signing_key;
  DKIM_LIB* lib = dkim_init(nullptr, nullptr);
  REQUIRE(lib);
  u_int min_bits = 1;  // libopendkim refuses to sign with keys under 1024 bits by default
  dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_MINKEYBITS, &min_bits, sizeof min_bits);
  std::string pem = slurp(key.pem_path);
  DKIM_STAT st;
  DKIM* d = dkim_sign(lib, reinterpret_cast<const u_char*>("t"), nullptr,
                      reinterpret_cast<dkim_sigkey_t>(pem.data()),
                      reinterpret_cast<const u_char*>(selector.c_str()),
                      reinterpret_cast<const u_char*>(domain.c_str()), DKIM_CANON_RELAXED,
                      DKIM_CANON_RELAXED, alg, length, &st);
  REQUIRE(d);
  std::string copy = raw;
  dkim_chunk(d, reinterpret_cast<u_char*>(copy.data()), copy.size());
  dkim_chunk(d, nullptr, 0);
  REQUIRE(dkim_eom(d, nullptr) == DKIM_STAT_OK);
  u_char* buf = nullptr;
  size_t len = 0;
  REQUIRE(dkim_getsighdr_d(d, 16, &buf, &len) == DKIM_STAT_OK);
  std::string value(reinterpret_cast<char*>(buf), len);
  dkim_free(d);
  dkim_close(lib);
  std::string folded;
  for (char c : value) {
    if (c == '\n') folded += '\r';
    folded += c;
  }
  return "DKIM-Signature: " + folded + "\r\n" + raw;
}

std::string replace(std::string s, const std::string& from, const std::string& to) {
  size_t p = s.find(from);
  REQUIRE(p != std::string::npos);
  return s.replace(p, from.size(), to);
}

// The b= value of the first DKIM-Signature in `raw` (its field is on top), whitespace removed.
std::string b_of(const std::string& raw) {
  size_t p = 0;
  while ((p = raw.find("b=", p + 1)) != std::string::npos)
    if (raw[p - 1] == ' ' || raw[p - 1] == '\t' || raw[p - 1] == ';') break;
  std::string b;
  for (size_t i = p + 2; i < raw.size() && raw[i] != ';'; ++i) {
    if (raw.compare(i, 2, "\r\n") == 0 && raw[i + 2] != ' ' && raw[i + 2] != '\t') break;
    if (!std::isspace(static_cast<unsigned char>(raw[i]))) b += raw[i];
  }
  return b;
}

using test::SilentServer;

// Keys made once per run: RSA 512, 1024, 2048 and ed25519, published under example.com.
struct Keys {
  test::TempDir dir;
  test::DkimKey rsa512 = test::make_key(dir, "rsa512", 512);
  test::DkimKey rsa1024 = test::make_key(dir, "rsa1024", 1024);
  test::DkimKey rsa2048 = test::make_key(dir, "rsa2048", 2048);
  test::DkimKey ed = test::make_key(dir, "ed", 0);
  std::vector<std::string> data = zone({{"s512._domainkey.example.com", rsa512.record},
                                        {"s1024._domainkey.example.com", rsa1024.record},
                                        {"s2048._domainkey.example.com", rsa2048.record},
                                        {"sed._domainkey.example.com", ed.record},
                                        {"bad._domainkey.example.com", "v=DKIM1; k=rsa; p=!!"}});
};
const Keys& keys() {
  static Keys k;
  return k;
}

}  // namespace

TEST_CASE("canonical body length, simple and relaxed (RFC 6376 3.4.3, 3.4.4)", "[dkim]") {
  struct Row {
    std::string body;
    size_t simple, relaxed;
  };
  for (const auto& r : std::vector<Row>{{"", 2, 0},
                                        {"\r\n\r\n", 2, 0},
                                        {"hi\r\n", 4, 4},
                                        {"hi\r\n\r\n\r\n", 4, 4},
                                        {"hi", 4, 4},
                                        {"a  \t b \r\n", 9, 5},
                                        {" a\r\n \r\n", 7, 4}}) {
    INFO(r.body);
    CHECK(auth::dkim_canonical_body_length(r.body, false) == r.simple);
    CHECK(auth::dkim_canonical_body_length(r.body, true) == r.relaxed);
  }
}

TEST_CASE("the mail-auth corpus: each signature gets its own result", "[dkim][corpus]") {
  struct Want {
    DkimStatus result;
    std::string domain, selector, algorithm, b, detail;
  };
  struct Row {
    std::string file;
    std::vector<Want> want;
  };
  const auto P = DkimStatus::Pass;
  for (const auto& r : std::vector<Row>{
           // RFC 8463's example: ed25519-sha256 and rsa-sha256 over the same message
           {"001.txt",
            {{P, "football.example.com", "brisbane", "ed25519-sha256", "/gCrinpc", ""},
             {P, "football.example.com", "test", "rsa-sha256", "F45dVWDf", ""}}},
           // simple/simple; the key record's p= is a bare PKCS#1 RSAPublicKey
           {"002.txt", {{P, "example.com", "newengland", "rsa-sha256", "Xh4Ujb2w", ""}}},
           // the same signature twice (a list re-signing)
           {"003.txt",
            {{P, "ietf.org", "ietf1", "rsa-sha256", "QmIyawDU", ""},
             {P, "ietf.org", "ietf1", "rsa-sha256", "QmIyawDU", ""}}},
           {"004.txt", {{P, "facebookmail.com", "s1024-2013-q3", "rsa-sha256", "gKG3clzi", ""}}},
           // x= lies in the past: RFC 6376 6.1.1 PERMFAIL
           {"005.txt",
            {{DkimStatus::PermError, "topicbox.com", "sysmsg-1", "rsa-sha256", "sEM2Pfv1",
              "expired"}}},
           {"006.txt", {{P, "github.com", "dk2016", "rsa-sha256", "wLrCCki4", ""}}},
       }) {
    INFO(r.file);
    auto [data, raw] = mail_auth(r.file);
    auto v = verify(raw, data);
    REQUIRE(v.results.signatures.size() == r.want.size());
    for (size_t i = 0; i < r.want.size(); ++i) {
      const auto& got = v.results.signatures[i];
      const auto& w = r.want[i];
      INFO(i << ": " << to_string(got.result) << " " << got.detail);
      CHECK(got.result == w.result);
      CHECK(got.domain == w.domain);
      CHECK(got.selector == w.selector);
      CHECK(got.algorithm == w.algorithm);
      CHECK(got.b == w.b);
      CHECK(got.detail.find(w.detail) != std::string::npos);
      CHECK(got.counts_for_dmarc() == (w.result == P));
    }
  }
}

TEST_CASE("the dkimpy corpus: messages against their key records", "[dkim][corpus]") {
  std::string d = kCorpus + "dkimpy/data/";
  struct Row {
    std::string message, key_name, record_file;
    std::vector<DkimStatus> want;
    std::string detail;  // of the last signature
  };
  const auto P = DkimStatus::Pass;
  const std::string test_key = "test._domainkey.football.example.com";
  for (const auto& r : std::vector<Row>{
           {"rfc6376.signed.rsa.msg", test_key, "test.txt", {P}, ""},
           // Exim's ed25519 test message and key (a folded d= tag)
           {"ed25519test2.msg", "sed._domainkey.test.ex", "eximtest.dns", {P}, ""},
           // the ed25519 record of another key: the signature does not verify
           {"ed25519test2.msg",
            "sed._domainkey.test.ex",
            "ed25519test.dns",
            {DkimStatus::Fail},
            "signature mismatch"},
           // another RSA key than the one that signed
           {"rfc6376.signed.rsa.msg",
            test_key,
            "1024_testkey_wo_markers.pub.txt",
            {DkimStatus::Fail},
            "signature mismatch"},
           // broken key records: k= names a hash, "v=DKIM1:", a truncated p=
           {"rfc6376.signed.rsa.msg",
            test_key,
            "badk.txt",
            {DkimStatus::PermError},
            "unknown key type k=ed25519-sha256"},
           {"rfc6376.signed.rsa.msg",
            test_key,
            "badversion.txt",
            {DkimStatus::PermError},
            "bad key record version"},
           {"rfc6376.signed.rsa.msg",
            test_key,
            "test_bad.txt",
            {DkimStatus::PermError},
            "key record p= is not a public key"},
       }) {
    INFO(r.message << " with " << r.record_file);
    auto v =
        verify(crlf(slurp(d + r.message)), zone({{r.key_name, first_line(d + r.record_file)}}));
    REQUIRE(v.results.signatures.size() == r.want.size());
    for (size_t i = 0; i < r.want.size(); ++i) {
      INFO(v.results.signatures[i].detail);
      CHECK(v.results.signatures[i].result == r.want[i]);
    }
    const std::string& detail = v.results.signatures.back().detail;
    if (r.detail.empty())
      CHECK(detail.empty());
    else
      CHECK(detail.find(r.detail) != std::string::npos);
  }
}

TEST_CASE("signatures made with generated keys: RFC 6376, 8301, 8463 results", "[dkim]") {
  const Keys& k = keys();
  struct Row {
    std::string name;
    const test::DkimKey* key;
    std::string selector;
    dkim_alg_t alg;
    std::function<std::string(std::string)> mutate;  // applied to the signed message
    auth::DkimOptions options;
    DkimStatus want;
    std::string detail;
  };
  auto same = [](std::string s) { return s; };
  auto body = [](std::string s) { return replace(s, "noon", "one"); };
  auto header = [](std::string s) { return replace(s, "Subject: lunch", "Subject: lunch!"); };
  auth::DkimOptions sha1_ok;
  sha1_ok.allow_rsa_sha1 = true;
  auth::DkimOptions strict;
  strict.min_key_bits = 2048;
  const auto S256 = DKIM_SIGN_RSASHA256, ED = DKIM_SIGN_ED25519SHA256;
  for (const auto& r : std::vector<Row>{
           {"rsa 2048", &k.rsa2048, "s2048", S256, same, {}, DkimStatus::Pass, ""},
           {"rsa 1024", &k.rsa1024, "s1024", S256, same, {}, DkimStatus::Pass, ""},
           {"ed25519", &k.ed, "sed", ED, same, {}, DkimStatus::Pass, ""},
           {"body changed (the header hash still verifies)",
            &k.rsa2048,
            "s2048",
            S256,
            body,
            {},
            DkimStatus::Fail,
            "body hash mismatch"},
           {"ed25519 body changed",
            &k.ed,
            "sed",
            ED,
            body,
            {},
            DkimStatus::Fail,
            "body hash mismatch"},
           {"signed header changed",
            &k.rsa2048,
            "s2048",
            S256,
            header,
            {},
            DkimStatus::Fail,
            "signature mismatch"},
           {"rsa-sha1",
            &k.rsa2048,
            "s2048",
            DKIM_SIGN_RSASHA1,
            same,
            {},
            DkimStatus::Fail,
            "rsa-sha1"},
           {"rsa-sha1 allowed", &k.rsa2048, "s2048", DKIM_SIGN_RSASHA1, same, sha1_ok,
            DkimStatus::Pass, ""},
           {"512-bit key",
            &k.rsa512,
            "s512",
            S256,
            same,
            {},
            DkimStatus::PermError,
            "key too short: 512 bits"},
           {"1024-bit key under min_key_bits 2048", &k.rsa1024, "s1024", S256, same, strict,
            DkimStatus::PermError, "key too short: 1024 bits"},
           {"no key record",
            &k.rsa2048,
            "gone",
            S256,
            same,
            {},
            DkimStatus::PermError,
            "no key at gone._domainkey.example.com"},
           {"undecodable key record",
            &k.rsa2048,
            "bad",
            S256,
            same,
            {},
            DkimStatus::PermError,
            "key record p= is not base64"},
       }) {
    INFO(r.name);
    std::string raw = r.mutate(sign_raw(kMessage, *r.key, "example.com", r.selector, r.alg));
    auto v = verify(raw, k.data, r.options);
    REQUIRE(v.results.signatures.size() == 1);
    const auto& got = v.results.signatures[0];
    INFO(to_string(got.result) << ": " << got.detail);
    CHECK(got.result == r.want);
    if (r.detail.empty())  // "" is no detail (a pass), never "anything"
      CHECK(got.detail.empty());
    else
      CHECK(got.detail.find(r.detail) != std::string::npos);
    CHECK(got.domain == "example.com");
    CHECK(got.selector == r.selector);
    CHECK(got.b == b_of(raw).substr(0, 8));
    CHECK(got.algorithm == (r.alg == ED     ? "ed25519-sha256"
                            : r.alg == S256 ? "rsa-sha256"
                                            : "rsa-sha1"));
    CHECK(got.counts_for_dmarc() == (r.want == DkimStatus::Pass));
  }
}

TEST_CASE("a DKIM signature with l= shorter than the body does not count for DMARC", "[dkim]") {
  const Keys& k = keys();
  size_t full = auth::dkim_canonical_body_length(core::Message(kMessage).body(), true);
  struct Row {
    std::string name;
    ssize_t length;
    std::string appended;
    bool limited;
  };
  for (const auto& r : std::vector<Row>{
           {"l= covers the whole body", static_cast<ssize_t>(full), "", false},
           {"l= covers part of the body", 10, "", true},
           {"text appended after signing", static_cast<ssize_t>(full), "Click here!\r\n", true},
       }) {
    INFO(r.name);
    std::string raw =
        sign_raw(kMessage, k.rsa2048, "example.com", "s2048", DKIM_SIGN_RSASHA256, r.length) +
        r.appended;
    auto v = verify(raw, k.data);
    REQUIRE(v.results.signatures.size() == 1);
    const auto& got = v.results.signatures[0];
    CHECK(got.result == DkimStatus::Pass);
    CHECK(got.body_length_limited == r.limited);
    CHECK(got.counts_for_dmarc() == !r.limited);
  }
}

TEST_CASE("key lookups that time out or exceed the budget are temperror", "[dkim]") {
  const Keys& k = keys();
  SilentServer silent;
  dns::Options o;
  o.forwarders = {"127.0.0.1@" + std::to_string(silent.port)};
  o.timeout = std::chrono::milliseconds(200);
  o.local_data = {"local-zone: \"slow.example.\" transparent"};
  auto res = dns::Resolver::create(o);
  REQUIRE(res);
  auto lib = auth::DkimVerifier::create({});
  REQUIRE(lib);
  std::string raw = sign_raw(kMessage, k.rsa2048, "slow.example", "s1", DKIM_SIGN_RSASHA256);
  dns::Budget b(*res, 50);
  auto v = (*lib)->verify(core::Message(raw), b);
  REQUIRE(v.results.signatures.size() == 1);
  CHECK(v.results.signatures[0].result == DkimStatus::TempError);
  CHECK(v.results.signatures[0].detail.find("timeout") != std::string::npos);

  auto spent = verify(sign_raw(kMessage, k.rsa2048, "example.com", "s2048", DKIM_SIGN_RSASHA256),
                      k.data, {}, 0);
  REQUIRE(spent.results.signatures.size() == 1);
  CHECK(spent.results.signatures[0].result == DkimStatus::TempError);
  CHECK(spent.results.signatures[0].detail.find("budget") != std::string::npos);
}

TEST_CASE(
    "the key lookups of all signatures are in flight together: eight silent keys cost one "
    "timeout, and the budget bounds how many are asked",
    "[dkim][dns]") {
  const Keys& k = keys();
  // Eight signatures, each with its own selector under a zone whose server never answers.
  std::string raw = kMessage;
  std::set<std::string> names;
  for (int i = 0; i < 8; ++i) {
    std::string sel = "k" + std::to_string(i);
    raw = sign_raw(raw, k.ed, "slow.example", sel, DKIM_SIGN_ED25519SHA256);
    names.insert(sel + "._domainkey.slow.example");
  }
  auto lib = auth::DkimVerifier::create({});
  REQUIRE(lib);
  const auto timeout = std::chrono::milliseconds(300);
  struct Row {
    size_t budget;
    size_t asked;  // lookups sent (the rest exceed the budget)
  };
  for (Row r : {Row{50, 8}, Row{3, 3}, Row{0, 0}}) {
    CAPTURE(r.budget);
    SilentServer silent;
    dns::Options o;
    o.forwarders = {"127.0.0.1@" + std::to_string(silent.port)};
    o.timeout = timeout;
    o.local_data = {"local-zone: \"slow.example.\" transparent"};
    auto res = dns::Resolver::create(o);
    REQUIRE(res);
    dns::Budget b(*res, r.budget);
    auto t0 = std::chrono::steady_clock::now();
    auto v = (*lib)->verify(core::Message(raw), b);
    auto took = std::chrono::steady_clock::now() - t0;
    // One resolver timeout in all: the lookups overlap (serial lookups would take 8 x 300 ms).
    CHECK(took < 2 * timeout);
    CHECK(b.used() == r.asked);
    REQUIRE(v.results.signatures.size() == 8);
    size_t timeouts = 0, spent = 0;
    for (const auto& sig : v.results.signatures) {
      CAPTURE(sig.selector, sig.detail);
      CHECK(sig.result == DkimStatus::TempError);
      timeouts += sig.detail.find("timeout") != std::string::npos;
      spent += sig.detail.find("budget") != std::string::npos;
    }
    CHECK(timeouts == r.asked);
    CHECK(spent == 8 - r.asked);
    // Every lookup made reached the server: none was skipped or answered from elsewhere.
    std::set<std::string> got = silent.received_names();
    CHECK(got.size() == r.asked);
    for (const auto& n : got) CHECK(names.contains(n));
  }
}

TEST_CASE("several signatures each get their own result, in message order, up to the bound",
          "[dkim]") {
  const Keys& k = keys();
  // Each signing puts its field on top: the last one signed comes first.
  std::string raw = sign_raw(kMessage, k.rsa2048, "example.com", "gone", DKIM_SIGN_RSASHA256);
  raw = sign_raw(raw, k.ed, "example.com", "sed", DKIM_SIGN_ED25519SHA256);
  raw = sign_raw(raw, k.rsa2048, "example.com", "s2048", DKIM_SIGN_RSASHA256);
  auto v = verify(raw, k.data);
  CHECK(v.signatures_seen == 3);
  CHECK_FALSE(v.limited);
  REQUIRE(v.results.signatures.size() == 3);
  CHECK(v.results.signatures[0].selector == "s2048");
  CHECK(v.results.signatures[0].result == DkimStatus::Pass);
  CHECK(v.results.signatures[1].selector == "sed");
  CHECK(v.results.signatures[1].result == DkimStatus::Pass);
  CHECK(v.results.signatures[2].selector == "gone");
  CHECK(v.results.signatures[2].result == DkimStatus::PermError);

  auth::DkimOptions two;
  two.max_signatures = 2;
  auto bounded = verify(raw, k.data, two);
  CHECK(bounded.signatures_seen == 3);
  CHECK(bounded.limited);
  REQUIRE(bounded.results.signatures.size() == 2);
  CHECK(bounded.results.signatures[1].selector == "sed");
}

TEST_CASE("no signature, an unparsable one, and a truncated message", "[dkim]") {
  const Keys& k = keys();
  auto none = verify(kMessage, k.data);
  CHECK(none.results.signatures.empty());
  CHECK(none.signatures_seen == 0);

  auto junk = verify("DKIM-Signature: v=1; a=rsa-sha256; garbage\r\n" + kMessage, k.data);
  REQUIRE(junk.results.signatures.size() == 1);
  CHECK(junk.results.signatures[0].result == DkimStatus::PermError);

  auto lib = auth::DkimVerifier::create({});
  REQUIRE(lib);
  std::string raw = sign_raw(kMessage, k.rsa2048, "example.com", "s2048", DKIM_SIGN_RSASHA256);
  dns::Budget b(resolver(k.data), 50);
  auto cut = (*lib)->verify(core::Message(raw, raw.size() * 2, true), b);
  REQUIRE(cut.results.signatures.size() == 1);
  CHECK(cut.results.signatures[0].result == DkimStatus::Neutral);
  CHECK(b.used() == 0);
}

TEST_CASE("DkimSigner refuses key files it cannot use, naming the file", "[dkim][sign]") {
  const Keys& k = keys();
  auto lib = auth::DkimVerifier::create({});
  REQUIRE(lib);
  std::string junk = k.dir.write("junk.pem", "not a key\n");
  using A = auth::DkimAlgorithm;
  struct Row {
    std::string file;
    A alg;
    std::string error;
  };
  for (const auto& r : std::vector<Row>{
           {k.dir.str() + "/missing.pem", A::RsaSha256, "cannot read key file"},
           {junk, A::RsaSha256, "not an unencrypted PEM private key"},
           {k.ed.pem_path, A::RsaSha256, "not an RSA key"},
           {k.rsa2048.pem_path, A::Ed25519Sha256, "not an ed25519 key"},
           {k.rsa512.pem_path, A::RsaSha256, "RSA key of 512 bits"},
       }) {
    auto s = auth::DkimSigner::create({{"example.com", "s", r.alg, r.file, false}});
    REQUIRE_FALSE(s);
    CHECK(s.error().find(r.file) != std::string::npos);
    CHECK(s.error().find(r.error) != std::string::npos);
  }
}

TEST_CASE("DkimSigner signs with corpus keys (PKCS#1 and PKCS#8) that verify", "[dkim][sign]") {
  std::string d = kCorpus + "dkimpy/data/";
  auto lib = auth::DkimVerifier::create({});
  REQUIRE(lib);
  struct Row {
    std::string key, record;
  };
  for (const auto& r :
       std::vector<Row>{{"test.private", "test.txt"},
                        {"2048_testkey.key", "2048_testkey_wo_markers.pub.txt"},
                        // a bare PKCS#1 public key in p=
                        {"2048_testkey.key", "2048_testkey_wo_markers.pub.rsa.txt"},
                        {"2048_testkey_PKCS8.key", "2048_testkey_PKCS8.key.pub.txt"}}) {
    INFO(r.key << " with " << r.record);
    auto s = auth::DkimSigner::create(
        {{"example.com", "test", auth::DkimAlgorithm::RsaSha256, d + r.key, false}});
    REQUIRE(s);
    std::string raw = crlf(slurp(d + "test.message"));
    auto out = (*s)->sign(core::Message(raw), "example.com");
    CHECK(out.errors.empty());
    REQUIRE(out.signatures.size() == 1);
    auto v = verify("DKIM-Signature: " + out.signatures[0].value + "\r\n" + raw,
                    zone({{"test._domainkey.example.com", first_line(d + r.record)}}));
    REQUIRE(v.results.signatures.size() == 1);
    INFO(v.results.signatures[0].detail);
    CHECK(v.results.signatures[0].result == DkimStatus::Pass);
  }
}

TEST_CASE("DkimSigner: rsa-sha256 and ed25519 at once, relaxed/relaxed, one line, no l=",
          "[dkim][sign]") {
  const Keys& k = keys();
  auto lib = auth::DkimVerifier::create({});
  REQUIRE(lib);
  using A = auth::DkimAlgorithm;
  auto s =
      auth::DkimSigner::create({{"example.com", "s2048", A::RsaSha256, k.rsa2048.pem_path, true},
                                {"Example.COM", "sed", A::Ed25519Sha256, k.ed.pem_path, false}});
  REQUIRE(s);
  auto out = (*s)->sign(core::Message(kMessage), "example.com");
  REQUIRE(out.signatures.size() == 2);
  std::string signed_raw = kMessage;
  for (const auto& sig : out.signatures) {
    CHECK(sig.value.find_first_of("\r\n") == std::string::npos);
    CHECK(sig.value.find("c=relaxed/relaxed") != std::string::npos);
    CHECK(sig.value.find(" l=") == std::string::npos);
    // the displayed fields are oversigned: each listed once more than it occurs
    CHECK(sig.value.find("h=From:From:To:To:Cc:Subject:Subject:Date:Date:Message-ID:Message-ID:"
                         "Reply-To") != std::string::npos);
    signed_raw = "DKIM-Signature: " + sig.value + "\r\n" + signed_raw;
  }
  CHECK(out.signatures[0].value.find("a=rsa-sha256") != std::string::npos);
  CHECK(out.signatures[1].value.find("a=ed25519-sha256") != std::string::npos);
  auto v = verify(signed_raw, k.data);
  REQUIRE(v.results.signatures.size() == 2);
  for (const auto& sig : v.results.signatures) CHECK(sig.counts_for_dmarc());

  // Which From domains each key signs for.
  struct Row {
    std::string from;
    size_t signatures;
  };
  for (const auto& r : std::vector<Row>{{"EXAMPLE.com", 2},
                                        {"mail.example.com", 1},  // only the key with subdomains
                                        {"badexample.com", 0},
                                        {"example.org", 0}}) {
    INFO(r.from);
    CHECK((*s)->sign(core::Message(kMessage), r.from).signatures.size() == r.signatures);
    CHECK((*s)->has_key_for(core::to_lower(r.from)) == (r.signatures > 0));
  }
}
