// S/MIME messages: encryption that OpenSSL (in-process and the `openssl cms` binary)
// decrypts back to the original entity, signatures `openssl cms -verify` accepts, and
// the verification of good, tampered, wrong-signer, untrusted and garbage signatures.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>
#include <vector>

#include "core/message.hpp"
#include "mime/decode.hpp"
#include "smime/message.hpp"
#include "support/files.hpp"
#include "support/smime_pki.hpp"
#include "support/temp_dir.hpp"

using namespace postern;

namespace {

const std::string kOuter =
    "Received: from client.example.com by mx.example.com; Fri, 4 Dec 2026 10:00:00 +0000\r\n"
    "From: Sam Sender <sam@example.com>\r\n"
    "To: alice@partner.example\r\n"
    "Subject: quarterly numbers\r\n"
    "Date: Fri, 4 Dec 2026 10:00:00 +0000\r\n"
    "Message-ID: <q4@example.com>\r\n"
    "MIME-Version: 1.0\r\n";

const std::string kEntity =
    "Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
    "\r\n"
    "--b1\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: 8bit\r\n"
    "\r\n"
    "Card 4111 1111 1111 1111, d\xc3\xa9j\xc3\xa0 vu.\r\n"
    "--b1\r\n"
    "Content-Type: text/csv; name=\"x.csv\"\r\n"
    "Content-Disposition: attachment; filename=\"x.csv\"\r\n"
    "\r\n"
    "a,b\r\n"
    "--b1--\r\n";

std::string sample() {
  return kOuter + kEntity;
}

smime::SigningKey load_key(const test::Issued& i) {
  auto k = smime::SigningKey::load(i.cert, i.key, "");
  if (!k) FAIL(k.error());
  return *k;
}

smime::Certificate load_cert(const std::string& path) {
  auto c = smime::Certificate::from_pem_file(path);
  if (!c) FAIL(c.error());
  return c->front();
}

// Runs a shell command; its exit status.
int run(const std::string& cmd) {
  return std::system((cmd + " 2>/dev/null").c_str());
}

struct Fixture {
  test::TempDir tmp;
  test::Pki pki{tmp.path() / "pki"};
  test::Issued alice = pki.issue("alice", test::CertSpec().email("alice@partner.example"));
  test::Issued bob = pki.issue("bob", test::CertSpec().email("bob@partner.example").ec_key());
  test::Issued sam = pki.issue("sam", test::CertSpec().email("sam@example.com"));
  std::shared_ptr<const smime::TrustStore> trust = [&] {
    auto t = smime::TrustStore::load(pki.ca_file(), "");
    if (!t) FAIL(t.error());
    return *t;
  }();
};

// The decoded DER of an encrypted message's body.
std::string der_of(const std::string& msg) {
  core::Message m(msg);
  mime::DecodeStats st;
  return mime::decode_base64(m.body(), st);
}

}  // namespace

TEST_CASE("an encrypted message keeps the outer fields and decrypts to the original entity",
          "[smime][encrypt]") {
  Fixture f;
  const auto cert = load_cert(f.alice.cert);
  for (auto cipher : {smime::Cipher::Aes256Cbc, smime::Cipher::Aes256Gcm}) {
    auto enc = smime::encrypt(sample(), {&cert}, cipher);
    REQUIRE(enc);
    core::Message m(*enc);
    for (const char* kept : {"Received", "From", "To", "Subject", "Date", "Message-ID"})
      CHECK(m.find(kept) != nullptr);
    CHECK(m.count("MIME-Version") == 1);
    REQUIRE(m.find("Content-Type"));
    CHECK(m.find("Content-Type")
              ->value.starts_with("application/pkcs7-mime; smime-type=" +
                                  std::string(cipher == smime::Cipher::Aes256Gcm
                                                  ? "authEnveloped-data"
                                                  : "enveloped-data")));
    CHECK(m.find("Content-Transfer-Encoding")->value == "base64");
    CHECK(m.count("Content-Type") == 1);
    // No clear text left, base64 lines of at most 76 characters, CRLF line ends.
    CHECK(enc->find("4111") == std::string::npos);
    CHECK(enc->find("d\xc3\xa9j\xc3\xa0") == std::string::npos);
    size_t lines = 0;
    for (size_t pos = 0, nl; (nl = m.body().find('\n', pos)) != std::string::npos; pos = nl + 1) {
      ++lines;
      REQUIRE(nl > pos);
      CHECK(m.body()[nl - 1] == '\r');
      CHECK(nl - pos - 1 <= 76);
    }
    CHECK(lines > 5);
    auto plain = smime::decrypt(der_of(*enc), load_key(f.alice));
    REQUIRE(plain);
    CHECK(*plain == kEntity);
    // Another key does not open it.
    CHECK_FALSE(smime::decrypt(der_of(*enc), load_key(f.sam)));
  }
}

