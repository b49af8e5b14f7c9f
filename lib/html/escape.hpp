// HTML escaping for text postern writes into HTML (the banner, the click service's pages).
//
// Contract: `escape(s, ascii_only)` returns `s` safe as element text and as a quoted
// attribute value: & < > " ' as references, C0 controls and DEL as U+FFFD; with
// `ascii_only` every non-ASCII character (UTF-8 in) as a numeric reference, so the
// result is ASCII and fits any ASCII-compatible charset. Pure, thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace postern::html {

std::string escape(std::string_view s, bool ascii_only = false);

}  // namespace postern::html
