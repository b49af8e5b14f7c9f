// DkimSignFinisher ("dkim-sign"): DKIM-signs outbound mail as it leaves.
//
// Contract: a core::Finisher, the last one of a snapshot (after every step that
// rewrites the message), so it signs `leaving` exactly as the next hop receives
// it. Only for outbound transactions (tx.direction() == Outbound) whose message
// has exactly one From field with exactly one address: it signs with every
// configured key for that address's domain (see DkimSigner::sign) and adds one
// `DKIM-Signature` per key at the top (HeaderAddition::at_top, one line: the
// writer folds it, relaxed canonicalization cannot tell). Nothing to sign, or a
// key that fails, is logged and adds nothing: mail is never held back for a
// signature. Immutable, shared by threads.
#pragma once

#include <memory>

#include "auth/dkim.hpp"
#include "core/finisher.hpp"

namespace postern::auth {

class DkimSignFinisher final : public core::Finisher {
 public:
  explicit DkimSignFinisher(std::shared_ptr<const DkimSigner> signer)
      : signer_(std::move(signer)) {}
  std::string_view name() const override { return "dkim-sign"; }
  bool needs_message(const core::Transaction& tx) const override;
  void finish(const core::Transaction& tx, const core::Message& leaving,
              core::Outcome& out) const override;

 private:
  std::shared_ptr<const DkimSigner> signer_;
};

}  // namespace postern::auth
