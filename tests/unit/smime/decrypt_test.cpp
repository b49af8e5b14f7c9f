// Inbound decryption for scanning: the gateway's keys ([smime.decrypt] key_dir), the
// unwrapping of an encrypted message with them (held key, wrong key, damaged CMS, no
// key, nested, over a bound, hostile bytes), and, through the whole snapshot, the
// content stages seeing the decrypted content: a content rule on its text and the
// attachment ban on a file inside it fire, the message is delivered as received.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/wait.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "core/finisher.hpp"
#include "mime/analysis.hpp"
#include "mime/decode.hpp"
#include "scan/registry.hpp"
#include "scan/session.hpp"
#include "scan/snapshot.hpp"
#include "smime/decrypt.hpp"
#include "smime/message.hpp"
#include "support/dkim_run.hpp"
#include "support/files.hpp"
#include "support/smime_pki.hpp"
#include "support/temp_dir.hpp"

using namespace postern;

namespace {

const std::string kSecretMail =
    "From: Mallory <mallory@sender.example>\r\n"
    "To: carol@example.org\r\n"
    "Subject: the report\r\n"
    "Date: Tue, 1 Jul 2025 10:52:37 +0200\r\n"
    "Message-ID: <enc1@sender.example>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
    "\r\n"
    "--b1\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "Please run the tool: xyzzy-plugh-decrypted-marker.\r\n"
    "Card 4241 9602 0928 2256, expiry 12/29.\r\n"
    "--b1\r\n"
    "Content-Type: application/octet-stream; name=\"tool.js\"\r\n"
    "Content-Disposition: attachment; filename=\"tool.js\"\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "V1NjcmlwdC5FY2hvKCJoaSIpOw==\r\n"
    "--b1--\r\n";

// A key_dir: one PEM file per user, its certificate then its private key.
struct Keys {
  test::TempDir d;
  test::Pki pki{d.path() / "pki"};
  std::string dir = d.mkdir("keys");
  test::Issued carol = hold("carol", test::CertSpec().email("carol@example.org"));
  test::Issued dave = hold("dave", test::CertSpec().email("dave@example.org").ec_key());

  test::Issued hold(const std::string& name, const test::CertSpec& spec) {
    auto i = pki.issue(name, spec);
    d.write("keys/" + name + ".pem", test::slurp(i.cert) + test::slurp(i.key));
    return i;
  }
  smime::Certificate cert(const test::Issued& i) const {
    auto c = smime::Certificate::from_pem_file(i.cert);
    REQUIRE(c);
    return c->front();
  }
  std::shared_ptr<const smime::KeyStore> store() const {
    auto s = smime::KeyStore::load(dir);
    REQUIRE(s);
    return *s;
  }
};

std::string encrypt_to(const std::string& raw, const smime::Certificate& c,
                       smime::Cipher cipher = smime::Cipher::Aes256Cbc) {
  auto e = smime::encrypt(raw, {&c}, cipher);
  REQUIRE(e);
  return *e;
}

smime::Unwrapping unwrap_raw(const std::string& raw, const smime::KeyStore& keys,
                             smime::UnwrapLimits l = {}) {
  return smime::unwrap(core::Message(raw), keys, l);
}

// The text of every leaf of the analysis of `raw`, and the attachment names.
std::string scanned_text(const std::string& raw) {
  const mime::Analysis a = mime::analyze(raw);
  std::string out;
  for (const auto& leaf : a.leaves) out += leaf.text + "|" + leaf.part->filename + "|";
  return out;
}

}  // namespace

TEST_CASE("the key store holds each user's key under its certificate's identifiers",
          "[smime][decrypt]") {
  Keys k;
  k.d.write("keys/no-key.pem", test::slurp(k.carol.cert));               // certificate only
  k.d.write("keys/garbage.pem", "-----BEGIN CERTIFICATE-----\nAAAA\n");  // no PEM at all
  auto other = k.pki.issue("other", test::CertSpec().email("o@example.org"));
  k.d.write("keys/mismatch.pem", test::slurp(other.cert) + test::slurp(k.carol.key));
  k.d.write("keys/.hidden.pem", test::slurp(other.cert) + test::slurp(other.key));
  auto s = k.store();
  CHECK(s->size() == 2);
  REQUIRE(s->skipped().size() == 3);
  for (const auto& why : s->skipped()) {
    CHECK(why.find("PRIVATE KEY") == std::string::npos);  // never key material
    CHECK(why.find(k.dir) != std::string::npos);          // names the file
  }
  const smime::SigningKey* carol = s->find(smime::recipient_ids(k.cert(k.carol)));
  REQUIRE(carol);
  CHECK(carol->cert.addresses() == std::vector<std::string>{"carol@example.org"});
  CHECK_FALSE(s->find(smime::recipient_ids(k.cert(other))));
  CHECK_FALSE(s->find({}));
  // "" is an empty store; a directory that cannot be listed is an error naming it.
  CHECK((*smime::KeyStore::load(""))->size() == 0);
  auto missing = smime::KeyStore::load("/nonexistent/keys");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().find("/nonexistent/keys") != std::string::npos);
}

