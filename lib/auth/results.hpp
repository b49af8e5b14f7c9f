// Authentication results that stages share through the transaction
// (`tx.put<T>` / `tx.get<T>`): DKIM (dkim stage), ARC (arc stage), DMARC (dmarc
// stage). SPF's result is auth::SpfResult (spf.hpp). The Authentication-Results
// writer and `postern scan --json` (postern.auth) read them all.
//
// Contract: plain value types, immutable once put on the transaction.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace postern::auth {

// RFC 8601 dkim results.
enum class DkimStatus { None, Pass, Fail, Neutral, Policy, TempError, PermError };
// "none", "pass", "fail", "neutral", "policy", "temperror", "permerror"
std::string_view to_string(DkimStatus s);

struct DkimSignature {
  DkimStatus result = DkimStatus::None;
  std::string domain;     // d=
  std::string selector;   // s=
  std::string algorithm;  // a=, e.g. "rsa-sha256", "ed25519-sha256"
  std::string b;          // the first 8 characters of b= (header.b, RFC 6008)
  std::string identity;   // i=, "" when absent
  unsigned key_bits = 0;  // 0 when no key was retrieved
  // l= covers less than the whole body: never a pass for DMARC (DKIM_BODY_LENGTH_LIMIT).
  bool body_length_limited = false;
  std::string detail;  // why, in a few words ("body hash mismatch", "key too short: 512 bits")

  // A pass that DMARC may use.
  bool counts_for_dmarc() const { return result == DkimStatus::Pass && !body_length_limited; }
};

struct DkimResults {
  std::vector<DkimSignature> signatures;  // message order; empty = no signature (dkim=none)
};

// RFC 8617 chain validation result (cv=).
enum class ArcStatus { None, Pass, Fail };
// "none", "pass", "fail"
std::string_view to_string(ArcStatus s);

struct ArcResult {
  ArcStatus cv = ArcStatus::None;
  unsigned instances = 0;            // ARC sets present (highest i=)
  std::vector<std::string> sealers;  // d= of each ARC-Seal, by instance (sealers[0] is i=1)
  std::string detail;                // why a chain failed
  // cv=fail only because a key lookup failed temporarily (timeout, SERVFAIL,
  // query budget): RFC 8617 has no temperror, so cv says fail; the sealer does
  // not seal such a message and the stage reports ARC_TEMPERROR.
  bool temporary = false;
  // The newest sealer (the one that handed the message to us), "" when none.
  std::string newest_sealer() const { return sealers.empty() ? std::string() : sealers.back(); }
};

}  // namespace postern::auth
