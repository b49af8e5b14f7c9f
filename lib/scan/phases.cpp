// modify → finish → dispose (see phases.hpp).
#include "scan/phases.hpp"

#include <fmt/format.h>

#include "core/disposer.hpp"
#include "core/finisher.hpp"
#include "core/modifier.hpp"
#include "telemetry/log.hpp"

namespace postern::scan {
namespace {

void modify(const Snapshot& s, const core::Transaction& tx, const core::Message& m,
            core::Outcome& out) {
  if (s.modifiers.empty()) return;
  if (m.truncated()) {
    telemetry::log_info("{}: message buffered only in part ({} of {} bytes): not modified",
                        tx.scan_id(), m.raw().size(), m.total_size());
    return;
  }
  for (const auto& mod : s.modifiers) {
    core::Outcome before = out;
    try {
      if (mod->needs_message(tx, out))
        mod->modify(tx, core::apply_edits(m, out), out);
      else
        mod->modify(tx, m, out);
      out.verdict = before.verdict;  // a modifier never changes the verdict
    } catch (const std::exception& e) {
      telemetry::log_warn("{}: modifier {}: {}; its edits are dropped", tx.scan_id(), mod->name(),
                          e.what());
      out = std::move(before);
    }
  }
}

void finish(const Snapshot& s, const core::Transaction& tx, const core::Message& m,
            core::Outcome& out) {
  for (const auto& f : s.finishers) {
    try {
      if (f->needs_message(tx))
        f->finish(tx, core::apply_edits(m, out), out);
      else
        f->finish(tx, m, out);
    } catch (const std::exception& e) {
      telemetry::log_warn("finisher {}: {}", f->name(), e.what());
    }
  }
}

// A quarantine for postern's store that the store cannot take goes to the MTA's hold
// queue instead (never lost, never discarded unstored), with a finding saying why.
void hold_instead(core::Transaction& tx, core::Outcome& out, const std::string& why) {
  tx.add_finding("QUARANTINE_HOLD_FALLBACK", 0,
                 fmt::format("quarantine_mode {}: {}; held in the MTA's queue instead",
                             core::to_string(out.quarantine_mode), why));
  telemetry::log_warn("{}: quarantine store not used: {}; held in the MTA's queue", tx.scan_id(),
                      why);
  out.quarantine_mode = core::QuarantineMode::Hold;
}

void dispose(const Snapshot& s, core::Transaction& tx, const core::Message& m, core::Outcome& out) {
  const bool to_store = out.verdict.action == core::Action::Quarantine &&
                        out.quarantine_mode != core::QuarantineMode::Hold;
  const core::Disposer* store = nullptr;
  for (const auto& d : s.disposers)
    if (!store && d->stores_up_to() > 0) store = d.get();
  if (to_store && !store)
    hold_instead(tx, out, "no quarantine store is configured");
  else if (to_store && tx.envelope().queue_id.empty())
    hold_instead(tx, out, "no MTA queue id (postern scan stores nothing)");
  else if (to_store && m.truncated())
    hold_instead(tx, out,
                 fmt::format("the message was buffered only in part ({} of {} bytes)",
                             m.raw().size(), m.total_size()));
  if (s.disposers.empty()) return;
  const core::Message leaving = core::apply_edits(m, out);
  if (out.quarantine_mode != core::QuarantineMode::Hold && store &&
      leaving.raw().size() > store->stores_up_to())
    hold_instead(tx, out,
                 fmt::format("{} bytes, over the store's max_message_bytes ({})",
                             leaving.raw().size(), store->stores_up_to()));
  for (const auto& d : s.disposers) {
    std::optional<std::string> error;
    try {
      error = d->dispose(tx, leaving, out);
    } catch (const std::exception& e) {
      error = e.what();
    } catch (...) {
      error = "unknown exception";
    }
    if (!error) {
      if (d.get() == store && out.verdict.action == core::Action::Quarantine &&
          out.quarantine_mode != core::QuarantineMode::Hold)
        out.stored = true;
      continue;
    }
    std::string detail = fmt::format("{}: {}", d->name(), *error);
    tx.add_finding("POSTERN_STAGE_ERROR", 0, detail);
    auto it = s.config.stage_on_error.find(d->name());
    core::Action a = it != s.config.stage_on_error.end() ? it->second : s.config.on_error;
    if (d->stores_up_to() > 0 && a != core::Action::Reject) a = core::Action::Tempfail;
    telemetry::log_error("{}: disposer {}; answering {}", tx.scan_id(), detail,
                         core::to_string(core::severity(a) > core::severity(out.verdict.action)
                                             ? a
                                             : out.verdict.action));
    if (core::severity(a) > core::severity(out.verdict.action)) {
      out.verdict.action = a;
      out.verdict.reason = "disposer error: " + detail;
      out.verdict.reply = policy::reply_for(s.policy, a);
      if (a == core::Action::Quarantine)
        out.quarantine_reason = fmt::format("postern {}: {}", tx.scan_id(), out.verdict.reason);
    }
    return;  // the disposers after a failed one do not run
  }
}

}  // namespace

void run_edit_phases(const Snapshot& s, core::Transaction& tx, core::Outcome& out) {
  const core::Message& m = *tx.message();
  modify(s, tx, m, out);
  finish(s, tx, m, out);
  dispose(s, tx, m, out);
}

}  // namespace postern::scan