TEST_CASE("a message encrypted to a held key unwraps to what its recipient reads",
          "[smime][decrypt]") {
  Keys k;
  auto keys = k.store();
  struct Row {
    std::string name;
    test::Issued who;
    smime::Cipher cipher;
  };
  const Row rows[] = {
      {"RSA, EnvelopedData (AES-256-CBC)", k.carol, smime::Cipher::Aes256Cbc},
      {"RSA, AuthEnvelopedData (AES-256-GCM)", k.carol, smime::Cipher::Aes256Gcm},
      {"EC key agreement", k.dave, smime::Cipher::Aes256Cbc},
  };
  for (const auto& row : rows) {
    INFO(row.name);
    const std::string enc = encrypt_to(kSecretMail, k.cert(row.who), row.cipher);
    REQUIRE(enc.find("xyzzy") == std::string::npos);
    // Unscanned as received: the analysis sees one opaque pkcs7 blob.
    CHECK(scanned_text(enc).find("xyzzy-plugh") == std::string::npos);
    auto u = unwrap_raw(enc, *keys);
    CHECK(u.stop == smime::Unwrapping::Stop::None);
    CHECK(u.layers == 1);
    REQUIRE(u.keys.size() == 1);
    CHECK(u.keys[0].find(row.who.cert.find("dave") != std::string::npos
                             ? "dave@example.org"
                             : "carol@example.org") != std::string::npos);
    const core::Message inner(u.raw);
    // The received header fields, then the decrypted entity.
    CHECK(inner.find("Subject")->value == "the report");
    CHECK(inner.find("Message-ID")->value == "<enc1@sender.example>");
    CHECK(inner.count("Content-Type") == 1);
    CHECK(inner.find("Content-Type")->value.starts_with("multipart/mixed"));
    const std::string seen = scanned_text(u.raw);
    CHECK(seen.find("xyzzy-plugh-decrypted-marker") != std::string::npos);
    CHECK(seen.find("tool.js") != std::string::npos);
  }
}

TEST_CASE("what cannot be decrypted says why; a plain or signed message is left alone",
          "[smime][decrypt]") {
  Keys k;
  auto keys = k.store();
  const std::string enc = encrypt_to(kSecretMail, k.cert(k.carol));

  // Another CA of the same name issued the same serial: the RecipientInfo names our
  // certificate, the message was encrypted to another key (a reissued certificate).
  test::TempDir other_dir;
  test::Pki other_pki{other_dir.path() / "pki"};
  auto twin = other_pki.issue("carol", test::CertSpec().email("carol@example.org"));
  auto twin_cert = smime::Certificate::from_pem_file(twin.cert);
  REQUIRE(twin_cert);
  REQUIRE(smime::recipient_ids(twin_cert->front())[0] == smime::recipient_ids(k.cert(k.carol))[0]);
  // AES-GCM: a wrong content key always fails its tag (CBC padding may pass by chance).
  const std::string wrong_key =
      encrypt_to(kSecretMail, twin_cert->front(), smime::Cipher::Aes256Gcm);

  // Nobody we hold a key for.
  auto stranger = k.pki.issue("stranger", test::CertSpec().email("s@elsewhere.example"));
  auto stranger_cert = smime::Certificate::from_pem_file(stranger.cert);
  REQUIRE(stranger_cert);
  const std::string no_key = encrypt_to(kSecretMail, stranger_cert->front());

  // Damaged: the base64 body cut in the middle; garbage under an enveloped-data label.
  const core::Message em(enc);
  const std::string cut = enc.substr(0, em.body_offset() + (enc.size() - em.body_offset()) / 2);
  const std::string garbage =
      "From: a@b.example\r\nContent-Type: application/pkcs7-mime; smime-type=enveloped-data\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\nTm90IGEgQ01TIHN0cnVjdHVyZSBhdCBhbGw=\r\n";

  struct Row {
    std::string name, raw;
    smime::Unwrapping::Stop stop;
    std::string reason;
    size_t layers;
  };
  const Row rows[] = {
      {"wrong key", wrong_key, smime::Unwrapping::Stop::Undecryptable,
       "not decryptable with the key of carol@example.org", 0},
      {"no key", no_key, smime::Unwrapping::Stop::NoKey, "none whose key the gateway holds", 0},
      {"cut in the middle", cut, smime::Unwrapping::Stop::Undecryptable, "damaged CMS", 0},
      {"not CMS at all", garbage, smime::Unwrapping::Stop::Undecryptable, "damaged CMS", 0},
      {"plain", kSecretMail, smime::Unwrapping::Stop::None, "", 0},
  };
  for (const auto& row : rows) {
    INFO(row.name);
    auto u = unwrap_raw(row.raw, *keys);
    CHECK(u.stop == row.stop);
    CHECK(u.reason.find(row.reason) != std::string::npos);
    CHECK(u.layers == row.layers);
    CHECK(u.raw.empty());
    CHECK_FALSE(u.limit);
  }
}

