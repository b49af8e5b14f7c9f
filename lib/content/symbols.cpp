// The finding symbols of lib/content.
#include "content/symbols.hpp"

#include <array>

namespace postern::content {
namespace {

using core::Scope;
constexpr std::array kSymbols{
    core::SymbolInfo{"HEADER_MISSING_DATE", 1.0, Scope::Transaction, "no Date field"},
    core::SymbolInfo{"HEADER_MISSING_FROM", 2.0, Scope::Transaction, "no From field"},
    core::SymbolInfo{"HEADER_MISSING_MESSAGE_ID", 1.0, Scope::Transaction, "no Message-ID field"},
    core::SymbolInfo{"HEADER_MULTIPLE_FROM", 3.0, Scope::Transaction, "more than one From field"},
    core::SymbolInfo{"HEADER_FROM_MULTIPLE_ADDRESSES", 2.0, Scope::Transaction,
                     "a From field with several addresses"},
    core::SymbolInfo{"HEADER_FROM_NO_ADDRESS", 2.0, Scope::Transaction,
                     "a From field with no address that has a domain"},
    core::SymbolInfo{"HEADER_FROM_AMBIGUOUS", 4.0, Scope::Transaction,
                     "readers could take different author domains from the From field(s); DMARC "
                     "checks them all"},
    core::SymbolInfo{
        "HEADER_BARE_CR", 3.0, Scope::Transaction,
        "a CR or LF inside a field that is not a fold: some readers split the field there"},
    core::SymbolInfo{"HEADER_NAME_INVALID", 2.0, Scope::Transaction,
                     "a field name with bytes RFC 5322 does not allow, as the MTA handed it over"},
    core::SymbolInfo{"HEADER_DUPLICATE", 1.0, Scope::Transaction,
                     "a field RFC 5322 allows once appears again"},
    core::SymbolInfo{"HEADER_DATE_UNPARSABLE", 1.0, Scope::Transaction,
                     "the Date field cannot be parsed"},
    core::SymbolInfo{"HEADER_8BIT_RAW", 0.5, Scope::Transaction,
                     "raw 8-bit bytes in header fields"},
    core::SymbolInfo{"CLASSIFIER_SPAM", 6.0, Scope::Transaction,
                     "the trained classifier finds the message likely spam (score mapped from its "
                     "probability by [classifier]; the value here is the most it gives)"},
    core::SymbolInfo{"CLASSIFIER_HAM", -2.0, Scope::Transaction,
                     "the trained classifier finds the message likely ham (score mapped from its "
                     "probability by [classifier])"},
};

}  // namespace

std::span<const core::SymbolInfo> symbols() {
  return kSymbols;
}

}  // namespace postern::content
