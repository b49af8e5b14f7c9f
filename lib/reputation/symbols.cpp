// The finding symbols of lib/reputation.
#include "reputation/symbols.hpp"

#include <array>

namespace postern::reputation {
namespace {

using core::Scope;
constexpr std::array kSymbols{
    core::SymbolInfo{"DNSBL_ERROR", 0.0, Scope::Connection,
                     "a DNSBL answered with an error code (the zone refuses the query)"},
    core::SymbolInfo{"DNSBL_TEMPERROR", 0.0, Scope::Connection,
                     "a DNSBL lookup timed out or failed"},
    core::SymbolInfo{"HELO_BARE_IP", 1.5, Scope::Connection,
                     "HELO is an IP address without brackets"},
    core::SymbolInfo{"HELO_NOT_FQDN", 1.0, Scope::Connection,
                     "HELO is not a fully qualified host name or a valid address literal"},
    core::SymbolInfo{"HELO_CLAIMS_US", 3.0, Scope::Connection,
                     "HELO names this gateway or one of its addresses"},
    core::SymbolInfo{
        "HELO_RDNS_MISMATCH", 0.5, Scope::Connection,
        "HELO is not the client's reverse DNS name and does not resolve to the client"},
};

}  // namespace

std::span<const core::SymbolInfo> symbols() {
  return kSymbols;
}

}  // namespace postern::reputation
