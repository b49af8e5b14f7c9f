// Text helpers shared by the archive and OOXML checks (internal to lib/attach).
//
// Contract: pure functions over bytes, linear in their input, thread-safe, never
// throw (std::bad_alloc aside). ASCII case folding only; UTF-8 is validated
// byte by byte, never decoded leniently: a byte that is not part of a valid
// sequence is written as \xNN.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace postern::attach {

// `s` with ASCII capitals in lower case (other bytes as they are).
std::string ascii_lower(std::string_view s);

// ASCII case-insensitive suffix and prefix tests.
bool iends_with(std::string_view s, std::string_view suffix);
bool istarts_with(std::string_view s, std::string_view prefix);

// The longest prefix of `s` of at most `max` bytes that does not cut a UTF-8 sequence.
std::string_view utf8_prefix(std::string_view s, size_t max);

// A member name as it may be shown and compared: valid UTF-8 kept, control
// characters (C0, DEL) and bytes of invalid sequences written \xNN, cut to at most
// `max` bytes at a character boundary (`cut` says whether it was).
std::string sanitize_name(std::string_view raw, size_t max, bool& cut);

// XML character and entity references decoded (&lt; &gt; &amp; &quot; &apos;
// &#N; &#xH;); an unknown or malformed reference stays as written. `numeric`
// is set when a numeric reference was decoded (authors do not write them in
// the places the OOXML checks read: there they are evasion).
std::string decode_xml(std::string_view in, bool& numeric);

}  // namespace postern::attach
