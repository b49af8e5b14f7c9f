// ArcStage ("arc") and ArcSealFinisher ("arc-seal"): ARC (RFC 8617) in the pipeline.
//
// Contract, stage: runs at end of message on inbound mail only, validates the
// ARC chain (auth/arc.hpp) through the snapshot's shared dns::Resolver, spending
// the message's dns::transaction_budget, puts the auth::ArcResult on the transaction
// (`tx.get<auth::ArcResult>()`: the Authentication-Results writer, DMARC and
// the sealer read it) and adds exactly one finding: ARC_PASS (0), ARC_FAIL (1),
// ARC_NONE (0), or ARC_TEMPERROR (0) when the chain failed only because a key
// lookup failed temporarily — defaults the policy's scores can override. A pass
// by itself proves only that the sealers' domains handled the message, so it
// scores nothing; a temporary failure is a finding, never Step::error (a DNS
// outage must not tempfail mail). A message truncated at the size limit is
// skipped (no finding, no result): its body is not the one that was signed. Immutable, shared by
// threads; blocks the calling thread for the key lookups (bounded by the timeout and the budget).
//
// Contract, finisher: when sealing is configured, seals the message as it
// leaves (auth::seal_arc, i = N+1) if postern modified it (the Outcome has a
// new Subject, removed fields or a new body: a banner, rewritten links) or always
// with `always`. The cv is the
// ArcResult the stage put on the transaction; without one (outbound mail, or no
// resolver) a message without ARC fields is sealed with cv=none and one with
// ARC fields is left alone. A truncated message, a chain that failed only temporarily, one whose
// newest seal says cv=fail, or one already at max_instances is not sealed
// (logged at info). The recorded ARC-Authentication-Results value is the value
// of the Authentication-Results field the earlier finisher added, or
// "<authserv-id>; arc=<cv>". The three fields go in at the top, added in the
// order AAR, AMS, AS (each above the last). Runs after the Authentication-
// Results writer and before DKIM signing. Immutable, shared by threads.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "auth/arc.hpp"
#include "core/finisher.hpp"
#include "core/stage.hpp"
#include "dns/resolver.hpp"

namespace postern::auth {

class ArcStage final : public core::Stage {
 public:
  ArcStage(std::shared_ptr<dns::Resolver> resolver, size_t max_queries, ArcVerifyOptions options)
      : resolver_(std::move(resolver)), max_queries_(max_queries), options_(options) {}
  std::string_view name() const override { return "arc"; }
  core::Step on_message(core::Transaction& tx) const override;

 private:
  std::shared_ptr<dns::Resolver> resolver_;
  size_t max_queries_;
  ArcVerifyOptions options_;
};

// The finding symbol and default score for a result.
struct ArcSymbol {
  const char* symbol;
  double score;
};
ArcSymbol arc_symbol(const ArcResult& r);

class ArcSealFinisher final : public core::Finisher {
 public:
  // `clock`: seconds since the epoch for t= (tests pin it).
  ArcSealFinisher(ArcSealer sealer, bool always, std::string authserv_id,
                  std::function<int64_t()> clock = nullptr);
  std::string_view name() const override { return "arc-seal"; }
  void finish(const core::Transaction& tx, const core::Message& leaving,
              core::Outcome& out) const override;

 private:
  ArcSealer sealer_;
  bool always_;
  std::string authserv_id_;
  std::function<int64_t()> clock_;
};

}  // namespace postern::auth
