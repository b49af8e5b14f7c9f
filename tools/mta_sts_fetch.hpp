// mta_sts_fetch: the HTTPS fetch of an MTA-STS policy file (RFC 8461 section 3.3)
// with libcurl, bounded.
//
// Contract: `fetch_sts_policy(domain, o)` GETs https://mta-sts.DOMAIN/.well-known/
// mta-sts.txt: HTTPS only, the certificate verified against the system's CAs or
// `o.ca_file`, redirects refused (RFC 8461: a 3xx is a failure), only 200 with
// Content-Type text/plain, at most kMaxPolicyBytes of body, at most o.timeout_ms in
// all. curl never resolves a name: it connects to `o.addresses`, the addresses of
// mta-sts.DOMAIN that the caller found through postern's resolver (lib/dns: the `[dns]`
// forwarders, local data and DNSSEC of every other lookup), pinned with
// CURLOPT_RESOLVE; none is an error. `o.port` is 443 but in tests; the name verified is
// always mta-sts.DOMAIN. Returns the body or why not. One curl handle per call;
// thread-safe once curl_global_init ran (the CLI calls it at start).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"

namespace postern::tools {

struct FetchOptions {
  std::string ca_file;  // "" = the system's CA store
  long timeout_ms = 10000;
  std::vector<std::string> addresses;  // of mta-sts.DOMAIN, IPv4 or IPv6 text
  uint16_t port = 443;
};

postern::expected<std::string, std::string> fetch_sts_policy(std::string_view domain,
                                                             const FetchOptions& o);

}  // namespace postern::tools
