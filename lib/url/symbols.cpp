// The finding symbols of lib/url.
#include "url/symbols.hpp"

#include <array>

namespace postern::url {
namespace {

using core::Scope;
constexpr std::array kSymbols{
    core::SymbolInfo{"URL_FEED_PHISH", 8.0, Scope::Transaction,
                     "a link listed by a phishing URL feed ([[url.feed]] category phish)"},
    core::SymbolInfo{"URL_FEED_MALWARE", 10.0, Scope::Transaction,
                     "a link listed by a malware URL feed ([[url.feed]] category malware)"},
    core::SymbolInfo{"URL_FEED_SPAM", 4.0, Scope::Transaction,
                     "a link listed by a spam URL feed ([[url.feed]] category spam)"},
    core::SymbolInfo{"URL_USERINFO", 2.0, Scope::Transaction,
                     "a link with a user name before its host (https://paypal.com@evil.example)"},
    core::SymbolInfo{"URL_USERINFO_DOMAIN", 4.0, Scope::Transaction,
                     "a link whose user name looks like a domain, so the reader takes it for the "
                     "host (https://paypal.com@evil.example)"},
    core::SymbolInfo{"URL_IP_OBFUSCATED", 4.0, Scope::Transaction,
                     "a link host written as a decimal, hex or octal number a browser reads as an "
                     "IPv4 address (http://3232235777/, http://0xc0.0xa8.1.1/)"},
    core::SymbolInfo{"URL_IDN_MIXED_SCRIPT", 3.0, Scope::Transaction,
                     "a link host label mixing scripts (Latin with Cyrillic, ...), after IDNA "
                     "decoding, in any link found (attachments and unwrapped targets too)"},
    core::SymbolInfo{"URL_OBFUSCATED", 1.0, Scope::Transaction,
                     "a defanged URL in text (hxxp://, example[.]com, [:]//)"},
    core::SymbolInfo{"URL_REDIRECTOR", 0.5, Scope::Transaction,
                     "a link through google.com/url or an open redirect on a big site, unwrapped "
                     "before the checks"},
    core::SymbolInfo{"URL_UNWRAP_LIMIT", 2.0, Scope::Transaction,
                     "a link wrapped in more redirectors than the unwrapping depth"},
    core::SymbolInfo{"URL_UNREADABLE", 0.3, Scope::Transaction,
                     "a link that looks like a web URL but no browser reads it as one the same "
                     "way (bad host, port or IPv4 form, refused by IDNA, too long)"},
    core::SymbolInfo{"URL_LIMIT", 0.0, Scope::Transaction,
                     "more distinct URLs than [url] max_urls: the rest are not checked"},
    core::SymbolInfo{"URIBL_ERROR", 0.0, Scope::Transaction,
                     "a URIBL zone answered something that is not a listing (query refused, "
                     "public resolver)"},
    core::SymbolInfo{"URIBL_TEMPERROR", 0.0, Scope::Transaction,
                     "a URIBL lookup timed out or failed, or the message's DNS budget was spent"},
};

}  // namespace

std::span<const core::SymbolInfo> symbols() {
  return kSymbols;
}

}  // namespace postern::url
