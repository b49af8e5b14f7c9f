// lib/scan's registration: the modifiers that belong to no inspection folder
// (the [archive] copy or redirect, an envelope edit). See core/registration.hpp;
// scan/registry gathers it with every folder's. Built once, constant, thread-safe.
#pragma once

#include "core/registration.hpp"

namespace postern::scan {

const core::Registration& registration();

}  // namespace postern::scan
