// smime_bench: the CPU cost of S/MIME encryption and signing (lib/smime), in CPU-ms per
// MB of message, for messages of 50 KB, 1 MB and 10 MB.
//
// Rows: encrypt (AES-256-CBC, one RSA-2048 recipient), encrypt-gcm (AES-256-GCM), sign
// (SHA-256, RSA-2048), sign+encrypt, verify (of the signed message), decrypt (inbound
// decryption for scanning, smime::unwrap with a key_dir holding the recipient's key, of
// the CBC-encrypted message), each the whole message in and out (entity built, CMS,
// base64). The keys and certificates are made
// at start (tests/unit/support/smime_pki.hpp, not timed). The message is a text part
// and a base64 attachment of random bytes. Each row repeats for at least --seconds (1).
// usage: smime_bench [--seconds N]
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bench_common.hpp"
#include "core/message.hpp"
#include "mime/decode.hpp"
#include "smime/decrypt.hpp"
#include "smime/message.hpp"
#include "support/files.hpp"
#include "support/smime_pki.hpp"
#include "support/temp_dir.hpp"

namespace {

using namespace postern;
using bench::cpu_seconds;

std::string message_of(size_t bytes) {
  std::string m =
      "From: sam@example.com\r\nTo: alice@partner.example\r\nSubject: report\r\n"
      "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
      "--b\r\nContent-Type: text/plain\r\n\r\nThe report is attached.\r\n--b\r\n"
      "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n"
      "Content-Disposition: attachment; filename=\"r.bin\"\r\n\r\n";
  const size_t raw = bytes > m.size() + 64 ? (bytes - m.size() - 64) * 3 / 4 : 16;
  m += mime::encode_base64(test::random_bytes(raw, 7));
  m += "\r\n--b--\r\n";
  return m;
}

// CPU-ms per MB of `msg` for `op`, repeated for at least `seconds`.
template <class Op>
double cost(const std::string& msg, double seconds, Op op) {
  size_t rounds = 0;
  const double t0 = cpu_seconds();
  double t = 0;
  do {
    if (!op()) {
      std::fprintf(stderr, "smime_bench: an operation failed\n");
      std::exit(1);
    }
    ++rounds;
    t = cpu_seconds() - t0;
  } while (t < seconds);
  return t * 1000 / static_cast<double>(rounds) / (static_cast<double>(msg.size()) / 1e6);
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 1;
  for (int i = 1; i < argc; ++i)
    if (std::string(argv[i]) == "--seconds" && i + 1 < argc) seconds = std::atof(argv[++i]);
  test::TempDir tmp;
  test::Pki pki(tmp.path());
  auto alice = pki.issue("alice", test::CertSpec().email("alice@partner.example"));
  auto sam = pki.issue("sam", test::CertSpec().email("sam@example.com"));
  auto cert = smime::Certificate::from_pem_file(alice.cert);
  auto key = smime::SigningKey::load(sam.cert, sam.key, "");
  auto trust = smime::TrustStore::load(pki.ca_file(), "");
  // The gateway's key for alice: her certificate then her key, in a key_dir of one file.
  tmp.write("keys/alice.pem", test::slurp(alice.cert) + test::slurp(alice.key));
  auto held = smime::KeyStore::load((tmp.path() / "keys").string());
  if (!cert || !key || !trust || !held || (*held)->size() != 1) {
    std::fprintf(stderr, "smime_bench: the test PKI did not load\n");
    return 1;
  }
  const std::vector<const smime::Certificate*> to{&cert->front()};
  std::printf("%-10s %14s %14s %14s %14s %14s %14s\n", "size", "encrypt", "encrypt-gcm", "sign",
              "sign+encrypt", "verify", "decrypt");
  std::printf("%-10s %14s %14s %14s %14s %14s %14s\n", "", "CPU-ms/MB", "CPU-ms/MB", "CPU-ms/MB",
              "CPU-ms/MB", "CPU-ms/MB", "CPU-ms/MB");
  for (size_t size : {size_t{50} << 10, size_t{1} << 20, size_t{10} << 20}) {
    const std::string msg = message_of(size);
    const std::string signed_msg = *smime::sign(msg, *key);
    const std::string encrypted_msg = *smime::encrypt(msg, to);
    const double enc = cost(msg, seconds, [&] { return smime::encrypt(msg, to).has_value(); });
    const double gcm = cost(msg, seconds, [&] {
      return smime::encrypt(msg, to, smime::Cipher::Aes256Gcm).has_value();
    });
    const double sig = cost(msg, seconds, [&] { return smime::sign(msg, *key).has_value(); });
    const double both = cost(msg, seconds, [&] {
      core::Message m(msg);
      auto s = smime::sign_entity(smime::entity_of(m), *key);
      return s && smime::encrypt_entity(smime::entity_of(*s), to).has_value();
    });
    const double ver = cost(signed_msg, seconds, [&] {
      return smime::verify_message(core::Message(signed_msg), {"sam@example.com"}, **trust)
                 .status == smime::Status::Pass;
    });
    // Per MB of the encrypted message, as received.
    const double dec = cost(encrypted_msg, seconds, [&] {
      return smime::unwrap(core::Message(encrypted_msg), **held).layers == 1;
    });
    std::printf("%-10s %14.1f %14.1f %14.1f %14.1f %14.1f %14.1f\n",
                size < (1u << 20)    ? "50 KB"
                : size == (1u << 20) ? "1 MB"
                                     : "10 MB",
                enc, gcm, sig, both, ver, dec);
  }
  return 0;
}
