// ListsStage: client IP, sender and recipient list lookups.
#include "reputation/lists_stage.hpp"

#include <fmt/format.h>

#include "core/address.hpp"
#include "mime/address.hpp"

namespace postern::reputation {
using policy::ListMatch;

core::Step ListsStage::on_connect(core::Transaction& tx) const {
  auto ip = core::IpAddress::parse(tx.connection().client_address);
  if (!ip) return core::Step::next();
  for (const auto& l : lists_) {
    if (l.match != ListMatch::ClientIp || tx.has_finding(l.symbol)) continue;
    if (auto e = l.match_ip(*ip))
      tx.add_finding(l.symbol, l.score,
                     fmt::format("client {} in list {} ({})", ip->to_string(), l.name, *e));
  }
  return core::Step::next();
}

void ListsStage::check_sender(core::Transaction& tx, std::string_view address,
                              std::string_view where, bool allow_lists) const {
  if (address.empty()) return;
  for (const auto& l : lists_) {
    if (l.match != ListMatch::Sender || tx.has_finding(l.symbol)) continue;
    if (!allow_lists && l.score < 0) continue;
    if (auto e = l.match_address(address))
      tx.add_finding(l.symbol, l.score,
                     fmt::format("{} {} in list {} ({})", where, address, l.name, *e));
  }
}

core::Step ListsStage::on_mail_from(core::Transaction& tx) const {
  check_sender(tx, tx.envelope().mail_from, "envelope sender");
  return core::Step::next();
}

core::Step ListsStage::on_rcpt(core::Transaction& tx, std::string_view rcpt) const {
  for (const auto& l : lists_) {
    if (l.match != ListMatch::Recipient || tx.has_finding(l.symbol)) continue;
    if (auto e = l.match_address(rcpt))
      tx.add_finding(l.symbol, l.score,
                     fmt::format("recipient {} in list {} ({})", rcpt, l.name, *e));
  }
  return core::Step::next();
}

core::Step ListsStage::on_message(core::Transaction& tx) const {
  const core::Message* m = tx.message();
  if (!m) return core::Step::next();
  // Every mailbox of the RFC reading, then every domain another reader could see.
  // The strictest reading wins: a list that blocks matches whichever reading names
  // it; an allow list (negative score) only a From that every reader reads alike.
  const mime::Author& author = mime::author(tx);
  size_t checked = 0;
  for (const auto& b : author.mailboxes) {
    if (b.domain.empty()) continue;
    check_sender(tx, b.address(), "header From", !author.ambiguous);
    if (++checked >= 50) return core::Step::next();  // bounded: a hostile From list is not a DoS
  }
  for (size_t i = author.rfc_domains; i < author.domains.size(); ++i)
    check_sender(tx, "@" + author.domains[i], "header From (another reading)", false);
  return core::Step::next();
}

}  // namespace postern::reputation
