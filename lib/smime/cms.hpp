// OpenSSL CMS behind one small wrapper: certificates, the organization's signing key,
// the trust store, and the three CMS operations postern needs (envelope, detached
// signature, verification).
//
// Contract: every OpenSSL handle lives in a std::unique_ptr with its deleter, inside
// this file's .cpp; the rest of postern sees Certificate, SigningKey, TrustStore and
// plain bytes. Loading functions return the error as one line naming the file.
// `envelope(content, recipients, cipher)` returns the DER of an EnvelopedData
// (AES-256-CBC) or AuthEnvelopedData (AES-256-GCM) ContentInfo of `content` (bytes as
// given: the caller canonicalizes) to every recipient (RSA: key transport; EC: key
// agreement). `sign_detached(content, key)` returns the DER of a detached SignedData
// over `content` (SHA-256, the signer's certificate and chain included, signing time
// and capabilities as signed attributes). `verify(der, detached, trust, limits)`
// checks a SignedData: the signature over `detached` (or over the encapsulated content
// when `detached` is null) and the signer's chain against `trust` for S/MIME signing at
// the current time; it never throws and never fails on hostile bytes: anything wrong
// is a Verified with `ok = false` and a one-line reason; input over `limits.max_der`
// bytes or more than `limits.max_signers` signers is refused before OpenSSL parses it
// further. Certificate, SigningKey and TrustStore are immutable after load and shared
// by threads (OpenSSL 3 X509_STORE lookups lock internally); the functions keep no
// state (OpenSSL's error queue is per thread and cleared on every call).
#pragma once

#include <cstddef>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"

typedef struct x509_st X509;
typedef struct evp_pkey_st EVP_PKEY;
typedef struct x509_store_st X509_STORE;

namespace postern::smime {

struct X509Free {
  void operator()(X509* x) const;
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const;
};
struct StoreFree {
  void operator()(X509_STORE* s) const;
};

// One X.509 certificate and what S/MIME reads from it.
class Certificate {
 public:
  // Every certificate of a PEM text (at most `max_certs`); an error when none parses.
  static postern::expected<std::vector<Certificate>, std::string> from_pem(std::string_view pem,
                                                                           size_t max_certs = 64);
  static postern::expected<std::vector<Certificate>, std::string> from_pem_file(
      const std::string& path, size_t max_bytes = 1 << 20);

  // One DER certificate (an LDAP userCertificate;binary value); an error when it does
  // not parse or has bytes after the certificate.
  static postern::expected<Certificate, std::string> from_der(std::string_view der);
  std::string der() const;
  // Shares `x` (its reference count is raised).
  static Certificate from_handle(X509* x);
  X509* handle() const { return x_.get(); }
  // Lower-case addresses: subjectAltName rfc822Name entries, then the subject's
  // emailAddress; only well-formed ones (one '@', printable ASCII, at most 254 bytes).
  std::vector<std::string> addresses() const;
  bool valid_at(std::time_t t) const;
  std::time_t not_after() const;
  // An EKU, when present, names emailProtection (or anyExtendedKeyUsage); a key usage,
  // when present, allows key encipherment or key agreement.
  bool usable_for_encryption() const;
  std::string subject() const;  // one line, RFC 2253
  std::string serial_hex() const;

 private:
  std::shared_ptr<X509> x_;
};

struct SigningKey {
  Certificate cert;
  std::shared_ptr<EVP_PKEY> key;
  std::vector<Certificate> chain;  // intermediates sent with each signature
  // The certificate (first of cert_file), the private key (PEM, unencrypted) and the
  // optional chain file; the key must match the certificate.
  static postern::expected<SigningKey, std::string> load(const std::string& cert_file,
                                                         const std::string& key_file,
                                                         const std::string& chain_file);
};

inline constexpr int kMaxChainDepth = 10;  // intermediates a chain may have

class TrustStore {
 public:
  // ca_file and ca_dir (either may be ""); both "" = the system's default store.
  static postern::expected<std::shared_ptr<const TrustStore>, std::string> load(
      const std::string& ca_file, const std::string& ca_dir);
  X509_STORE* handle() const { return store_.get(); }

 private:
  std::unique_ptr<X509_STORE, StoreFree> store_;
};

enum class Cipher { Aes256Cbc, Aes256Gcm };

postern::expected<std::string, std::string> envelope(
    std::string_view content, const std::vector<const Certificate*>& recipients, Cipher cipher);

postern::expected<std::string, std::string> sign_detached(std::string_view content,
                                                          const SigningKey& key);

// The content of an (Auth)EnvelopedData for `key`'s certificate (tests, and a gateway
// that holds a recipient's key); at most `max_out` bytes.
postern::expected<std::string, std::string> decrypt(std::string_view der, const SigningKey& key,
                                                    size_t max_out = 64u << 20);

// The identifiers a RecipientInfo may name `c` by: "is:<issuer name DER, hex>:<serial, hex>"
// and, when `c` has a subject key identifier, "ski:<hex>".
std::vector<std::string> recipient_ids(const Certificate& c);

// The recipient identifiers (as recipient_ids writes them) of an EnvelopedData or
// AuthEnvelopedData: every key transport RecipientInfo and every recipient key of a key
// agreement one; other kinds (KEK, password) are skipped. At most `max_recipients`
// identifiers are read. An error (one line) when `der` is over `max_der` bytes, not a CMS
// ContentInfo, or not enveloped. Never throws on hostile bytes.
postern::expected<std::vector<std::string>, std::string> recipient_ids_of(
    std::string_view der, size_t max_der, size_t max_recipients = 256);

struct VerifyLimits {
  size_t max_der = 1 << 20;  // bytes of the SignedData
  size_t max_signers = 8;
};

struct Verified {
  bool ok = false;
  bool signed_data = false;               // it was a SignedData at all
  std::vector<std::string> signer_addrs;  // of every signer's certificate, lower case
  std::string signer_subject;             // the first signer's
  std::string reason;                     // one line, when !ok
  std::string content;                    // opaque signed-data: the encapsulated content
};

Verified verify(std::string_view der, const std::string_view* detached, const TrustStore& trust,
                const VerifyLimits& limits = {});

// The encapsulated content of a SignedData (opaque signing), not verified (verify()
// checks it); an error when `der` is over `max_der`, not a SignedData, or detached.
postern::expected<std::string, std::string> signed_content(std::string_view der, size_t max_der);

// The ContentInfo's content type: "signedData", "envelopedData", "authEnvelopedData",
// ... or "" when `der` is not a CMS ContentInfo (bounded like verify).
std::string content_type_of(std::string_view der, size_t max_der);

}  // namespace postern::smime