TEST_CASE("`openssl cms -decrypt` opens what postern encrypts, for every recipient",
          "[smime][encrypt][openssl]") {
  Fixture f;
  const auto alice = load_cert(f.alice.cert);
  const auto bob = load_cert(f.bob.cert);  // EC: key agreement
  for (auto cipher : {smime::Cipher::Aes256Cbc, smime::Cipher::Aes256Gcm}) {
    auto enc = smime::encrypt(sample(), {&alice, &bob}, cipher);
    REQUIRE(enc);
    const std::string in = f.tmp.write("enc.eml", *enc);
    for (const auto* who : {&f.alice, &f.bob}) {
      const std::string out = f.tmp.str() + "/dec.txt";
      std::filesystem::remove(out);
      INFO(who->cert);
      REQUIRE(run("openssl cms -decrypt -binary -in " + in + " -recip " + who->cert + " -inkey " +
                  who->key + " -out " + out) == 0);
      CHECK(test::slurp(out) == kEntity);
    }
  }
}

TEST_CASE("a message without Content-Type encrypts its body as the default text/plain",
          "[smime][encrypt]") {
  Fixture f;
  const auto cert = load_cert(f.alice.cert);
  auto enc = smime::encrypt("From: a@example.com\nTo: alice@partner.example\n\nhello\n", {&cert});
  REQUIRE(enc);
  core::Message m(*enc);
  CHECK(m.find("MIME-Version"));
  auto plain = smime::decrypt(der_of(*enc), load_key(f.alice));
  REQUIRE(plain);
  CHECK(*plain == "\r\nhello\r\n");
  CHECK_FALSE(smime::encrypt(sample(), {}));
}

TEST_CASE("a signed message is multipart/signed that `openssl cms -verify` accepts",
          "[smime][sign][openssl]") {
  Fixture f;
  auto signed_msg = smime::sign(sample(), load_key(f.sam));
  REQUIRE(signed_msg);
  core::Message m(*signed_msg);
  const std::string ct = m.find("Content-Type")->value;
  CHECK(ct.find("multipart/signed") == 0);
  CHECK(ct.find("protocol=\"application/pkcs7-signature\"") != std::string::npos);
  CHECK(ct.find("micalg=sha-256") != std::string::npos);
  CHECK(signed_msg->find("\r\n" + kEntity + "\r\n--") != std::string::npos);
  const std::string in = f.tmp.write("signed.eml", *signed_msg);
  const std::string out = f.tmp.str() + "/content.txt";
  CHECK(run("openssl cms -verify -in " + in + " -CAfile " + f.pki.ca_file() + " -out " + out) == 0);
  CHECK(test::slurp(out).find("Card 4111") != std::string::npos);
  // Our own check agrees, and names the signer.
  auto v = smime::verify_message(m, {"sam@example.com"}, *f.trust);
  CHECK(v.status == smime::Status::Pass);
  CHECK(v.kind == "multipart/signed");
  CHECK(v.signer == "sam@example.com");
  CHECK(v.signer_matches_from);
  // One byte changed in the signed part: both refuse it.
  std::string tampered = *signed_msg;
  tampered.replace(tampered.find("4111 1111"), 4, "4112");
  CHECK(run("openssl cms -verify -in " + f.tmp.write("t.eml", tampered) + " -CAfile " +
            f.pki.ca_file() + " -out " + out) != 0);
  auto t = smime::verify_message(core::Message(tampered), {"sam@example.com"}, *f.trust);
  CHECK(t.status == smime::Status::Fail);
  CHECK_FALSE(t.reason.empty());
}

TEST_CASE("signed, then encrypted: the recipient decrypts a signed message that verifies",
          "[smime][sign][encrypt]") {
  Fixture f;
  const auto alice = load_cert(f.alice.cert);
  core::Message m(sample());
  auto s = smime::sign_entity(smime::entity_of(m), load_key(f.sam));
  REQUIRE(s);
  auto e = smime::encrypt_entity(smime::entity_of(*s), {&alice});
  REQUIRE(e);
  const std::string msg = smime::apply(m, *e);
  auto inner = smime::decrypt(der_of(msg), load_key(f.alice));
  REQUIRE(inner);
  auto v = smime::verify_message(core::Message(kOuter + *inner), {"sam@example.com"}, *f.trust);
  CHECK(v.status == smime::Status::Pass);
}