TEST_CASE("nested encryption is unwrapped up to max_layers; bounds are findings, not crashes",
          "[smime][decrypt]") {
  Keys k;
  auto keys = k.store();
  const std::string once = encrypt_to(kSecretMail, k.cert(k.carol));
  const std::string twice = encrypt_to(once, k.cert(k.dave));
  const std::string thrice = encrypt_to(twice, k.cert(k.carol));

  auto two = unwrap_raw(twice, *keys);
  CHECK(two.stop == smime::Unwrapping::Stop::None);
  CHECK(two.layers == 2);
  CHECK(scanned_text(two.raw).find("xyzzy-plugh-decrypted-marker") != std::string::npos);

  auto three = unwrap_raw(thrice, *keys);  // max_layers = 2 by default
  CHECK(three.stop == smime::Unwrapping::Stop::Undecryptable);
  CHECK(three.limit);
  CHECK(three.layers == 2);
  CHECK(three.reason.find("more than 2 layer") != std::string::npos);

  smime::UnwrapLimits one_layer;
  one_layer.max_layers = 1;
  auto cut_short = unwrap_raw(twice, *keys, one_layer);
  CHECK(cut_short.layers == 1);
  CHECK(cut_short.limit);

  smime::UnwrapLimits small;
  small.max_bytes = once.size() - 1;
  auto big = unwrap_raw(once, *keys, small);
  CHECK(big.stop == smime::Unwrapping::Stop::Undecryptable);
  CHECK(big.limit);
  CHECK(big.reason.find("over the S/MIME bound") != std::string::npos);
  CHECK(big.layers == 0);

  // An inner layer to nobody we hold: the outer layer is kept, the stop says why.
  auto stranger = k.pki.issue("stranger2", test::CertSpec().email("s2@elsewhere.example"));
  auto sc = smime::Certificate::from_pem_file(stranger.cert);
  REQUIRE(sc);
  auto mixed = unwrap_raw(encrypt_to(encrypt_to(kSecretMail, sc->front()), k.cert(k.carol)), *keys);
  CHECK(mixed.layers == 1);
  CHECK(mixed.stop == smime::Unwrapping::Stop::NoKey);
}

