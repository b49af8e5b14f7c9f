// Email addresses: extraction from header fields and envelope, domain handling.
//
// Contract: pure functions, never throw, bounded by their input. Parsing is
// tolerant (RFC 5322 address lists with display names, quoted strings,
// comments, groups and obsolete routes) because hostile mail is rarely
// well-formed; what cannot be parsed yields no address rather than an error.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace postern::core {

// The addresses of an address-list header value ("A <a@x>, b@y, grp: c@z;").
// An element without angle brackets and without '@' is a display name alone
// ("From: Just A Name") and yields no address. At most `max` addresses are returned.
std::vector<std::string> parse_address_list(std::string_view value, size_t max = 1000);

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
