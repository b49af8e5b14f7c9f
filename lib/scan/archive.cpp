// ArchiveModifier: see archive.hpp.
#include "scan/archive.hpp"

#include <algorithm>

#include "core/message.hpp"

namespace postern::scan {

void ArchiveModifier::modify(const core::Transaction& tx, const core::Message&,
                             core::Outcome& out) const {
  if (p_.recipient.empty() || !p_.directions.has(tx.direction()) ||
      std::find(p_.actions.begin(), p_.actions.end(), out.verdict.action) == p_.actions.end())
    return;
  bool present = false;
  for (const auto& r : tx.envelope().recipients) {
    if (core::iequals(r, p_.recipient))
      present = true;
    else if (p_.mode == policy::ArchivePolicy::Mode::Redirect)
      out.removed_recipients.push_back(r);
  }
  if (!present) out.added_recipients.push_back({p_.recipient, ""});
}

}  // namespace postern::scan
