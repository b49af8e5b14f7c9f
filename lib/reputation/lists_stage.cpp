// ListsStage: client IP, sender and recipient list lookups.
#include "reputation/lists_stage.hpp"

#include <fmt/format.h>

#include "core/address.hpp"

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
                              std::string_view where) const {
  if (address.empty()) return;
  for (const auto& l : lists_) {
    if (l.match != ListMatch::Sender || tx.has_finding(l.symbol)) continue;
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
  size_t checked = 0;
  for (const auto* from : m->find_all("From")) {
    for (const auto& a : core::parse_address_list(from->value, 50)) {
      check_sender(tx, a, "header From");
      if (++checked >= 50) return core::Step::next();  // bounded: a hostile From list is not a DoS
    }
  }
  return core::Step::next();
}

}  // namespace postern::reputation
