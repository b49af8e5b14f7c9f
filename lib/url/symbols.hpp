// The URL_* and URIBL_* finding symbols of lib/url (the url stage).
//
// Contract: constant data built once (thread-safe static).
#pragma once

#include <span>

#include "core/symbols.hpp"

namespace postern::url {

std::span<const core::SymbolInfo> symbols();

}  // namespace postern::url
