// DmarcStage ("dmarc"): the DMARC result of an inbound message, as a finding.
//
// Contract: runs at end of message, after the spf, dkim and arc stages (it reads
// their results from the transaction: auth::SpfResult, auth::DkimResults,
// auth::ArcResult; a missing one counts as not passing). `prepare` starts the
// `_dmarc` lookups of the From domains so they overlap with the DKIM and ARC
// key lookups. The author domains are mime::author's: every domain that any
// reader could take from the From field(s) (see mime/address.hpp), so a From
// that reads as two domains is checked as both and the strictest outcome
// counts. More than one domain in the RFC reading is hostile
// (DMARC_MULTIPLE_FROM_DOMAINS, 3; an ambiguous field is HEADER_FROM_AMBIGUOUS,
// from header_sanity); more than mime::kMaxAuthorDomains (8) is refused whole
// (DMARC_FROM_DOMAIN_LIMIT, 8; the shipped policy rejects it): checking only
// some would let an unchecked one through. A From with no domain at all is not
// authenticated (DMARC_PERMERROR, "no author domain"); DMARC is never skipped. DMARC's lookups (5
// per From domain) have their own allowance, not the message's shared [dns] max_queries, which the
// sender's own SPF record could otherwise spend first. One finding per message:
//   DMARC_PASS (0), DMARC_NONE (0: no record), DMARC_PERMERROR (0.5),
//   DMARC_TEMPERROR (0: the record lookup failed),
//   DMARC_POLICY_NONE (1: failed, p=none or sampled down to none),
//   DMARC_POLICY_QUARANTINE (4), DMARC_POLICY_REJECT (8),
//   DMARC_TEMPERROR_REJECT (0: failed under p=reject while an aligned SPF or DKIM
//   check had a DNS error — the default policy tempfails it rather than reject).
// The shipped policy maps DMARC_POLICY_REJECT to reject, DMARC_POLICY_QUARANTINE
// to quarantine and DMARC_TEMPERROR_REJECT to tempfail; a passing ARC chain sealed
// by a sealer in `[dmarc] trusted_arc_sealers` turns reject into quarantine
// (DMARC_ARC_OVERRIDE, 0, is added too). The detail starts with the From domain
// and the applied policy ("example.com p=reject: ..."), which the rule's reply
// text can quote with {detail}. Puts the auth::DmarcResult on the transaction.
// Outbound messages are not checked. Immutable, shared by threads; blocks for
// the lookups (bounded by the resolver's timeout and the message's budget).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "auth/dmarc.hpp"
#include "core/stage.hpp"

namespace postern::auth {

class DmarcStage final : public core::Stage {
 public:
  // `psl`: the public suffix list service (null = PublicSuffix::instance()).
  DmarcStage(std::shared_ptr<dns::Resolver> resolver, std::vector<std::string> trusted_arc_sealers,
             std::shared_ptr<const PublicSuffix> psl = nullptr)
      : resolver_(std::move(resolver)),
        trusted_(std::move(trusted_arc_sealers)),
        psl_(psl ? std::move(psl)
                 : std::shared_ptr<const PublicSuffix>(&PublicSuffix::instance(),
                                                       [](const PublicSuffix*) {})) {}
  std::string_view name() const override { return "dmarc"; }
  void prepare(core::Event e, core::Transaction& tx) const override;
  core::Step on_message(core::Transaction& tx) const override;

 private:
  std::shared_ptr<dns::Resolver> resolver_;
  std::vector<std::string> trusted_;
  std::shared_ptr<const PublicSuffix> psl_;
};

}  // namespace postern::auth
