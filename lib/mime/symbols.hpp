// The finding symbols of lib/mime: name, default score, scope and what it
// means (see core/symbols.hpp). The one table `postern symbols` and policy
// checks read; the folder's registration.cpp hands it to scan/registry.
#pragma once

#include <span>

#include "core/symbols.hpp"

namespace postern::mime {

std::span<const core::SymbolInfo> symbols();

}  // namespace postern::mime
