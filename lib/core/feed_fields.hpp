// Feed lines: the fields of one line of a feed file as admins download them (a
// plain list, or CSV as abuse.ch and phishunt publish it). Shared by the hash
// feeds (lib/attach) and the URL feeds (lib/url).
//
// Contract: `feed_fields(line)` splits at commas (a comma inside double quotes
// does not split) or, when the line has no comma, at spaces and tabs; each
// field is trimmed of spaces, tabs, CR and double quotes. Linear; the views
// point into `line`. Pure functions.
#pragma once

#include <string_view>
#include <vector>

namespace postern::core {

// `s` without the leading and trailing characters of `chars`.
std::string_view feed_trim(std::string_view s, std::string_view chars = " \t\r");

std::vector<std::string_view> feed_fields(std::string_view line);

}  // namespace postern::core
