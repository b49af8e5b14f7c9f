// The finding symbols of lib/auth.
#include "auth/symbols.hpp"

#include <array>

namespace postern::auth {
namespace {

using core::Scope;
constexpr std::array kSymbols{
    core::SymbolInfo{"SPF_PASS", 0.0, Scope::Transaction, "SPF pass"},
    core::SymbolInfo{"SPF_FAIL", 3.0, Scope::Transaction,
                     "SPF fail: the client is not a permitted sender"},
    core::SymbolInfo{"SPF_SOFTFAIL", 1.0, Scope::Transaction, "SPF softfail"},
    core::SymbolInfo{"SPF_NEUTRAL", 0.0, Scope::Transaction, "SPF neutral"},
    core::SymbolInfo{"SPF_NONE", 0.0, Scope::Transaction, "no SPF record"},
    core::SymbolInfo{"SPF_TEMPERROR", 0.0, Scope::Transaction, "SPF could not be completed (DNS)"},
    core::SymbolInfo{"SPF_PERMERROR", 0.5, Scope::Transaction, "a broken SPF record"},
    core::SymbolInfo{"DKIM_PASS", 0.0, Scope::Transaction, "a DKIM signature verified"},
    core::SymbolInfo{"DKIM_FAIL", 1.0, Scope::Transaction, "a DKIM signature did not verify"},
    core::SymbolInfo{"DKIM_NEUTRAL", 0.0, Scope::Transaction,
                     "a DKIM signature that cannot be checked (syntax)"},
    core::SymbolInfo{"DKIM_TEMPERROR", 0.0, Scope::Transaction, "a DKIM key lookup failed (DNS)"},
    core::SymbolInfo{"DKIM_PERMERROR", 0.5, Scope::Transaction,
                     "a DKIM signature or key that is broken or not allowed (rsa-sha1, short key)"},
    core::SymbolInfo{"DKIM_NONE", 0.0, Scope::Transaction, "no DKIM signature"},
    core::SymbolInfo{"DKIM_BODY_LENGTH_LIMIT", 1.0, Scope::Transaction,
                     "a DKIM signature with l= that covers only part of the body"},
    core::SymbolInfo{"DKIM_TOO_MANY_SIGNATURES", 1.0, Scope::Transaction,
                     "more DKIM signatures than [dkim] max_signatures"},
    core::SymbolInfo{"ARC_PASS", 0.0, Scope::Transaction, "the ARC chain validates"},
    core::SymbolInfo{"ARC_FAIL", 1.0, Scope::Transaction, "the ARC chain is broken"},
    core::SymbolInfo{"ARC_TEMPERROR", 0.0, Scope::Transaction, "an ARC key lookup failed (DNS)"},
    core::SymbolInfo{"ARC_NONE", 0.0, Scope::Transaction, "no ARC chain"},
    // The From domain is authenticated: the sender is who the From says (not that the
    // mail is good: a spammer's own domain passes too). -1, as rspamd's DMARC, DKIM and
    // SPF allow symbols add up to -0.9: enough to keep a legitimate newsletter that the
    // content scores just over the tag threshold out of the spam folder, far too little
    // to carry spam or phishing that the content scores clearly.
    core::SymbolInfo{"DMARC_PASS", -1.0, Scope::Transaction,
                     "DMARC pass: SPF or DKIM aligned with the From domain (authenticated)"},
    core::SymbolInfo{"DMARC_NONE", 0.0, Scope::Transaction, "the From domain has no DMARC record"},
    core::SymbolInfo{"DMARC_PERMERROR", 0.5, Scope::Transaction,
                     "a broken DMARC record, or a From with no author domain"},
    core::SymbolInfo{"DMARC_TEMPERROR", 0.0, Scope::Transaction,
                     "the DMARC record lookup failed (DNS)"},
    core::SymbolInfo{"DMARC_POLICY_NONE", 1.0, Scope::Transaction,
                     "DMARC failed under p=none (or sampled down to none)"},
    core::SymbolInfo{"DMARC_POLICY_QUARANTINE", 4.0, Scope::Transaction,
                     "DMARC failed under p=quarantine"},
    core::SymbolInfo{"DMARC_POLICY_REJECT", 8.0, Scope::Transaction, "DMARC failed under p=reject"},
    core::SymbolInfo{"DMARC_TEMPERROR_REJECT", 0.0, Scope::Transaction,
                     "DMARC failed under p=reject while an aligned check had a DNS error"},
    core::SymbolInfo{"DMARC_MULTIPLE_FROM_DOMAINS", 3.0, Scope::Transaction,
                     "the From field(s) name several domains; the strictest DMARC result counts"},
    core::SymbolInfo{"DMARC_FROM_DOMAIN_LIMIT", 8.0, Scope::Transaction,
                     "more From domains than DMARC checks (8): not authenticated"},
    core::SymbolInfo{"DMARC_ARC_OVERRIDE", 0.0, Scope::Transaction,
                     "p=reject lowered to quarantine: a trusted ARC sealer"},
};

}  // namespace

std::span<const core::SymbolInfo> symbols() {
  return kSymbols;
}

}  // namespace postern::auth