TEST_CASE("inbound verification: pass, mismatch, untrusted, garbage, opaque, none",
          "[smime][verify]") {
  Fixture f;
  const std::string good = *smime::sign(sample(), load_key(f.sam));
  struct Row {
    std::string name, message;
    std::vector<std::string> from;
    smime::Status want;
    bool matches;
  };
  auto self = f.pki.issue("selfie", test::CertSpec().email("sam@example.com").self());
  auto expired = f.pki.issue("old", test::CertSpec().email("sam@example.com").days(-60, -1));
  // A signature part that is not DER, and one cut in half.
  std::string garbage = good;
  {
    size_t p = garbage.find("Cryptographic Signature\r\n\r\n");
    REQUIRE(p != std::string::npos);
    p = garbage.find("\r\n\r\n", p) + 4;
    garbage.replace(p, 40, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
  }
  std::string cut = good;
  {
    size_t p = cut.find("Cryptographic Signature\r\n\r\n");
    REQUIRE(p != std::string::npos);
    p = cut.find("\r\n\r\n", p) + 4;
    size_t end = cut.find("\r\n--", p);
    cut.erase(p + (end - p) / 2, (end - p) / 2);
  }
  // Opaque signed-data made by the openssl binary.
  const std::string content = f.tmp.write("content.eml", sample());
  const std::string opaque_path = f.tmp.str() + "/opaque.eml";
  REQUIRE(run("openssl cms -sign -nodetach -in " + content + " -signer " + f.sam.cert + " -inkey " +
              f.sam.key + " -out " + opaque_path) == 0);
  std::string opaque = test::slurp(opaque_path);
  opaque = core::to_crlf(kOuter.substr(0, kOuter.find("MIME-Version")) + opaque);
  const Row rows[] = {
      {"good", good, {"sam@example.com"}, smime::Status::Pass, true},
      {"good, From of any case", good, {"SAM@example.com"}, smime::Status::Pass, true},
      {"another From", good, {"ceo@example.com"}, smime::Status::Pass, false},
      {"two From addresses",
       good,
       {"sam@example.com", "x@example.com"},
       smime::Status::Pass,
       false},
      {"self-signed",
       *smime::sign(sample(), load_key(self)),
       {"sam@example.com"},
       smime::Status::Fail,
       true},
      {"expired",
       *smime::sign(sample(), load_key(expired)),
       {"sam@example.com"},
       smime::Status::Fail,
       true},
      {"garbage signature", garbage, {"sam@example.com"}, smime::Status::Fail, false},
      {"truncated signature", cut, {"sam@example.com"}, smime::Status::Fail, false},
      {"opaque signed-data", opaque, {"sam@example.com"}, smime::Status::Pass, true},
      {"unsigned", sample(), {"sam@example.com"}, smime::Status::None, false},
      {"PGP",
       kOuter + "Content-Type: multipart/signed; protocol=\"application/pgp-signature\"; "
                "boundary=x\r\n\r\n--x\r\n\r\nhi\r\n--x\r\nContent-Type: "
                "application/pgp-signature\r\n\r\nsig\r\n--x--\r\n",
       {"sam@example.com"},
       smime::Status::None,
       false},
      {"pkcs7-mime garbage",
       kOuter + "Content-Type: application/pkcs7-mime; smime-type=signed-data\r\n"
                "Content-Transfer-Encoding: base64\r\n\r\nAAAA\r\n",
       {"sam@example.com"},
       smime::Status::Fail,
       false},
  };
  for (const auto& r : rows) {
    INFO(r.name);
    auto v = smime::verify_message(core::Message(r.message), r.from, *f.trust);
    CHECK(v.status == r.want);
    if (r.want == smime::Status::Pass) CHECK(v.signer_matches_from == r.matches);
    if (r.want == smime::Status::Fail) CHECK_FALSE(v.reason.empty());
    if (r.name == "self-signed" || r.name == "expired") CHECK(v.signer == "sam@example.com");
  }
  // An encrypted message is none, and says it is encrypted.
  const auto alice = load_cert(f.alice.cert);
  auto enc = smime::verify_message(core::Message(*smime::encrypt(sample(), {&alice})),
                                   {"sam@example.com"}, *f.trust);
  CHECK(enc.status == smime::Status::None);
  CHECK(enc.encrypted);
  // Over the bounds: not checked, or failed, and says so.
  smime::VerifyMessageLimits small;
  small.max_message = 1000;
  auto big = smime::verify_message(core::Message(good), {"sam@example.com"}, *f.trust, small);
  CHECK(big.status == smime::Status::None);
  CHECK(big.limit);
  smime::VerifyMessageLimits tiny_sig;
  tiny_sig.cms.max_der = 100;
  auto sig = smime::verify_message(core::Message(good), {"sam@example.com"}, *f.trust, tiny_sig);
  CHECK(sig.status == smime::Status::Fail);
  CHECK(sig.limit);
}

TEST_CASE("hostile bytes in every S/MIME slot never crash the verifier", "[smime][verify]") {
  Fixture f;
  for (unsigned seed = 1; seed <= 40; ++seed) {
    const std::string junk = test::random_bytes(200 + seed * 37, seed);
    const std::string b64 = mime::encode_base64(junk);
    for (const std::string& msg :
         {kOuter +
              "Content-Type: application/pkcs7-mime\r\nContent-Transfer-Encoding: "
              "base64\r\n\r\n" +
              b64,
          kOuter +
              "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; "
              "boundary=q\r\n\r\n--q\r\n\r\n" +
              junk +
              "\r\n--q\r\nContent-Type: application/pkcs7-signature\r\n"
              "Content-Transfer-Encoding: base64\r\n\r\n" +
              b64 + "--q--\r\n"}) {
      auto v = smime::verify_message(core::Message(msg), {"sam@example.com"}, *f.trust);
      CHECK(v.status != smime::Status::Pass);
    }
  }
}
