// DKIM (RFC 6376, 8301, 8463): verifying every signature of a message, keys
// resolved through lib/dns, and signing outbound mail.
//
// Contract: `DkimVerifier::create(options)` makes the one verifier of a
// snapshot; it is immutable afterwards (but for the native verifier's bounded
// cache of parsed key records, behind a mutex) and shared by threads. Two
// implementations give the same results (a differential test holds them to
// it): `native` (the default) on the signature core of auth/signature.hpp,
// which ARC uses too, and `libopendkim`, selectable as the oracle
// (`[dkim] verifier`). `verify(message, budget)` evaluates up to
// `max_signatures` DKIM-Signature fields, in message order: the signatures are
// parsed first, then every key query (`<s>._domainkey.<d>` TXT through
// `budget`) is started at once and waited on together: the lookups overlap
// (eight keys that never answer cost one resolver timeout, not eight). A
// signature already found broken (a syntax error, an expired x=) gets no
// query; queries past the budget are not made (Status::Budget, so temperror).
// The native verifier canonicalizes and hashes the body once per (body
// canonicalization, hash, l=) and shares it between the signatures. Each
// signature gets one RFC 8601 result: pass only when the header signature AND
// the body hash verify; bad signature / body hash mismatch -> fail; rsa-sha1 ->
// fail (RFC 8301) unless `allow_rsa_sha1`; DNS timeout, servfail, spent budget
// -> temperror; no key, a bad key record, a signature syntax error, an expired
// signature, l= longer than the body -> permerror; an RSA key under
// `min_key_bits` -> permerror (the key record itself is unusable under RFC
// 8301, for every message: nothing was tampered with, so not "fail"). `l=`
// shorter than the canonicalized body sets `body_length_limited`. Past
// `max_signatures` the rest is ignored and `limited` is set (a finding for the
// stage); an h= of more than `max_signed_fields` names is a permerror. A
// truncated message (size limit) is not verified: every signature is neutral.
// `DkimSigner` holds keys loaded and checked at snapshot build (a missing,
// unreadable or wrong-type key is an error naming the file) and signs a whole
// CRLF message: relaxed/relaxed, rsa-sha256 and/or ed25519-sha256, never l=,
// the displayed fields oversigned, one one-line DKIM-Signature value per key,
// on the signature core (libopendkim 2.11 leaks its private key object on every
// signature, found by LeakSanitizer). Blocking: verify waits for the DNS
// answers, all in flight together (about one resolver timeout at most, and the
// budget bounds their number). No exceptions escape.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "auth/results.hpp"
#include "core/expected.hpp"
#include "core/message.hpp"
#include "dns/resolver.hpp"

namespace postern::auth {

class SignatureKey;

// Which implementation verifies ([dkim] verifier).
enum class DkimVerifierKind { Native, LibOpenDkim };
// "native", "libopendkim"
std::string_view to_string(DkimVerifierKind k);

struct DkimOptions {
  bool allow_rsa_sha1 = false;     // RFC 8301: rsa-sha1 signatures fail unless allowed
  unsigned min_key_bits = 1024;    // RFC 8301: smaller RSA keys are permerror
  size_t max_signatures = 8;       // evaluated per message; past it `limited`
  size_t max_signed_fields = 256;  // h= entries of one signature (native); more: permerror
  DkimVerifierKind verifier = DkimVerifierKind::Native;
};

struct DkimVerification {
  DkimResults results;         // one per evaluated signature, message order
  size_t signatures_seen = 0;  // DKIM-Signature fields found
  bool limited = false;        // more than max_signatures: the rest was not evaluated
};

class DkimVerifier {
 public:
  static postern::expected<std::shared_ptr<const DkimVerifier>, std::string> create(
      const DkimOptions& options);
  ~DkimVerifier();
  DkimVerifier(const DkimVerifier&) = delete;
  DkimVerifier& operator=(const DkimVerifier&) = delete;

  // Verifies every signature of `m` (raw, CRLF); see the contract above.
  DkimVerification verify(const core::Message& m, dns::Budget& budget) const;
  const DkimOptions& options() const { return options_; }

 private:
  struct Handle;    // libopendkim's DKIM_LIB, only for DkimVerifierKind::LibOpenDkim
  struct KeyCache;  // native: parsed key records by their text, bounded, behind a mutex
  static std::shared_ptr<KeyCache> make_key_cache();
  DkimVerifier(std::unique_ptr<Handle> lib, DkimOptions o);
  DkimVerification verify_native(const core::Message& m, dns::Budget& budget) const;
  DkimVerification verify_libopendkim(const core::Message& m, dns::Budget& budget) const;
  std::unique_ptr<Handle> lib_;
  std::shared_ptr<KeyCache> keys_;
  DkimOptions options_;
};

enum class DkimAlgorithm { RsaSha256, Ed25519Sha256 };
// "rsa-sha256", "ed25519-sha256"
std::string_view to_string(DkimAlgorithm a);

struct DkimKeySpec {
  std::string domain;    // d=
  std::string selector;  // s=
  DkimAlgorithm algorithm = DkimAlgorithm::RsaSha256;
  std::string key_file;     // PEM: RSA PKCS#1 or PKCS#8, ed25519 PKCS#8
  bool subdomains = false;  // also signs mail whose From domain is below `domain`
};

// The header fields signed when present (RFC 6376 5.4.1's list plus the MIME and
// List-Unsubscribe fields).
extern const std::vector<std::string> kDkimSignedHeaders;

class DkimSigner {
 public:
  // Loads and checks every key file; the error names the file.
  static postern::expected<std::shared_ptr<const DkimSigner>, std::string> create(
      const std::vector<DkimKeySpec>& keys);

  struct Signature {
    std::string domain, selector;
    DkimAlgorithm algorithm;
    std::string value;  // the DKIM-Signature field value, one line
  };
  struct Signed {
    std::vector<Signature> signatures;
    std::vector<std::string> errors;  // keys that failed to sign, and why
  };
  // Signs `m` with every key for `from_domain` (lower-case): equal to the key's
  // domain, or below it when the key allows subdomains.
  Signed sign(const core::Message& m, std::string_view from_domain) const;
  bool has_key_for(std::string_view from_domain) const;

 private:
  struct Key {
    DkimKeySpec spec;
    std::shared_ptr<const SignatureKey> key;
  };
  explicit DkimSigner(std::vector<Key> keys) : keys_(std::move(keys)) {}
  bool matches(const Key& k, std::string_view from_domain) const;
  std::vector<Key> keys_;
};

// Length of the canonicalized body (RFC 6376 3.4.3 simple, 3.4.4 relaxed) of a CRLF body.
size_t dkim_canonical_body_length(std::string_view body, bool relaxed);

}  // namespace postern::auth
