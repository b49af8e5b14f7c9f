// The QUARANTINE_* finding symbols of lib/quarantine (the release stage, and the
// dispose phase's fall back to the hold queue).
//
// Contract: constant data built once (thread-safe static).
#pragma once

#include <span>
#include <string_view>

#include "core/symbols.hpp"

namespace postern::quarantine {

std::span<const core::SymbolInfo> symbols();
double default_score(std::string_view symbol);

}  // namespace postern::quarantine
