// ARC (RFC 8617): chain validation and sealing, on OpenSSL and lib/dns.
//
// Contract: `verify_arc` validates the ARC chain of a message (RFC 8617 5.2):
// no ARC header field at all is cv=none; otherwise every instance 1..N must
// have exactly one ARC-Authentication-Results, ARC-Message-Signature and
// ARC-Seal (no gaps, no duplicates, N <= max_instances), the newest ARC-Seal
// must not say cv=fail, i=1 must say cv=none and every later one cv=pass, the
// newest AMS must verify (body hash and signature) and every ARC-Seal must
// verify over the ARC sets 1..i in order. Anything else is cv=fail with a
// detail. Keys are the TXT records <s>._domainkey.<d>, fetched through the
// caller's dns::Budget: all queries are started at once, then awaited. A key
// that does not exist (NXDOMAIN, no TXT) or is unusable fails the chain; a
// temporary DNS failure (timeout, SERVFAIL, budget spent) also gives cv=fail —
// RFC 8617 has no temperror for cv — with ArcResult::temporary set so callers
// can tell it apart (the stage reports ARC_TEMPERROR, the sealer does not seal).
// Attacker input is bounded: ARC field count (3 x max_instances), field size,
// h= entries, key record size, RSA key size; a bound hit is cv=fail.
//
// `seal_arc` builds the next ARC set (i = N+1) for the message as it leaves:
// AAR "i=N+1; <ar>", an AMS (relaxed/relaxed, the configured header names that
// are present, bottom-up as DKIM counts them, t=timestamp) and an AS over the
// whole chain with the given cv — or, for cv=fail, over the new set alone
// (RFC 8617 5.1.2). It refuses (error, no set) when the newest existing
// ARC-Seal already says cv=fail (the chain is terminated), when N+1 would
// exceed max_instances, or when cv=none is claimed for a message that carries
// ARC fields. Values are single lines with tags in alphabetical order.
//
// Both are pure functions of their inputs (plus DNS): thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "auth/results.hpp"
#include "auth/signature.hpp"
#include "core/expected.hpp"
#include "core/message.hpp"
#include "dns/resolver.hpp"

namespace postern::auth {

inline constexpr unsigned kArcMaxInstances = 50;  // RFC 8617 4.2.1
inline constexpr unsigned kMinArcRsaBits = 1024;  // shorter sealer keys: the chain fails

struct ArcVerifyOptions {
  unsigned max_instances = kArcMaxInstances;  // more ARC sets: cv=fail (never above 50)
  size_t max_field_bytes = 16 * 1024;         // one ARC header field, folds included
  size_t max_signed_fields = 256;             // h= entries of the AMS
};

ArcResult verify_arc(const core::Message& m, dns::Budget& budget,
                     const ArcVerifyOptions& options = {});

// The header fields an AMS signs by default (those present in the message).
const std::vector<std::string>& default_arc_signed_headers();

struct ArcSealer {
  std::string domain;    // d=
  std::string selector;  // s=
  std::shared_ptr<const SignatureKey> key;
  std::vector<std::string> headers = default_arc_signed_headers();
  unsigned max_instances = kArcMaxInstances;
};

// One ARC set: header values (no names), one line each.
struct ArcSet {
  unsigned instance = 0;
  std::string aar;   // ARC-Authentication-Results
  std::string ams;   // ARC-Message-Signature
  std::string seal;  // ARC-Seal
};

// `ar`: the Authentication-Results value to record ("authserv-id; results").
postern::expected<ArcSet, std::string> seal_arc(const core::Message& leaving, std::string_view ar,
                                                ArcStatus cv, const ArcSealer& sealer,
                                                int64_t timestamp);

}  // namespace postern::auth
