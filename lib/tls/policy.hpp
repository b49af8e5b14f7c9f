// The [tls] policy section: inbound TLS requirements and the outbound TLS policy.
//
// Contract: `read_tls` is the [tls] reader (registered by lib/tls).
//
// [tls.inbound]: action ("tempfail", the default, or "reject": the hard rule of
// TLS_REQUIRED_MISSING, TLS_VERSION_TOO_LOW and TLS_CLIENT_CERT_UNVERIFIED for inbound
// mail, so [inbound.rules] or a group may still override it) and message (the SMTP
// reply text; one line). [tls.inbound.require.NAME] (NAME: [a-z0-9_-]): senders (address
// patterns as in lists: "@example.com", "example.com" and its subdomains, "user@..."),
// networks (CIDR), at least one of the two; min_version ("TLSv1.2"; "TLSv1" to
// "TLSv1.3"), client_cert (false; true: a client certificate Postfix verified,
// {verify} = OK), enabled (true). A later file's [tls.inbound.require.NAME] layers over
// NAME key by key.
//
// [tls.outbound]: mta_sts_domains (domains whose MTA-STS policy `postern tls-policy
// export` fetches), max_age_cap (seconds, 86400..31557600: a longer max_age is cut to
// it), fetch_timeout_ms (1000..60000), ca_file (PEM CA bundle for the HTTPS fetch; ""
// = the system's). [tls.outbound.NAME] (NAME: [a-z0-9_-]): domains (lower-case domain
// names, ".example.com" for its subdomains as Postfix writes them), level ("none",
// "may", "encrypt", "dane", "dane-only", "verify", "secure"), match (verify and secure
// only: Postfix match patterns and strategies, "nexthop", ".example.com", ...),
// mta_sts (false; true: its domains' MTA-STS policies are fetched too, and an enforced
// one replaces the level), enabled (true).
//
// Errors at file:line:column. Plain data afterwards.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/action.hpp"
#include "core/ip.hpp"
#include "policy/error.hpp"
#include "policy/policy.hpp"
#include "tls/version.hpp"

namespace postern::tls {

inline constexpr size_t kMaxRequirements = 200;
inline constexpr size_t kMaxEntries = 5000;  // senders or networks per requirement
inline constexpr size_t kMaxOutboundRules = 500;
inline constexpr size_t kMaxDomains = 5000;  // per outbound rule, and mta_sts_domains

struct Requirement {
  std::string name;
  std::vector<policy::AddressPattern> senders;
  std::vector<std::string> sender_entries;  // as written, for details
  std::vector<core::Cidr> networks;
  std::vector<std::string> network_entries;
  Version min_version = Version::Tls12;
  bool client_cert = false;
  bool enabled = true;
};

struct InboundPolicy {
  core::Action action = core::Action::Tempfail;
  std::string message;
  std::map<std::string, Requirement, std::less<>> requirements;  // by name, disabled ones too
  bool any_enabled() const {
    for (const auto& r : requirements)
      if (r.second.enabled) return true;
    return false;
  }
};

struct OutboundRule {
  std::string name;
  std::vector<std::string> domains;
  std::string level = "may";
  std::vector<std::string> match;
  bool mta_sts = false;
  bool enabled = true;
};

struct OutboundPolicy {
  std::vector<std::string> mta_sts_domains;
  int64_t max_age_cap = 31557600;  // RFC 8461: max_age at most 31557600 (about a year)
  int64_t fetch_timeout_ms = 10000;
  std::string ca_file;
  std::map<std::string, OutboundRule, std::less<>> rules;
};

struct TlsPolicy {
  InboundPolicy inbound;
  OutboundPolicy outbound;
};

inline constexpr std::string_view kMissing = "TLS_REQUIRED_MISSING";
inline constexpr std::string_view kTooLow = "TLS_VERSION_TOO_LOW";
inline constexpr std::string_view kUnverified = "TLS_CLIENT_CERT_UNVERIFIED";

void read_tls(policy::TomlSection& s, policy::Policy& p);

// A domain name as policy lists it: LDH labels, lower case, no final dot, at most 253
// bytes; `leading_dot` allows ".example.com".
bool is_domain(std::string_view d, bool leading_dot = false);

}  // namespace postern::tls
