// lib/tls's registration: the tls-inbound stage, the [tls] policy section, the TLS_*
// symbols and the event's tls.* fields (see core/registration.hpp); scan/registry
// gathers it. Built once, constant, thread-safe.
#pragma once

#include "core/registration.hpp"

namespace postern::tls {

const core::Registration& registration();

}  // namespace postern::tls
