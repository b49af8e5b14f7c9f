// Click-time protection's registration: [click] of postern.toml and of the
// policy, and the click-rewrite modifier (see core/registration.hpp); scan/registry
// gathers it beside lib/url's own. Built once, constant, thread-safe.
#pragma once

#include "core/registration.hpp"

namespace postern::url {

const core::Registration& click_registration();

}  // namespace postern::url
