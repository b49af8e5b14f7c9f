// lib/dlp's registration: the dlp stage, the [dlp] policy section, the DLP_LIMIT
// symbol (each rule defines its DLP_<RULE>) and the event's postern.dlp[] (see
// core/registration.hpp); scan/registry gathers it. Built once, constant, thread-safe.
#pragma once

#include "core/registration.hpp"

namespace postern::dlp {

const core::Registration& registration();

}  // namespace postern::dlp
