// The business email compromise checks' registration: the BEC_* symbols, the
// [bec] policy section and the bec stage, whose sender history is kept in the
// "state" service (lib/state) (see core/registration.hpp);
// scan/registry gathers it beside lib/content's own. Built once, constant,
// thread-safe.
#pragma once

#include "core/registration.hpp"

namespace postern::content {

const core::Registration& bec_registration();

}  // namespace postern::content
