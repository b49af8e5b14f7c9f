// DkimSignFinisher: sign the leaving message of an outbound transaction (see dkim_sign.hpp).
#include "auth/dkim_sign.hpp"

#include "core/address.hpp"
#include "telemetry/log.hpp"

namespace postern::auth {

namespace {

// The From domain of `m`, "" unless there is exactly one From with exactly one address.
std::string from_domain(const core::Message& m) {
  const core::HeaderField* from = nullptr;
  for (const auto& h : m.headers()) {
    if (core::to_lower(h.name) != "from") continue;
    if (from) return {};
    from = &h;
  }
  if (!from) return {};
  auto addrs = core::parse_address_list(from->value, 2);
  return addrs.size() == 1 ? core::domain_of(addrs.front()) : std::string();
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
