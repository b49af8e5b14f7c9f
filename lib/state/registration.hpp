// lib/state's registration: the [state] config section and the "state" service
// (a Store shared by every thread, kept across policy reloads unless [state]
// changes; see core/registration.hpp). Built once, constant, thread-safe.
#pragma once

#include "core/registration.hpp"

namespace postern::state {

const core::Registration& registration();

}  // namespace postern::state
