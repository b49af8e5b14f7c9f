// The libmilter shim: callbacks that translate milter events into
// scan::Session calls and an Outcome back into smfi_* calls.
//
// Contract: `register_filter` once before smfi_main; `set_snapshot` whenever a
// new snapshot validates (atomic swap; transactions keep the one they took at
// MAIL FROM). Callbacks run on libmilter's connection threads; no exception
// crosses into libmilter: any internal error answers with the configured
// on_error action (tempfail by default, so the MTA keeps the mail).
#pragma once

#include <atomic>
#include <cstddef>

#include "scan/snapshot.hpp"
#include "telemetry/event_log.hpp"

namespace postern::milter {

// Returns false when libmilter refuses the registration.
bool register_filter();

void set_snapshot(scan::SnapshotPtr s);
scan::SnapshotPtr snapshot();

telemetry::EventLog& event_log();

// Connections currently open (for draining on SIGTERM).
size_t active_sessions();

}  // namespace postern::milter
