// ArcStage and ArcSealFinisher (see arc_stage.hpp).
#include "auth/arc_stage.hpp"

#include <fmt/format.h>

#include <ctime>

#include "dns/transaction_budget.hpp"
#include "telemetry/log.hpp"

namespace postern::auth {

ArcSymbol arc_symbol(const ArcResult& r) {
  switch (r.cv) {
    case ArcStatus::Pass:
      return {"ARC_PASS", 0};
    case ArcStatus::Fail:
      return r.temporary ? ArcSymbol{"ARC_TEMPERROR", 0} : ArcSymbol{"ARC_FAIL", 1};
    case ArcStatus::None:
      return {"ARC_NONE", 0};
  }
  return {"ARC_NONE", 0};
}

core::Step ArcStage::on_message(core::Transaction& tx) const {
  // A message cut at the size limit cannot be checked: its body is not the one that was signed.
  if (tx.direction() != core::Direction::Inbound || !tx.message() || tx.message()->truncated())
    return core::Step::next();
  dns::Budget& budget = dns::transaction_budget(tx, resolver_, max_queries_);
  ArcResult r = verify_arc(*tx.message(), budget, options_);
  std::string detail;
  switch (r.cv) {
    case ArcStatus::Pass:
      detail = fmt::format("pass: {} ARC set{}, sealed last by {}", r.instances,
                           r.instances == 1 ? "" : "s", r.newest_sealer());
      break;
    case ArcStatus::Fail:
      detail = fmt::format("fail: {}", r.detail);
      break;
    case ArcStatus::None:
      detail = "no ARC chain";
      break;
  }
  ArcSymbol sym = arc_symbol(r);
  tx.add_finding(sym.symbol, sym.score, std::move(detail));
  tx.put<ArcResult>(std::make_shared<const ArcResult>(std::move(r)));
  return core::Step::next();
}

ArcSealFinisher::ArcSealFinisher(ArcSealer sealer, bool always, std::string authserv_id,
                                 std::function<int64_t()> clock)
    : sealer_(std::move(sealer)),
      always_(always),
      authserv_id_(std::move(authserv_id)),
      clock_(clock ? std::move(clock) : [] { return static_cast<int64_t>(std::time(nullptr)); }) {}

void ArcSealFinisher::finish(const core::Transaction& tx, const core::Message& leaving,
                             core::Outcome& out) const {
  if (!always_ && !out.new_subject && out.changed.empty() && !out.new_body) return;
  if (leaving.truncated()) {  // the body we hold is not the body that leaves
    telemetry::log_info("arc-seal {}: not sealed, the message exceeds the size limit",
                        tx.scan_id());
    return;
  }
  ArcStatus cv = ArcStatus::None;
  if (const ArcResult* r = tx.get<ArcResult>()) {
    if (r->temporary) {
      telemetry::log_info("arc-seal {}: not sealed, the chain could not be checked ({})",
                          tx.scan_id(), r->detail);
      return;
    }
    cv = r->cv;
  } else if (leaving.find("ARC-Seal") || leaving.find("ARC-Message-Signature") ||
             leaving.find("ARC-Authentication-Results")) {
    telemetry::log_info("arc-seal {}: not sealed, the ARC chain was not validated", tx.scan_id());
    return;
  }
  std::string ar;
  for (const auto& a : out.added) {
    if (core::iequals(a.name, "Authentication-Results")) {
      ar = a.value;
      break;
    }
  }
  if (ar.empty()) ar = fmt::format("{}; arc={}", authserv_id_, to_string(cv));
  auto set = seal_arc(leaving, ar, cv, sealer_, clock_());
  if (!set) {
    telemetry::log_info("arc-seal {}: not sealed: {}", tx.scan_id(), set.error());
    return;
  }
  out.added.push_back({"ARC-Authentication-Results", std::move(set->aar), true});
  out.added.push_back({"ARC-Message-Signature", std::move(set->ams), true});
  out.added.push_back({"ARC-Seal", std::move(set->seal), true});
}

}  // namespace postern::auth
