// The quarantine disposer and the release stage (see stage.hpp).
#include "quarantine/stage.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "core/message.hpp"
#include "quarantine/release.hpp"
#include "quarantine/symbols.hpp"
#include "state/store.hpp"

namespace postern::quarantine {

Entry make_entry(const core::Transaction& tx, const core::Message& leaving,
                 const core::Outcome& out, int64_t now) {
  Entry e;
  e.id = out.quarantine_id;  // "" = a new one
  e.time = now;
  e.direction = core::to_string(tx.direction());
  e.sender = tx.envelope().mail_from;
  for (const auto& r : tx.envelope().recipients)
    if (std::find(out.removed_recipients.begin(), out.removed_recipients.end(), r) ==
        out.removed_recipients.end())
      e.recipients.push_back(r);
  for (const auto& a : out.added_recipients) e.recipients.push_back(a.address);
  e.recipient_count = e.recipients.size();
  if (const auto* f = leaving.find("From")) e.from = std::string(core::trim(f->value));
  if (const auto* s = leaving.find("Subject")) e.subject = std::string(core::trim(s->value));
  e.score = out.verdict.score;
  std::set<std::string> seen;
  for (const auto& f : tx.findings())
    if (seen.insert(f.symbol).second) e.symbols.push_back(f.symbol);
  e.reason = out.verdict.reason;
  e.group = out.quarantine_group;
  e.expires = now + out.quarantine_days * 86400;
  e.scan_id = tx.scan_id();
  e.queue_id = tx.envelope().queue_id;
  return e;
}

std::optional<std::string> QuarantineDisposer::dispose(const core::Transaction& tx,
                                                       const core::Message& leaving,
                                                       const core::Outcome& out) const {
  if (out.verdict.action != core::Action::Quarantine ||
      out.quarantine_mode == core::QuarantineMode::Hold)
    return std::nullopt;
  auto r = store_->put(make_entry(tx, leaving, out, state::now_seconds()), leaving.raw());
  if (!r) return r.error();
  return std::nullopt;
}

core::Step ReleaseStage::on_message(core::Transaction& tx) const {
  const core::Message* m = tx.message();
  if (!m) return core::Step::next();
  auto fields = m->find_all(kReleaseHeader);
  if (fields.empty()) return core::Step::next();
  const std::string body = body_digest(m->body());
  const int64_t now = state::now_seconds();
  bool capped = false;
  for (const auto* f : fields) {
    auto id = verify_release(key_, f->value, body, tx.envelope().recipients, now, max_age_);
    if (!id) {
      tx.add_finding(
          "QUARANTINE_RELEASE_FORGED", default_score("QUARANTINE_RELEASE_FORGED"),
          fmt::format("{} {}: {}", kReleaseHeader, to_string(id.error().fault), id.error().detail));
      continue;
    }
    tx.add_finding("QUARANTINE_RELEASED", 0,
                   fmt::format("released from postern's quarantine (id {})", *id));
    if (!capped)
      tx.put<core::VerdictCap>(std::make_shared<const core::VerdictCap>(
          core::VerdictCap{core::Action::Tag, "released from quarantine " + *id}));
    capped = true;
  }
  return core::Step::next();
}

}  // namespace postern::quarantine
