// DkimStage ("dkim"): every DKIM signature of an inbound message, as findings.
//
// Contract: runs at end of message (on_message), for inbound transactions only
// (outbound mail is ours to sign, see dkim_sign.hpp). It verifies through the
// snapshot's shared DkimVerifier spending the message's dns::transaction_budget on the
// shared dns::Resolver, and always puts an auth::DkimResults on the transaction
// (`tx.get<auth::DkimResults>()`; empty when the message has no signature), for
// DMARC and Authentication-Results. Findings, at most one per evaluated
// signature (defaults the policy's scores can override): DKIM_PASS (0),
// DKIM_FAIL (1), DKIM_NEUTRAL (0), DKIM_TEMPERROR (0), DKIM_PERMERROR (0.5), a
// pass whose l= leaves part of the body unsigned DKIM_BODY_LENGTH_LIMIT (1,
// instead of DKIM_PASS); DKIM_NONE (0) when there is no signature; and
// DKIM_TOO_MANY_SIGNATURES (1) past the configured bound. A temperror is a
// finding, not Step::error (DMARC and the policy decide). Immutable, shared by
// threads; blocks the calling thread for the key lookups, which run at once
// (one resolver timeout in all, however many signatures; the budget bounds
// how many are asked).
#pragma once

#include <memory>

#include "auth/dkim.hpp"
#include "core/stage.hpp"
#include "dns/resolver.hpp"

namespace postern::auth {

class DkimStage final : public core::Stage {
 public:
  DkimStage(std::shared_ptr<const DkimVerifier> verifier, std::shared_ptr<dns::Resolver> resolver,
            size_t max_queries)
      : verifier_(std::move(verifier)), resolver_(std::move(resolver)), max_queries_(max_queries) {}
  std::string_view name() const override { return "dkim"; }
  core::Step on_message(core::Transaction& tx) const override;

 private:
  std::shared_ptr<const DkimVerifier> verifier_;
  std::shared_ptr<dns::Resolver> resolver_;
  size_t max_queries_;
};

// The finding symbol and default score for one signature's result.
struct DkimSymbol {
  const char* symbol;
  double score;
};
DkimSymbol dkim_symbol(const DkimSignature& s);

}  // namespace postern::auth
