// dns::Config: the [dns] section of postern.toml, read by lib/dns's reader.
//
// Contract: `read_config` reads the section (registered in dns/registration.cpp)
// into Config::section<dns::Config>("dns"); errors at file:line:column, unknown
// keys refused. The DNS stages (dnsbl, helo, spf, dkim, arc, dmarc) run only
// when the file has a [dns] section: tests and hosts without it never touch the
// network or /etc/resolv.conf. `options` turns it into the resolver's options;
// `resolver_changed` is the dns.resolver service's reload trigger.
// Plain values; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dns/resolver.hpp"
#include "policy/config.hpp"
#include "policy/toml_reader.hpp"

namespace postern::dns {

struct Config {
  static constexpr std::string_view kSection = "dns";
  std::vector<std::string> forwarders;  // "IP" or "IP@PORT"; empty = /etc/resolv.conf
  std::string trust_anchor;             // DNSSEC trust anchor file; "" = no validation
  std::string local_data;               // local zone data file (unbound syntax)
  int timeout_ms = 5000;                // per query
  int max_queries = 50;                 // per message (dns::Budget)
  // The modification times of trust_anchor and local_data when the section was
  // read (0 = no such file): an edited zone file is a changed resolver.
  int64_t trust_anchor_mtime = 0, local_data_mtime = 0;
  bool operator==(const Config&) const = default;
};

// Whether a resolver built for `a` must be rebuilt for `b`: a resolver option or
// one of its files changed (max_queries is a per-message budget, not the resolver's).
bool resolver_changed(const Config& a, const Config& b);

void read_config(policy::TomlSection& s, policy::Config& c, const std::string& dir);

Options options(const Config& c);

// The [dns] section of `c` (defaults when absent: see Config::has_section).
inline const Config& config_of(const policy::Config& c) {
  return c.section<Config>(Config::kSection);
}

}  // namespace postern::dns
