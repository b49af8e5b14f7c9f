// Excerpts: what a finding quotes of the message, short and with personal data
// masked, so headers, logs and events explain a verdict without leaking it.
//
// Contract: `excerpt(text, pos, len)` quotes the match text[pos, pos+len) with
// a little context on each side, at most `max` code points in all (an ellipsis
// "…" marks a cut), cut at UTF-8 boundaries (invalid bytes become U+FFFD),
// whitespace runs and control characters turned into one space. Masked: the
// local part of an e-mail address (first character kept: "j***@example.com"),
// and every digit of a run of 6 or more digits (spaces, dots, dashes and
// slashes between them count as part of the run) but the last 4 ("******1234").
// `mask(text)` does the masking alone. The detail of a finding that quotes
// the message reads: `<what matched> in <field>[ (part <path>)]: "<excerpt>"`
// (`explain`). Linear in the quoted window, never in the whole text. Pure
// functions, thread-safe, never throw on any bytes.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace postern::core {

inline constexpr size_t kExcerptMax = 60;

std::string excerpt(std::string_view text, size_t pos, size_t len, size_t max = kExcerptMax);
std::string mask(std::string_view text);

// `what` in `field` (part `part` when not empty): "excerpt".
std::string explain(std::string_view what, std::string_view field, std::string_view part,
                    std::string_view quoted);

}  // namespace postern::core
