// BecStage: the business email compromise checks of one message (the bec stage).
//
// Contract: a content stage run at end of message, after the mime stage (it
// reads content::fields and mime::author). Inbound mail: every From mailbox's
// display name against the protected names (BEC_DISPLAY_NAME_VIP), the From,
// Reply-To and envelope sender domains against the own and partner domains
// (BEC_LOOKALIKE_DOMAIN), the subject and visible text of a short message
// against the phrase lists (BEC_PAYMENT_LANGUAGE, BEC_GIFT_CARD, BEC_URGENCY),
// and, with a sender history, first contact: no recipient's domain has ever
// written to the From address (BEC_FIRST_CONTACT, and BEC_FIRST_CONTACT_AMPLIFIED
// when one of the impersonation, lookalike, payment or gift-card findings came
// with it). Outbound mail only records its envelope recipients outside the own
// domains as known to the sender's domain. One finding per symbol and message;
// each detail says what matched and where, with a masked excerpt. Immutable,
// shared by every connection thread (the history is thread-safe).
#pragma once

#include <memory>

#include "content/bec.hpp"
#include "core/stage.hpp"

namespace postern::reputation {
class SenderHistory;
}

namespace postern::content {

class BecStage final : public core::Stage {
 public:
  // `history` may be null: no first-contact check and nothing recorded.
  BecStage(std::shared_ptr<const BecChecks> checks,
           std::shared_ptr<reputation::SenderHistory> history);
  std::string_view name() const override { return "bec"; }
  bool content() const override { return true; }
  core::Step on_message(core::Transaction& tx) const override;

 private:
  void inbound(core::Transaction& tx) const;
  void outbound(core::Transaction& tx) const;

  std::shared_ptr<const BecChecks> checks_;
  std::shared_ptr<reputation::SenderHistory> history_;
};

}  // namespace postern::content
