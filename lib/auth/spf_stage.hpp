// SpfStage ("spf"): the SPF result of the envelope sender, as a finding.
//
// Contract: runs at MAIL FROM (the earliest point where both identities are
// known, so the result is on the transaction before any later stage and DMARC
// at end of message can read it). It checks the MAIL FROM identity, or the
// HELO identity when MAIL FROM is empty (RFC 7208 2.4), for the client
// address, through the snapshot's shared dns::Resolver spending the
// message's dns::transaction_budget (`max_queries`). It adds exactly one finding:
// SPF_PASS (0), SPF_FAIL (3), SPF_SOFTFAIL (1), SPF_NEUTRAL (0), SPF_NONE (0),
// SPF_TEMPERROR (0), SPF_PERMERROR (0.5) — defaults the policy's scores can
// override — and puts the auth::SpfResult on the transaction
// (`tx.get<auth::SpfResult>()`). A temperror is a finding, not Step::error:
// a DNS outage for one sender's domain must not tempfail all mail (DMARC and
// the policy decide what it means). Skipped, with no finding and no result:
// an unknown or loopback client address, and authenticated (SASL) clients.
// Immutable, shared by threads; blocks the calling thread for the lookups
// (bounded by the resolver's timeout and the budget).
#pragma once

#include <memory>

#include "auth/spf.hpp"
#include "core/stage.hpp"
#include "dns/resolver.hpp"

namespace postern::auth {

class SpfStage final : public core::Stage {
 public:
  SpfStage(std::shared_ptr<dns::Resolver> resolver, size_t max_queries, SpfOptions options)
      : resolver_(std::move(resolver)), max_queries_(max_queries), options_(std::move(options)) {}
  std::string_view name() const override { return "spf"; }
  core::Step on_mail_from(core::Transaction& tx) const override;

 private:
  std::shared_ptr<dns::Resolver> resolver_;
  size_t max_queries_;
  SpfOptions options_;
};

// The finding symbol and default score for a result.
struct SpfSymbol {
  const char* symbol;
  double score;
};
SpfSymbol spf_symbol(SpfStatus s);

}  // namespace postern::auth