TEST_CASE("a passphrase-protected key in key_dir is skipped, never asked for", "[smime][decrypt]") {
  // OpenSSL's default passphrase callback prompts on the terminal, or reads standard
  // input: a milter started in the foreground (or a CLI command) would block there, and a
  // passphrase that happened to be on stdin would load a key the contract says is refused.
  test::TempDir d;
  test::Pki pki{d.path() / "pki"};
  const test::Issued erin = pki.issue("erin", test::CertSpec().email("erin@example.org"));
  std::string encrypted;
  {
    BIO* in = BIO_new_file(erin.key.c_str(), "r");
    REQUIRE(in);
    EVP_PKEY* k = PEM_read_bio_PrivateKey(in, nullptr, nullptr, nullptr);
    BIO_free(in);
    REQUIRE(k);
    BIO* out = BIO_new(BIO_s_mem());
    static char pw[] = "pw";
    REQUIRE(PEM_write_bio_PrivateKey(out, k, EVP_aes_256_cbc(), nullptr, 0, nullptr, pw) == 1);
    char* data = nullptr;
    const long n = BIO_get_mem_data(out, &data);
    encrypted.assign(data, static_cast<size_t>(n));
    BIO_free(out);
    EVP_PKEY_free(k);
  }
  d.write("keys/erin.pem", test::slurp(erin.cert) + encrypted);
  const std::string dir = (d.path() / "keys").string();
  // In a child with no controlling terminal and the passphrase waiting on stdin.
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  REQUIRE(write(fds[1], "pw\n", 3) == 3);
  close(fds[1]);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    setsid();
    dup2(fds[0], 0);
    auto s = smime::KeyStore::load(dir);
    const bool refused = s && (*s)->size() == 0 && (*s)->skipped().size() == 1 &&
                         (*s)->skipped()[0].find("erin.pem") != std::string::npos;
    _exit(refused ? 0 : 1);
  }
  close(fds[0]);
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("hostile bytes in an encrypted message never crash the unwrapping", "[smime][decrypt]") {
  Keys k;
  auto keys = k.store();
  const std::string enc = encrypt_to(kSecretMail, k.cert(k.carol));
  const core::Message em(enc);
  mime::DecodeStats st;
  const std::string der = mime::decode_base64(em.body(), st);
  std::mt19937 rng(16);
  size_t undecryptable = 0, decrypted = 0;
  for (int round = 0; round < 300; ++round) {
    std::string bad = der;
    const int flips = 1 + static_cast<int>(rng() % 8);
    for (int i = 0; i < flips; ++i) bad[rng() % bad.size()] = static_cast<char>(rng());
    if (round % 10 == 0) bad.resize(rng() % bad.size());
    const std::string msg =
        "From: a@b.example\r\nContent-Type: application/pkcs7-mime; "
        "smime-type=enveloped-data\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
        mime::encode_base64(bad) + "\r\n";
    auto u = unwrap_raw(msg, *keys);
    undecryptable += u.stop == smime::Unwrapping::Stop::Undecryptable ? 1 : 0;
    decrypted += u.layers;
  }
  // Most flips break the structure or the padding; a flip in the content may survive.
  CHECK(undecryptable > 150);
  CHECK(undecryptable + decrypted <= 300);
}

namespace {

test::SessionRun run_inbound(const scan::SnapshotPtr& snap, const std::string& raw) {
  return test::run_session(snap, core::Message(raw), "203.0.113.9", "", "mallory@sender.example",
                           "carol@example.org");
}

bool has_symbol(const test::SessionRun& r, std::string_view s) {
  return std::find(r.symbols.begin(), r.symbols.end(), s) != r.symbols.end();
}

}  // namespace

