// SpfStage: one SPF check per transaction at MAIL FROM (see spf_stage.hpp).
#include "auth/spf_stage.hpp"

#include <fmt/format.h>

#include "dns/transaction_budget.hpp"

namespace postern::auth {

SpfSymbol spf_symbol(SpfStatus s) {
  switch (s) {
    case SpfStatus::Pass:
      return {"SPF_PASS", 0};
    case SpfStatus::Fail:
      return {"SPF_FAIL", 3};
    case SpfStatus::SoftFail:
      return {"SPF_SOFTFAIL", 1};
    case SpfStatus::Neutral:
      return {"SPF_NEUTRAL", 0};
    case SpfStatus::None:
      return {"SPF_NONE", 0};
    case SpfStatus::TempError:
      return {"SPF_TEMPERROR", 0};
    case SpfStatus::PermError:
      return {"SPF_PERMERROR", 0.5};
  }
  return {"SPF_NONE", 0};
}

core::Step SpfStage::on_mail_from(core::Transaction& tx) const {
  const auto& conn = tx.connection();
  if (conn.client_address.empty() || !conn.sasl_user.empty()) return core::Step::next();
  dns::Budget& budget = dns::transaction_budget(tx, resolver_, max_queries_);
  SpfIdentity id = tx.envelope().mail_from.empty() ? SpfIdentity::Helo : SpfIdentity::MailFrom;
  SpfResult r =
      check_spf(id, conn.client_address, conn.helo, tx.envelope().mail_from, budget, options_);
  if (r.skipped) return core::Step::next();
  SpfSymbol sym = spf_symbol(r.result);
  std::string detail = fmt::format("{} for {} ({}) from {}", to_string(r.result),
                                   r.identity == SpfIdentity::Helo ? "helo" : "mailfrom", r.sender,
                                   conn.client_address);
  if (!r.detail.empty()) detail += ": " + r.detail;
  tx.add_finding(sym.symbol, sym.score, std::move(detail));
  tx.put<SpfResult>(std::make_shared<const SpfResult>(std::move(r)));
  return core::Step::next();
}

}  // namespace postern::auth
