// S/MIME through the whole snapshot and a scan::Session, as the milter drives it:
// [smime] cert_dir, a DLP rule with action = "encrypt" and DKIM signing keys. The
// outbound message leaves encrypted AND DKIM-signed over the encrypted body (the
// modifier runs before the signing finisher): the next hop's DKIM check passes and the
// recipient's key opens it. A certificate added to cert_dir counts from the next
// snapshot (a reload).
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "core/finisher.hpp"
#include "mime/decode.hpp"
#include "scan/registry.hpp"
#include "scan/session.hpp"
#include "scan/snapshot.hpp"
#include "smime/message.hpp"
#include "smime/stage.hpp"
#include "support/dkim_keys.hpp"
#include "support/dkim_run.hpp"
#include "support/smime_pki.hpp"
#include "support/temp_dir.hpp"

using namespace postern;

namespace {

const std::string kCardMessage =
    "From: Alice <alice@example.com>\r\n"
    "To: bob@example.net\r\n"
    "Subject: card for the booking\r\n"
    "Date: Tue, 1 Jul 2025 10:52:37 +0200\r\n"
    "Message-ID: <card@example.com>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "The card is 4241 9602 0928 2256, expiry 12/29.\r\n";

struct Gateway {
  test::TempDir d;
  test::Pki pki{d.path() / "pki"};
  test::Issued bob = pki.issue("bob", test::CertSpec().email("bob@example.net"));
  test::DkimKey rsa = test::make_key(d, "rsa", 2048);
  std::string certs = d.mkdir("certs");

  std::string config() const {
    std::string zone =
        d.write("local.zone", "local-zone: \"example.com.\" static\n" +
                                  test::txt_line("r1._domainkey.example.com", rsa.record) + "\n");
    d.write("policies/90-encrypt.toml",
            "[dlp.rules.cards]\nenabled = true\ndetectors = [\"card\"]\nmin_count = 1\n"
            "min_confidence = \"medium\"\naction = \"encrypt\"\n");
    return d.write("postern.toml",
                   "[policy]\ndirs = [\"" POSTERN_SOURCE_DIR "/policies\", \"" + d.str() +
                       "/policies\"]\n"
                       "[dns]\nforwarders = [\"127.0.0.1@9\"]\ntimeout_ms = 300\nlocal_data = \"" +
                       zone +
                       "\"\n"
                       "[smime]\ncert_dir = \"" +
                       certs +
                       "\"\n"
                       "[dkim]\n[[dkim.sign]]\ndomain = \"example.com\"\nselector = \"r1\"\n"
                       "key = \"rsa.pem\"\n");
  }
};

}  // namespace

TEST_CASE("through the session: encrypted on the DLP hit, then DKIM-signed, and both hold",
          "[smime][session]") {
  Gateway g;
  const std::string conf = g.config();
  const core::Message original(kCardMessage);

  // No certificate yet: held, nothing signed or encrypted.
  auto before = scan::load_snapshot(conf);
  INFO((before ? std::string() : policy::to_string(before.error())));
  REQUIRE(before);
  auto held = test::run_message(*before, original, "198.51.100.7", "alice");
  CHECK(held.outcome.verdict.action == core::Action::Quarantine);
  CHECK_FALSE(held.outcome.new_body);

  // bob's certificate in cert_dir, a new snapshot (a reload): encrypted and signed.
  std::filesystem::copy_file(g.bob.cert, g.certs + "/bob.pem");
  auto snap = scan::load_snapshot(conf);
  REQUIRE(snap);
  auto out = test::run_message(*snap, original, "198.51.100.7", "alice");
  CHECK(out.outcome.verdict.action == core::Action::Accept);
  const core::Message leaving = core::apply_edits(original, out.outcome);
  CHECK(smime::leaves_encrypted(leaving));
  CHECK(leaving.raw().find("4241") == std::string::npos);
  CHECK(leaving.count("Content-Type") == 1);
  CHECK(leaving.count("DKIM-Signature") == 1);

  // The next hop: the DKIM signature verifies over the encrypted body.
  auto next = test::run_message(*snap, leaving, "203.0.113.9", "");
  CHECK(next.dkim_findings == std::vector<std::string>{"DKIM_PASS"});

  // bob opens it: the original entity.
  auto key = smime::SigningKey::load(g.bob.cert, g.bob.key, "");
  REQUIRE(key);
  mime::DecodeStats st;
  auto inner = smime::decrypt(mime::decode_base64(leaving.body(), st), *key);
  REQUIRE(inner);
  CHECK(*inner ==
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        "The card is 4241 9602 0928 2256, expiry 12/29.\r\n");
}

TEST_CASE("[smime] in postern.toml: errors at file:line:column, unusable files refused at start",
          "[smime][config]") {
  test::TempDir d;
  struct Row {
    std::string text, want;
  };
  const Row rows[] = {
      {"[smime]\ncipher = \"des-cbc\"\n", "postern.toml:2:"},
      {"[smime]\nmax_bytes = 10\n", "postern.toml:2:"},
      {"[smime]\ncolour = 1\n", "postern.toml:2:"},
      {"[smime.sign]\ncert = \"org.pem\"\n", "postern.toml:1:"},
  };
  for (const auto& row : rows) {
    INFO(row.text);
    auto c = scan::load_config(d.write("postern.toml", row.text));
    REQUIRE_FALSE(c);
    CHECK(policy::to_string(c.error()).find(row.want) != std::string::npos);
  }
  // A cert_dir that cannot be read, a signing key that does not load: the snapshot is
  // refused, naming the file.
  const std::string policies =
      "[policy]\ndirs = [\"" POSTERN_SOURCE_DIR "/policies\", \"" + d.str() + "/policies\"]\n";
  d.write("policies/90-encrypt.toml", "[smime.encrypt]\ndomains = [\"partner.example\"]\n");
  auto no_dir = scan::load_snapshot(
      d.write("postern.toml", policies + "[smime]\ncert_dir = \"/nonexistent/certs\"\n"));
  REQUIRE_FALSE(no_dir);
  CHECK(policy::to_string(no_dir.error()).find("/nonexistent/certs") != std::string::npos);
  auto no_key = scan::load_snapshot(
      d.write("postern.toml", policies + "[smime.sign]\ncert = \"org.pem\"\nkey = \"org.key\"\n"));
  REQUIRE_FALSE(no_key);
  CHECK(policy::to_string(no_key.error()).find(d.str() + "/org.pem") != std::string::npos);
}