TEST_CASE(
    "through the session: the content stages see the decrypted message, delivered as received",
    "[smime][decrypt][session]") {
  Keys k;
  k.d.write("policies/90-marker.toml",
            "[rules.TEST_DECRYPTED_MARKER]\nfield = \"body.text\"\n"
            "pattern = 'xyzzy-plugh-decrypted-marker'\nscore = 0.1\n"
            "description = \"the marker of the encrypted test message\"\n"
            "[dlp.rules.cards_in]\nenabled = true\ndetectors = [\"card\"]\nmin_count = 1\n"
            "min_confidence = \"medium\"\ndirection = \"inbound\"\naction = \"log\"\n");
  const std::string base =
      "[policy]\ndirs = [\"" POSTERN_SOURCE_DIR "/policies\", \"" + k.d.str() +
      "/policies\"]\n[dns]\nforwarders = [\"127.0.0.1@9\"]\ntimeout_ms = 300\n";
  auto with_keys = scan::load_snapshot(
      k.d.write("postern.toml", base + "[smime.decrypt]\nkey_dir = \"" + k.dir + "\"\n"));
  INFO((with_keys ? std::string() : policy::to_string(with_keys.error())));
  REQUIRE(with_keys);
  const std::string enc = encrypt_to(kSecretMail, k.cert(k.carol));

  auto r = run_inbound(*with_keys, enc);
  CHECK(has_symbol(r, "SMIME_DECRYPTED"));
  CHECK(has_symbol(r, "TEST_DECRYPTED_MARKER"));  // a content rule on the decrypted text
  CHECK(has_symbol(r, "ATTACH_BANNED"));          // the .js inside the encrypted message
  CHECK(has_symbol(r, "DLP_CARDS_IN"));           // a DLP detector on the decrypted text
  CHECK_FALSE(r.outcome.new_body);                // scan only: delivered as received
  const auto& d = r.event["postern"]["smime"]["decrypt"];
  CHECK(d["result"] == "decrypted");
  CHECK(d["layers"] == 1);
  CHECK(d["keys"][0].get<std::string>().find("carol@example.org") != std::string::npos);

  // Encrypted to a stranger: SMIME_NO_KEY, nothing inside seen.
  auto stranger = k.pki.issue("stranger", test::CertSpec().email("s@elsewhere.example"));
  auto sc = smime::Certificate::from_pem_file(stranger.cert);
  REQUIRE(sc);
  auto nokey = run_inbound(*with_keys, encrypt_to(kSecretMail, sc->front()));
  CHECK(has_symbol(nokey, "SMIME_NO_KEY"));
  CHECK_FALSE(has_symbol(nokey, "TEST_DECRYPTED_MARKER"));
  CHECK(nokey.event["postern"]["smime"]["decrypt"]["result"] == "no_key");

  // Without [smime.decrypt] the gateway holds no key: nothing is decrypted or said.
  auto plain_conf = scan::load_snapshot(k.d.write("postern.toml", base));
  REQUIRE(plain_conf);
  auto without = run_inbound(*plain_conf, enc);
  CHECK_FALSE(has_symbol(without, "SMIME_DECRYPTED"));
  CHECK_FALSE(has_symbol(without, "TEST_DECRYPTED_MARKER"));
  CHECK_FALSE(has_symbol(without, "ATTACH_BANNED"));
  CHECK_FALSE(has_symbol(without, "DLP_CARDS_IN"));

  // The marker rule fires on the same message sent in clear (the rule itself works).
  CHECK(has_symbol(run_inbound(*with_keys, kSecretMail), "TEST_DECRYPTED_MARKER"));
}

TEST_CASE("[smime.decrypt] errors: file:line:column, a key_dir that cannot be read",
          "[smime][decrypt][config]") {
  test::TempDir d;
  struct Row {
    std::string text, want;
  };
  const Row rows[] = {
      {"[smime.decrypt]\nmax_layers = 2\n", "postern.toml:1:"},
      {"[smime.decrypt]\nkey_dir = \"k\"\nmax_layers = 0\n", "postern.toml:3:"},
      {"[smime.decrypt]\nkey_dir = \"k\"\ndeliver = \"x\"\n", "postern.toml:3:"},
  };
  for (const auto& row : rows) {
    INFO(row.text);
    auto c = scan::load_config(d.write("postern.toml", row.text));
    REQUIRE_FALSE(c);
    CHECK(policy::to_string(c.error()).find(row.want) != std::string::npos);
  }
  auto no_dir = scan::load_snapshot(
      d.write("postern.toml", "[policy]\ndirs = [\"" POSTERN_SOURCE_DIR
                              "/policies\"]\n[smime.decrypt]\nkey_dir = \"/nonexistent/keys\"\n"));
  REQUIRE_FALSE(no_dir);
  CHECK(policy::to_string(no_dir.error()).find("/nonexistent/keys") != std::string::npos);
}

namespace {

// The entity of kSecretMail opaquely signed by `who` (`openssl cms -sign -nodetach`),
// under the outer fields of kSecretMail: application/pkcs7-mime; smime-type=signed-data.
std::string opaque_signed(const test::TempDir& d, const test::Issued& who,
                          const std::string& raw = kSecretMail) {
  const core::Message m(raw);
  const std::string in = d.write("entity.txt", smime::entity_of(m));
  const std::string out = d.str() + "/opaque.eml";
  const std::string cmd = "openssl cms -sign -nodetach -binary -in " + in + " -signer " + who.cert +
                          " -inkey " + who.key + " -outform SMIME -out " + out + " 2>/dev/null";
  REQUIRE(std::system(cmd.c_str()) == 0);
  std::string outer;
  for (const auto& f : m.headers())
    if (!smime::is_content_field(f.name) && f.name != "MIME-Version")
      outer += std::string(m.raw_field(f));
  return outer + test::slurp(out);
}

}  // namespace

