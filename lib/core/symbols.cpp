// The finding symbols of lib/core.
#include "core/symbols.hpp"

#include <array>

namespace postern::core {
namespace {

constexpr std::array kSymbols{
    SymbolInfo{
        "POSTERN_STAGE_ERROR", 0.0, Scope::Transaction,
        "a stage failed (an exception or a dependency down); the stage's on_error action applies"},
    SymbolInfo{"POSTERN_FINDINGS_LIMIT", 0.0, Scope::Transaction,
               "more findings than limits.findings: the rest were dropped"},
    SymbolInfo{"LIMIT_SCAN_TIME", 1.0, Scope::Transaction,
               "the content stages spent the message's CPU budget (limits.scan_time_ms); the "
               "verdict comes from what was done"},
};

}  // namespace

std::span<const SymbolInfo> symbols() {
  return kSymbols;
}

}  // namespace postern::core
