// The phases of the end of a message after the decision: modify → finish → dispose.
//
// Contract: `run_edit_phases(snapshot, tx, out)` is called by the session once per
// message whose verdict delivers or holds it (accept, tag, quarantine), with
// `out` holding the verdict, the verdict headers and the subject tag. It runs the
// snapshot's modifiers (skipped when the message was buffered only in part; see
// core/modifier.hpp), then its finishers on the message with the modifiers' edits
// applied (core/finisher.hpp), then its disposers on the message exactly as it
// leaves (core/disposer.hpp); a disposer that fails turns the verdict into the
// on_error action (config [scan] stage_on_error by disposer name, else on_error)
// when that is more severe (for a disposer that stores quarantined mail,
// core::Disposer::stores_up_to, at least tempfail unless that is reject), and adds
// POSTERN_STAGE_ERROR to `tx`. A quarantine whose mode names postern's store goes to
// the hold queue instead (mode Hold, QUARANTINE_HOLD_FALLBACK) when no such
// disposer is configured, there is no queue id (`postern scan`: nothing is
// stored), the message was buffered only in part, or it is larger than the store takes;
// `out.stored` is set once that disposer succeeded. Never throws for a failing step. Not
// thread-safe per transaction (one thread drives it).
#pragma once

#include "core/outcome.hpp"
#include "core/transaction.hpp"
#include "scan/snapshot.hpp"

namespace postern::scan {

void run_edit_phases(const Snapshot& s, core::Transaction& tx, core::Outcome& out);

}  // namespace postern::scan
