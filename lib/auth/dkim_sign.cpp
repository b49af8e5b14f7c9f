// DkimSignFinisher: sign the leaving message of an outbound transaction (see dkim_sign.hpp).
#include "auth/dkim_sign.hpp"

#include "mime/address.hpp"
#include "telemetry/log.hpp"

namespace postern::auth {

namespace {

// The author domain of `m`: "" unless every reading of the From field(s) agrees on one.
std::string from_domain(const core::Message& m) {
  mime::Author a = mime::author(m);
  return a.rfc_domains == 1 && a.mailboxes.size() == 1 ? a.single_domain() : std::string();
}

}  // namespace

bool DkimSignFinisher::needs_message(const core::Transaction& tx) const {
  return tx.direction() == core::Direction::Outbound;
}

void DkimSignFinisher::finish(const core::Transaction& tx, const core::Message& leaving,
                              core::Outcome& out) const {
  if (tx.direction() != core::Direction::Outbound) return;
  std::string domain = from_domain(leaving);
  if (domain.empty() || !signer_->has_key_for(domain)) return;
  DkimSigner::Signed s = signer_->sign(leaving, domain);
  for (const auto& e : s.errors) telemetry::log_warn("dkim-sign {}: {}", tx.scan_id(), e);
  for (auto& sig : s.signatures)
    out.added.push_back(core::HeaderAddition{"DKIM-Signature", std::move(sig.value), true});
}

}  // namespace postern::auth
