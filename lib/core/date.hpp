// RFC 5322 date-time parsing (with the obsolete forms real mail uses).
//
// Contract: pure function; returns seconds since the epoch (UTC) or nullopt
// when the text is not a date a mail client could show. Accepts an optional
// day name, 2- and 4-digit years, seconds omitted, numeric and named zones
// (UT, GMT, EST..., military letters), comments and extra whitespace. The day
// must exist in its month ("30 Feb" is not a date).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace postern::core {

std::optional<int64_t> parse_rfc5322_date(std::string_view s);

}  // namespace postern::core
