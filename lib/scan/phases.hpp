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
// when that is more severe, and adds POSTERN_STAGE_ERROR to `tx`. Never throws
// for a failing step. Not thread-safe per transaction (one thread drives it).
#pragma once

#include "core/outcome.hpp"
#include "core/transaction.hpp"
#include "scan/snapshot.hpp"

namespace postern::scan {

void run_edit_phases(const Snapshot& s, core::Transaction& tx, core::Outcome& out);

}  // namespace postern::scan
