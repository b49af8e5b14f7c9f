// `postern tls-policy export`: the Postfix smtp_tls_policy_maps table from the
// policy's [tls.outbound] entries and from the MTA-STS policies of the domains it
// names (RFC 8461), with TLS-RPT-friendly log lines (RFC 8460).
//
// Contract: loads the config and its policy dirs (or --policy-dir). Each enabled
// [tls.outbound.NAME] domain gets "DOMAIN LEVEL [match=A:B]". The STS domains
// (mta_sts_domains, and the domains of entries with mta_sts = true) are looked up:
// _mta-sts.DOMAIN TXT through lib/dns (the config's [dns]), then, when the record's id
// differs from the cached one, the record is new, or --refresh, the policy over HTTPS
// (tools/mta_sts_fetch.hpp); a good policy is cached in the state store
// (namespace tls.mta-sts, for max_age; none: no cache) and a failed lookup or fetch
// falls back to the cached policy while it lasts (RFC 8461 section 5). An enforced
// policy replaces the entry's line ("secure match=..."), testing gives "may" when the
// policy has no line of its own; none adds nothing. One JSON line per domain on stderr:
// {"event":{"action":"tls-policy"},"tls_rpt":{"policy-type","policy-string",
// "policy-domain","mx-host"},"postern":{"tls_policy":{"source","result","detail"}}}.
// The table is written to --output (atomically; "-" or none: stdout), sorted by
// domain. Exit 0 when written (failed STS domains are logged), 1 on a config or
// policy error or when the output cannot be written.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace postern::tools {

struct TlsPolicyOptions {
  std::string config = "/etc/postern/postern.toml";
  bool config_explicit = false;
  std::vector<std::string> policy_dirs;
  std::string output;  // "" or "-" = stdout
  bool refresh = false;
  std::string ca_file;  // overrides [tls.outbound] ca_file
  uint16_t port = 443;  // the HTTPS port of mta-sts.DOMAIN (tests)
};

int run_tls_policy_export(const TlsPolicyOptions& o);

}  // namespace postern::tools
