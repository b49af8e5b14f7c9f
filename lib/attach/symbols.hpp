// The finding symbols of lib/attach: the stage's own (names, types, bans, hash
// feeds) and every analyzer's table, gathered into one catalogue.
// Contract: constant data built once (thread-safe static).
#pragma once

#include <span>
#include <string_view>

#include "core/symbols.hpp"

namespace postern::attach {

std::span<const core::SymbolInfo> symbols();
// The catalogued score of `symbol`, 0 when not catalogued.
double default_score(std::string_view symbol);

}  // namespace postern::attach
