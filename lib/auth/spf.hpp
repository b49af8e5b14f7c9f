// SPF (RFC 7208): libspf2 evaluating one identity, resolving through lib/dns.
//
// Contract: `check_spf(identity, client_ip, helo, mail_from, budget, options)`
// evaluates the MAIL FROM identity (or, for SpfIdentity::Helo or an empty
// MAIL FROM, the HELO identity "postmaster@<helo>", RFC 7208 2.3/2.4) for the
// client address and returns one of the seven RFC 7208 results. Every DNS
// question libspf2 asks goes through a custom SPF_dns_server_t layer over
// `dns::Budget` (so local zone data, timeouts and the per-message query budget
// apply): NXDOMAIN -> HOST_NOT_FOUND, NoData -> NO_DATA, timeout / servfail /
// budget spent -> TRY_AGAIN. libspf2 reports DNS errors and record errors
// alike as "invalid": we map them ourselves (a DNS failure seen by our layer
// or SPF_E_DNS_ERROR -> temperror, anything else -> permerror).
// Limits: libspf2's max_dns_mech / max_dns_mx / max_dns_ptr are set to 10
// (RFC 7208 4.6.4). libspf2 has no void-lookup limit, so our layer counts
// NXDOMAIN/NoData answers to A/AAAA/MX/PTR questions (not TXT: see spf.cpp) and
// past `max_void_lookups` (2) stops answering and the result is permerror; an MX
// answer with more than 10 names is a permerror too (libspf2 just truncates).
// libspf2 does not count DNS mechanisms across include/redirect (a known
// conformance failure). Syntax problems libspf2 only warns about (a domain-spec
// without a valid top label, or an IP address) are permerror (RFC 7208 7.1). A loopback or
// unparsable client address is not evaluated (SpfStatus::None with detail): libspf2 would pass
// loopback for free, and a local client is not an SPF question. Blocking: the caller's thread waits
// for each answer (bounded by the resolver's timeout). Each call builds its own libspf2 server and
// layer, so it is thread-safe; no exceptions escape.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "dns/resolver.hpp"

namespace postern::auth {

enum class SpfStatus { None, Neutral, Pass, Fail, SoftFail, TempError, PermError };
enum class SpfIdentity { MailFrom, Helo };

// "none", "neutral", "pass", "fail", "softfail", "temperror", "permerror"
std::string_view to_string(SpfStatus s);

struct SpfResult {
  SpfStatus result = SpfStatus::None;
  SpfIdentity identity = SpfIdentity::MailFrom;  // the identity actually checked
  std::string domain;       // the domain checked (MAIL FROM domain or HELO name)
  std::string sender;       // the identity as checked, e.g. "user@example.com" or "postmaster@helo"
  std::string explanation;  // fail only: the domain's exp= text (libspf2 1.2.10 mangles its
                            // spaces), else "IP is not a permitted sender for DOMAIN (SPF)"
  std::string received_spf;  // Received-SPF header value (RFC 7208 9.1), when libspf2 built one
  std::string detail;        // why, in a few words (errors, skipped checks)
  bool skipped = false;      // not evaluated (loopback or unusable client address)
};

struct SpfOptions {
  std::string receiver = "localhost";  // our name in Received-SPF text (authserv-id)
  int max_dns_mech = 10;               // RFC 7208 4.6.4
  int max_void_lookups = 2;            // RFC 7208 4.6.4
};

// Evaluates one identity; see the contract above.
SpfResult check_spf(SpfIdentity identity, std::string_view client_ip, std::string_view helo,
                    std::string_view mail_from, dns::Budget& budget,
                    const SpfOptions& options = {});

}  // namespace postern::auth
