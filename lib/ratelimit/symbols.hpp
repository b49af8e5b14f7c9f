// The finding symbols of lib/ratelimit (RATE_LIMIT_*).
#pragma once

#include <span>

#include "core/symbols.hpp"

namespace postern::ratelimit {

std::span<const core::SymbolInfo> symbols();

}  // namespace postern::ratelimit
