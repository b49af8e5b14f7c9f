// mta_sts_fetch: the HTTPS fetch of an MTA-STS policy file (RFC 8461 section 3.3)
// with libcurl, bounded.
//
// Contract: `fetch_sts_policy(domain, o)` GETs https://mta-sts.DOMAIN/.well-known/
// mta-sts.txt: HTTPS only, the certificate verified against the system's CAs or
// `o.ca_file`, redirects refused (RFC 8461: a 3xx is a failure), only 200 with
// Content-Type text/plain, at most kMaxPolicyBytes of body, at most o.timeout_ms in
// all. `o.connect_to` (curl's CONNECT_TO, "HOST:PORT:ADDR:PORT") points the name at
// another address for tests; the name verified stays mta-sts.DOMAIN. Returns the body
// or why not. One curl handle per call; thread-safe once curl_global_init ran
// (the CLI calls it at start).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"

namespace postern::tools {

struct FetchOptions {
  std::string ca_file;  // "" = the system's CA store
  long timeout_ms = 10000;
  std::vector<std::string> connect_to;
};

postern::expected<std::string, std::string> fetch_sts_policy(std::string_view domain,
                                                             const FetchOptions& o);

}  // namespace postern::tools
