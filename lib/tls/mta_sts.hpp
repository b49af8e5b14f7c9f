// MTA-STS (RFC 8461): the _mta-sts TXT record and the policy file, read strictly,
// and the Postfix smtp_tls_policy_maps line an STS policy becomes.
//
// Contract: `parse_sts_txt` reads a TXT record's text: "v=STSv1; id=ID" (v first, id
// 1..32 alphanumerics, other fields ignored); an error otherwise. `parse_sts_policy`
// reads the policy file (at most kMaxPolicyBytes): lines "key: value" ending in LF or
// CRLF (a bare CR, a line without a colon, a key twice except mx: errors), version
// "STSv1" (required), mode "enforce", "testing" or "none" (required), max_age
// (required, 1..10 digits; above `max_age_cap` cut to it), mx (at least one unless
// mode none: "host.example" or "*.example", lower-cased, LDH labels); unknown keys are
// ignored, as the RFC says. `policy_line` is the table line: enforce → "DOMAIN secure
// match=MX:MX..." (a "*.example" pattern as Postfix's ".example": Postfix matches one
// or more labels where STS means one, the nearest Postfix can say), testing → "DOMAIN
// may" (and the caller logs), none → "" (no line: Postfix's default applies). Pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"

namespace postern::tls {

inline constexpr size_t kMaxPolicyBytes = 64 * 1024;

struct StsPolicy {
  enum class Mode { Enforce, Testing, None };
  Mode mode = Mode::None;
  std::vector<std::string> mx;
  int64_t max_age = 0;
};

std::string_view mode_name(StsPolicy::Mode m);

postern::expected<std::string, std::string> parse_sts_txt(std::string_view txt);
postern::expected<StsPolicy, std::string> parse_sts_policy(std::string_view text,
                                                           int64_t max_age_cap);
std::string policy_line(std::string_view domain, const StsPolicy& p);

// The policy as one line of text for the cache ("mode max_age mx mx ..."), and back.
std::string to_cache(const StsPolicy& p);
postern::expected<StsPolicy, std::string> from_cache(std::string_view line);

}  // namespace postern::tls
