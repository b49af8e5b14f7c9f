// The finding symbols of lib/quarantine.
#include "quarantine/symbols.hpp"

#include <array>

namespace postern::quarantine {
namespace {

using core::Scope;
constexpr std::array kSymbols{
    core::SymbolInfo{"QUARANTINE_RELEASED", 0.0, Scope::Transaction,
                     "a message released from postern's quarantine (a valid X-Postern-Release "
                     "header): its verdict is capped at tag"},
    core::SymbolInfo{"QUARANTINE_RELEASE_FORGED", 5.0, Scope::Transaction,
                     "an X-Postern-Release header that is not valid for this message: forged, "
                     "tampered with, copied from another message, for other recipients, or stale"},
    core::SymbolInfo{"QUARANTINE_HOLD_FALLBACK", 0.0, Scope::Transaction,
                     "quarantine_mode store or both, but held in the MTA's queue: the message was "
                     "buffered only in part, is over [quarantine] max_message_bytes, or there is "
                     "no store"},
};

}  // namespace

std::span<const core::SymbolInfo> symbols() {
  return kSymbols;
}

double default_score(std::string_view symbol) {
  for (const auto& s : symbols())
    if (s.name == symbol) return s.score;
  return 0;
}

}  // namespace postern::quarantine
