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
    core::SymbolInfo{"CONTENT_RULES_TRUNCATED", 0.0, Scope::Transaction,
                     "a field was longer than the content rules scan: only its start was matched"},
    core::SymbolInfo{"CONTENT_RULES_FALLBACK", 0.0, Scope::Transaction,
                     "the content rules of a field ran out of memory as one RE2 set and were "
                     "run one by one"},
    // Heuristics (heuristics.cpp): scores measured on the shared corpus (README "Heuristics").
    core::SymbolInfo{
        "PHISH_BRAND_FROM_NAME", 2.5, Scope::Transaction,
        "the From display name names a brand whose domains the From address is not in"},
    core::SymbolInfo{"PHISH_BRAND_SUBJECT", 0.3, Scope::Transaction,
                     "the Subject names a brand whose domains the From address is not in"},
    core::SymbolInfo{"PHISH_BRAND_BODY", 0.0, Scope::Transaction,
                     "the visible text names a brand whose domains the From address is not in"},
    core::SymbolInfo{"PHISH_FORM_EXTERNAL", 0.5, Scope::Transaction,
                     "an HTML form that posts to a host outside the sender's domain"},
    core::SymbolInfo{"PHISH_FREE_HOSTING_LINK", 1.0, Scope::Transaction,
                     "a link to free web hosting or a form builder"},
    core::SymbolInfo{"PHISH_IPFS_LINK", 3.0, Scope::Transaction, "a link to an IPFS gateway"},
    core::SymbolInfo{"URL_SHORTENER", 0.3, Scope::Transaction, "a link through a URL shortener"},
    core::SymbolInfo{"URL_SCRIPT_OR_DATA", 1.0, Scope::Transaction,
                     "a clickable javascript: or data: link"},
    core::SymbolInfo{"URL_IP_HOST", 1.5, Scope::Transaction, "a link to a public raw IP address"},
    core::SymbolInfo{
        "URL_IP_NAMED_HOST", 1.0, Scope::Transaction,
        "a link or image from a host named by its public IPv4 address (a cloud machine's, a "
        "shared server's or a home line's generic name)"},
    core::SymbolInfo{"PHISH_LINK_TEXT_MISMATCH", 1.5, Scope::Transaction,
                     "link text shows one domain and the link goes to another"},
    core::SymbolInfo{"HTML_ONLY", 0.1, Scope::Transaction,
                     "an HTML body with no text/plain alternative"},
    core::SymbolInfo{"ATTACH_HTML_ONLY", 3.0, Scope::Transaction,
                     "an HTML or SVG page attached to a message with little text"},
    core::SymbolInfo{"IMAGE_LURE", 1.5, Scope::Transaction,
                     "little visible text and a single image (a QR-code or picture lure)"},
    core::SymbolInfo{"UNICODE_BIDI_CONTROL", 3.0, Scope::Transaction,
                     "a bidi override or isolate control in a display name, subject or file name"},
    core::SymbolInfo{"UNICODE_MIXED_SCRIPT_NAME", 2.0, Scope::Transaction,
                     "a word mixing Latin with Cyrillic or Greek in the display name or subject"},
    core::SymbolInfo{"HDR_REPLY_TO_DOMAIN", 0.1, Scope::Transaction,
                     "the Reply-To domain is not the From domain (registrable domains)"},
    core::SymbolInfo{"FREEMAIL_REPLY_TO", 2.0, Scope::Transaction,
                     "replies go to a freemail address while the From is not freemail"},
    core::SymbolInfo{"HDR_RETURN_PATH_DOMAIN", 0.1, Scope::Transaction,
                     "the envelope sender's domain is not the From domain (registrable domains)"},
    core::SymbolInfo{"FREEMAIL_COMPANY_NAME", 1.5, Scope::Transaction,
                     "a freemail sender whose display name reads as an organization"},
    core::SymbolInfo{"HDR_UNDISCLOSED_RECIPIENTS", 0.5, Scope::Transaction,
                     "no To field, or a To with no address (undisclosed-recipients)"},
    core::SymbolInfo{"HDR_DATE_FAR", 0.5, Scope::Transaction,
                     "the Date is far from the newest Received time"},
    core::SymbolInfo{"CLASSIFIER_SPAM", 6.0, Scope::Transaction,
                     "the trained classifier finds the message likely spam (score mapped from its "
                     "probability by [classifier]; the value here is the most it gives)",
                     true},
    core::SymbolInfo{"CLASSIFIER_HAM", -2.0, Scope::Transaction,
                     "the trained classifier finds the message likely ham (score mapped from its "
                     "probability by [classifier]; the value here is the lowest it gives)",
                     true},
};

}  // namespace

std::span<const core::SymbolInfo> symbols() {
  return kSymbols;
}

}  // namespace postern::content
