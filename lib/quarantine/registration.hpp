// lib/quarantine's registration: the [quarantine] config section, the
// QUARANTINE_* symbols, the quarantine_release stage (needs the release key,
// created on first use) and the quarantine disposer (needs the "state" service:
// without a state store there is no postern store, and quarantine_mode store
// falls back to the hold queue). Built once, constant, thread-safe.
#pragma once

#include "core/registration.hpp"

namespace postern::quarantine {

const core::Registration& registration();

}  // namespace postern::quarantine
