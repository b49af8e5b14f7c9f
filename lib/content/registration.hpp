// lib/content's registration: what the folder contributes (see core/registration.hpp);
// scan/registry gathers every folder's. Built once, constant, thread-safe.
#pragma once

#include "core/registration.hpp"

namespace postern::content {

const core::Registration& registration();

}  // namespace postern::content
