// The finding symbols of lib/ratelimit.
#include "ratelimit/symbols.hpp"

#include <array>

namespace postern::ratelimit {
namespace {

using core::Scope;
constexpr std::array kSymbols{
    core::SymbolInfo{"RATE_LIMIT_SASL", 0.0, Scope::Recipient,
                     "the authenticated (SASL) user is over a [ratelimit] rule's limit"},
    core::SymbolInfo{"RATE_LIMIT_SENDER", 0.0, Scope::Recipient,
                     "the envelope sender is over a [ratelimit] rule's limit"},
    core::SymbolInfo{"RATE_LIMIT_IP", 0.0, Scope::Recipient,
                     "the client address (IPv6: its /64) is over a [ratelimit] rule's limit"},
    core::SymbolInfo{"RATE_LIMIT_RCPT_DOMAIN", 0.0, Scope::Recipient,
                     "the recipient's domain is over a [ratelimit] rule's limit"},
};

}  // namespace

std::span<const core::SymbolInfo> symbols() {
  return kSymbols;
}

}  // namespace postern::ratelimit
