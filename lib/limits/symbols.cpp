// The finding symbols of lib/limits.
#include "limits/symbols.hpp"

#include <array>

namespace postern::limits {
namespace {

using core::Scope;
constexpr std::array kSymbols{
    core::SymbolInfo{
        "LIMIT_MESSAGE_SIZE", 0.0, Scope::Transaction,
        "the message is larger than limits.message_size: only the first bytes were inspected"},
    core::SymbolInfo{"LIMIT_HEADER_COUNT", 0.0, Scope::Transaction,
                     "more header fields than limits.header_count"},
    core::SymbolInfo{"LIMIT_HEADER_LINE", 1.0, Scope::Transaction,
                     "a header line longer than limits.header_line_length (RFC 5322: 998)"},
    core::SymbolInfo{"LIMIT_RECEIVED_HOPS", 0.0, Scope::Transaction,
                     "more Received fields than limits.received_hops: a mail loop"},
};

}  // namespace

std::span<const core::SymbolInfo> symbols() {
  return kSymbols;
}

}  // namespace postern::limits
