// The BEC symbols, the [bec] policy section and the bec stage (its sender history
// is kept in the "state" service, lib/state).
#include "content/bec_registration.hpp"
#include "content/registration.hpp"

#include <array>

#include "auth/dmarc.hpp"
#include "content/bec.hpp"
#include "content/bec_stage.hpp"
#include "policy/config.hpp"
#include "policy/policy.hpp"
#include "reputation/sender_history.hpp"
#include "state/config.hpp"
#include "state/store.hpp"

namespace postern::content {
namespace {

using core::Scope;
constexpr std::array kSymbols{
    core::SymbolInfo{"BEC_DISPLAY_NAME_VIP", 5.0, Scope::Transaction,
                     "the From display name is a protected person's ([bec] protected), from an "
                     "address that is not theirs"},
    core::SymbolInfo{"BEC_LOOKALIKE_DOMAIN", 5.0, Scope::Transaction,
                     "a From, Reply-To or envelope sender domain looks like an own or partner "
                     "domain (confusable, one or two edits, another suffix)"},
    core::SymbolInfo{"BEC_PAYMENT_LANGUAGE", 1.5, Scope::Transaction,
                     "a short message asks about wire transfers, invoices or bank details"},
    core::SymbolInfo{"BEC_GIFT_CARD", 2.0, Scope::Transaction,
                     "a short message asks for gift cards"},
    core::SymbolInfo{"BEC_URGENCY", 0.5, Scope::Transaction,
                     "a short message presses for haste or secrecy"},
    core::SymbolInfo{"BEC_FIRST_CONTACT", 0.1, Scope::Transaction,
                     "no recipient's domain has ever written to the sender (sender history)"},
    core::SymbolInfo{"BEC_FIRST_CONTACT_AMPLIFIED", 2.5, Scope::Transaction,
                     "first contact together with an impersonation, lookalike, payment or gift "
                     "card finding"},
};

const BecPolicy& bec(const policy::Policy& p) {
  return p.sections.section<BecPolicy>("bec");
}

bool configured(const BecPolicy& b) {
  bool phrases = false;
  for (const auto& list : b.phrases) phrases = phrases || !list.empty();
  return phrases || !b.protected_names.empty() || !b.own_domains.empty() ||
         !b.partner_domains.empty();
}

}  // namespace

const core::Registration& bec_registration() {
  static const core::Registration r{
      .folder = "content",
      .symbols = kSymbols,
      .policy_sections = {{.name = "bec", .read = read_bec_policy}},
      .stages = {{.name = "bec",
                  .provides = {"content.findings"},
                  .needs = {"mime.analysis", "url.list"},
                  .make = [](const core::StageContext& c) -> std::unique_ptr<core::Stage> {
                    const BecPolicy& b = bec(c.policy);
                    // The sender history lives in the state store ([state] of postern.toml).
                    auto store = c.services.get<state::Store>(state::kStateService);
                    auto history =
                        store ? std::make_shared<reputation::SenderHistory>(std::move(store))
                              : nullptr;
                    if (!configured(b) && !history) return nullptr;
                    return std::make_unique<BecStage>(
                        std::make_shared<const BecChecks>(b, public_suffixes(c)),
                        std::move(history));
                  }}},
  };
  return r;
}

}  // namespace postern::content
