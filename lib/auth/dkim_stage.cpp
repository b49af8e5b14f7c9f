// DkimStage: verify every signature of an inbound message (see dkim_stage.hpp).
#include "auth/dkim_stage.hpp"

#include <fmt/format.h>

#include "dns/transaction_budget.hpp"

namespace postern::auth {

DkimSymbol dkim_symbol(const DkimSignature& s) {
  switch (s.result) {
    case DkimStatus::Pass:
      return s.body_length_limited ? DkimSymbol{"DKIM_BODY_LENGTH_LIMIT", 1}
                                   : DkimSymbol{"DKIM_PASS", 0};
    case DkimStatus::Fail:
      return {"DKIM_FAIL", 1};
    case DkimStatus::Neutral:
    case DkimStatus::Policy:
      return {"DKIM_NEUTRAL", 0};
    case DkimStatus::TempError:
      return {"DKIM_TEMPERROR", 0};
    case DkimStatus::PermError:
      return {"DKIM_PERMERROR", 0.5};
    case DkimStatus::None:
      break;
  }
  return {"DKIM_NONE", 0};
}

core::Step DkimStage::on_message(core::Transaction& tx) const {
  if (tx.direction() != core::Direction::Inbound || !tx.message()) return core::Step::next();
  dns::Budget& budget = dns::transaction_budget(tx, resolver_, max_queries_);
  DkimVerification v = verifier_->verify(*tx.message(), budget);
  if (v.results.signatures.empty()) tx.add_finding("DKIM_NONE", 0, "no DKIM signature");
  for (const auto& s : v.results.signatures) {
    DkimSymbol sym = dkim_symbol(s);
    std::string detail = fmt::format("{} d={} s={} a={} b={}", to_string(s.result), s.domain,
                                     s.selector, s.algorithm, s.b);
    if (s.body_length_limited) detail += " (l= leaves part of the body unsigned)";
    if (!s.detail.empty()) detail += ": " + s.detail;
    tx.add_finding(sym.symbol, sym.score, std::move(detail));
  }
  if (v.limited)
    tx.add_finding("DKIM_TOO_MANY_SIGNATURES", 1,
                   fmt::format("{} signatures, only the first {} evaluated", v.signatures_seen,
                               verifier_->options().max_signatures));
  tx.put<DkimResults>(std::make_shared<const DkimResults>(std::move(v.results)));
  return core::Step::next();
}

}  // namespace postern::auth