TEST_CASE("signed, then encrypted: the content is scanned and the signature checked inside",
          "[smime][decrypt]") {
  Keys k;
  auto keys = k.store();
  auto mallory = k.pki.issue("mallory", test::CertSpec().email("mallory@sender.example"));
  auto signer = smime::SigningKey::load(mallory.cert, mallory.key, "");
  REQUIRE(signer);
  auto signed_msg = smime::sign(kSecretMail, *signer);
  REQUIRE(signed_msg);
  struct Row {
    std::string name, signed_message, verify_type;
  };
  const Row rows[] = {
      {"multipart/signed inside", *signed_msg, "multipart/signed"},
      {"opaque signed-data inside", opaque_signed(k.d, mallory), "pkcs7-mime"},
  };
  auto trust = smime::TrustStore::load(k.pki.ca_file(), "");
  REQUIRE(trust);
  for (const auto& row : rows) {
    INFO(row.name);
    const std::string enc = encrypt_to(row.signed_message, k.cert(k.carol));
    auto u = unwrap_raw(enc, *keys);
    CHECK(u.stop == smime::Unwrapping::Stop::None);
    CHECK(u.layers == 1);
    CHECK(scanned_text(u.raw).find("xyzzy-plugh-decrypted-marker") != std::string::npos);
    CHECK(scanned_text(u.raw).find("tool.js") != std::string::npos);
    const core::Message signed_layer(u.verify_raw);
    CHECK(signed_layer.find("Content-Type")->value.find(row.verify_type) != std::string::npos);
    auto v = smime::verify_message(signed_layer, {"mallory@sender.example"}, **trust);
    CHECK(v.status == smime::Status::Pass);
    CHECK(v.signer_matches_from);
  }
  // An opaque signed-data at the top level is the signature check's, not opened here.
  auto top = unwrap_raw(opaque_signed(k.d, mallory), *keys);
  CHECK(top.layers == 0);
  CHECK(top.stop == smime::Unwrapping::Stop::None);
}

TEST_CASE("through the session: a signed, then encrypted message verifies inside",
          "[smime][decrypt][session]") {
  Keys k;
  auto mallory = k.pki.issue("mallory", test::CertSpec().email("mallory@sender.example"));
  auto signer = smime::SigningKey::load(mallory.cert, mallory.key, "");
  REQUIRE(signer);
  // Text only (the .js of kSecretMail would get it refused: no Authentication-Results).
  const std::string text_mail =
      "From: mallory@sender.example\r\nTo: carol@example.org\r\nSubject: s\r\n"
      "Content-Type: text/plain; charset=utf-8\r\n\r\nxyzzy-plugh-decrypted-marker\r\n";
  auto signed_msg = smime::sign(text_mail, *signer);
  REQUIRE(signed_msg);
  k.d.write("policies/90-marker.toml",
            "[rules.TEST_DECRYPTED_MARKER]\nfield = \"body.text\"\n"
            "pattern = 'xyzzy-plugh-decrypted-marker'\nscore = 0.1\n"
            "description = \"the marker of the encrypted test message\"\n");
  auto snap = scan::load_snapshot(k.d.write(
      "postern.toml", "[policy]\ndirs = [\"" POSTERN_SOURCE_DIR "/policies\", \"" + k.d.str() +
                          "/policies\"]\n[dns]\nforwarders = [\"127.0.0.1@9\"]\ntimeout_ms = "
                          "300\n[smime]\nca_file = \"" +
                          k.pki.ca_file() + "\"\n[smime.decrypt]\nkey_dir = \"" + k.dir + "\"\n"));
  INFO((snap ? std::string() : policy::to_string(snap.error())));
  REQUIRE(snap);
  for (const std::string& msg : {*signed_msg, opaque_signed(k.d, mallory, text_mail)}) {
    auto r = run_inbound(*snap, encrypt_to(msg, k.cert(k.carol)));
    CHECK(r.outcome.verdict.action == core::Action::Accept);
    CHECK(has_symbol(r, "SMIME_DECRYPTED"));
    CHECK(has_symbol(r, "SMIME_VALID"));
    CHECK(has_symbol(r, "TEST_DECRYPTED_MARKER"));
    CHECK(r.event["postern"]["smime"]["verify"]["decrypted"] == true);
    bool ar = false;
    std::string added;
    for (const auto& f : r.outcome.added) added += f.name + ": " + f.value + "\n";
    INFO(added);
    for (const auto& f : r.outcome.added)
      if (f.name == "Authentication-Results" &&
          f.value.find("smime=pass (signer is the From address; signed inside the encrypted "
                       "message)") != std::string::npos)
        ar = true;
    CHECK(ar);
  }
}
