// DmarcStage: one DMARC decision per inbound message (see dmarc_stage.hpp).
#include "auth/dmarc_stage.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "mime/address.hpp"

namespace postern::auth {
namespace {

// DMARC's own DNS allowance: the _dmarc record at the From domain and at its
// organizational domain, and A/AAAA/MX for np. It is not drawn from the message's
// shared budget, which the sender's own SPF record (or DKIM and ARC selectors)
// could spend first to turn every DMARC check into a temperror.
constexpr size_t kQueriesPerDomain = 5;

struct DmarcPending {
  mutable dns::Budget budget;
  const mime::Author* author;        // kept on the transaction; more than the bound: refused
  std::vector<DmarcLookup> lookups;  // one per domain, in order (none when refused)
};

int severity(const DmarcResult& r) {
  if (r.result != DmarcStatus::Fail) return r.result == DmarcStatus::Pass ? 0 : 1;
  return 2 + static_cast<int>(r.enforce);
}

}  // namespace

void DmarcStage::prepare(core::Event e, core::Transaction& tx) const {
  if (e != core::Event::Message || tx.direction() != core::Direction::Inbound || !tx.message())
    return;
  // The From domains are read once, here; on_message works from this.
  const mime::Author& author = mime::author(tx);
  size_t asked = author.limit ? 0 : author.domains.size();  // over the bound: refused whole
  auto pending = std::make_shared<DmarcPending>(
      DmarcPending{dns::Budget(resolver_, kQueriesPerDomain * asked), &author, {}});
  for (size_t i = 0; i < asked; ++i)
    pending->lookups.push_back(start_dmarc_lookup(author.domains[i], pending->budget, *psl_));
  tx.put<DmarcPending>(std::move(pending));
}

core::Step DmarcStage::on_message(core::Transaction& tx) const {
  if (tx.direction() != core::Direction::Inbound || !tx.message()) return core::Step::next();
  if (!tx.get<DmarcPending>()) prepare(core::Event::Message, tx);  // called on its own
  const DmarcPending& pending = *tx.get<DmarcPending>();
  const std::vector<std::string>& domains = pending.author->domains;
  const core::Message& m = *tx.message();
  if (pending.author->limit) {
    // Checking some and not others would let the unchecked one through: refuse the whole.
    tx.add_finding(
        "DMARC_FROM_DOMAIN_LIMIT", 8,
        fmt::format("From names more than {} domains; not authenticated", mime::kMaxAuthorDomains));
    return core::Step::next();
  }
  if (domains.empty()) {
    DmarcResult r;
    r.result = DmarcStatus::PermError;
    r.detail = "no author domain in From: not authenticated";
    tx.add_finding("DMARC_PERMERROR", 0.5, r.detail);
    tx.put<DmarcResult>(std::make_shared<const DmarcResult>(std::move(r)));
    return core::Step::next();
  }

  DmarcInputs in;
  in.psl = psl_.get();
  in.spf = tx.get<SpfResult>();
  in.dkim = tx.get<DkimResults>();
  in.arc = tx.get<ArcResult>();
  in.trusted_arc_sealers = trusted_;
  std::string key;
  if (const auto* id = m.find("Message-ID")) key += id->value;
  if (const auto* date = m.find("Date")) key += date->value;

  std::optional<DmarcResult> worst;
  for (size_t i = 0; i < domains.size(); ++i) {
    in.from_domain = domains[i];
    in.sample = dmarc_sample(key + domains[i]);
    DmarcResult r = check_dmarc(in, pending.budget, &pending.lookups[i]);
    if (!worst || severity(r) > severity(*worst)) worst = std::move(r);
  }
  if (pending.author->rfc_domains > 1)
    tx.add_finding(
        "DMARC_MULTIPLE_FROM_DOMAINS", 3,
        fmt::format("From names {} domains: {}", domains.size(), fmt::join(domains, ", ")));
  const DmarcResult& r = *worst;
  std::string detail = fmt::format("{} {}", r.from_domain, r.detail);
  switch (r.result) {
    case DmarcStatus::Pass:
      tx.add_finding("DMARC_PASS", -1, std::move(detail));
      break;
    case DmarcStatus::None:
      tx.add_finding("DMARC_NONE", 0, std::move(detail));
      break;
    case DmarcStatus::PermError:
      tx.add_finding("DMARC_PERMERROR", 0.5, std::move(detail));
      break;
    case DmarcStatus::TempError:
      tx.add_finding("DMARC_TEMPERROR", 0, std::move(detail));
      break;
    case DmarcStatus::Fail:
      if (r.enforce == DmarcPolicy::Reject && r.auth_temperror)
        tx.add_finding("DMARC_TEMPERROR_REJECT", 0, std::move(detail));
      else if (r.enforce == DmarcPolicy::Reject)
        tx.add_finding("DMARC_POLICY_REJECT", 8, std::move(detail));
      else if (r.enforce == DmarcPolicy::Quarantine)
        tx.add_finding("DMARC_POLICY_QUARANTINE", 4, std::move(detail));
      else
        tx.add_finding("DMARC_POLICY_NONE", 1, std::move(detail));
      if (r.arc_override)
        tx.add_finding("DMARC_ARC_OVERRIDE", 0,
                       fmt::format("p=reject lowered to quarantine: ARC chain sealed by {}",
                                   in.arc ? in.arc->newest_sealer() : ""));
      break;
  }
  tx.put<DmarcResult>(std::make_shared<const DmarcResult>(r));
  return core::Step::next();
}

}  // namespace postern::auth
