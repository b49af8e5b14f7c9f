// lib/ratelimit's registration: the [ratelimit] policy section, the ratelimit
// stage and finisher, the RATE_LIMIT_* symbols, the event's postern.rate_limit
// (see core/registration.hpp). Built once, constant, thread-safe.
#pragma once

#include "core/registration.hpp"

namespace postern::ratelimit {

const core::Registration& registration();

}  // namespace postern::ratelimit
