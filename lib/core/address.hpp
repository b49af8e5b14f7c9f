// Email addresses: envelope addresses, domain handling, RFC 5322 comments.
// Header fields with addresses (From, To, ...) are read by mime/address.hpp,
// the one parser for them.
//
// Contract: pure functions, never throw, linear in their input.
#pragma once

#include <string>
#include <string_view>

namespace postern::core {

// RFC 5322 comments (nested, with quoted-pairs) each replaced by one space;
// quoted strings are kept as they are. An unclosed comment runs to the end.
std::string strip_comments(std::string_view s);

// Strips angle brackets and an obsolete source route from an envelope address.
std::string envelope_address(std::string_view a);

// Lower-cased domain part (after the last '@'), "" if none.
std::string domain_of(std::string_view address);

// Lower-cased local part (before the last '@'); the whole string if there is no '@'.
std::string local_part_of(std::string_view address);

std::string to_lower(std::string_view s);

// A host name in DNS syntax: letter/digit/hyphen labels of 1 to 63 characters
// that neither start nor end with a hyphen, at most 253 characters, an
// optional final dot. `fqdn` also requires two labels at least.
bool is_hostname(std::string_view name, bool fqdn);

}  // namespace postern::core
