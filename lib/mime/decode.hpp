// Decoders: transfer encodings, RFC 2047 encoded-words, charsets.
//
// Contract: pure functions that never fail and never throw on hostile input.
// What they had to tolerate is counted in DecodeStats, which the MIME parser
// turns into MIME_* anomalies: base64 characters outside the alphabet are
// skipped (RFC 2045 6.8) and missing padding is accepted; quoted-printable
// keeps an invalid escape as it is (what mail clients show); charset conversion
// replaces each invalid byte sequence with U+FFFD and counts it; an unknown
// charset is read as Latin-1 after a UTF-8 attempt. Output size is bounded by
// `max_out` where given: decoding stops there and `truncated` is set. Every
// decoder is linear in its input.
// Thread-safe (iconv descriptors are per call).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace postern::mime {

struct DecodeStats {
  size_t invalid_chars = 0;       // base64: bytes outside the alphabet (whitespace excluded)
  bool missing_padding = false;   // base64: input ended mid-quantum
  size_t data_after_padding = 0;  // base64: alphabet characters after '='
  size_t boundary_like_lines =
      0;                       // base64: lines starting with "--" (a boundary hidden in the data)
  size_t invalid_escapes = 0;  // quoted-printable: '=' not followed by two hex digits or a line end
  size_t replaced = 0;         // charset conversion: invalid sequences replaced with U+FFFD
  bool unknown_charset = false;
  bool truncated = false;  // output limit reached
};

std::string decode_base64(std::string_view in, DecodeStats& st, size_t max_out = SIZE_MAX);
std::string decode_quoted_printable(std::string_view in, DecodeStats& st, bool header_q = false,
                                    size_t max_out = SIZE_MAX);

// A uuencoded body ("begin MODE NAME" ... "end"): the decoded bytes of the lines between.
std::string decode_uuencode_lines(std::string_view lines, DecodeStats& st,
                                  size_t max_out = SIZE_MAX);

std::string encode_base64(std::string_view in, size_t line_len = 76, std::string_view eol = "\r\n");
// Quoted-printable with soft line breaks: no output line longer than 76 characters. Each
// `eol` in the input is a line break; every other byte (a lone CR or LF too) is kept
// exactly, so decode_quoted_printable gives back the input. Whitespace before a line end
// and a '.' or "From " at the start of an output line are encoded.
std::string encode_quoted_printable(std::string_view in, std::string_view eol = "\r\n");

// Converts `in` from `charset` to UTF-8. Never fails. Only charsets on an
// allowlist of those mail uses (ASCII, ISO-8859-*, windows-125x, KOI8, the CJK
// ones, UTF-16, UTF-7; aliases matched without case, '-' or '_') reach iconv; any
// other name is an unknown charset (CVE-2024-2961 was in a rare converter).
std::string to_utf8(std::string_view in, std::string_view charset, DecodeStats& st);
// The same, handing `in` back as it is when it is already the answer (valid UTF-8 in a
// UTF-8 charset, pure ASCII in an ASCII-based one): no copy.
std::string to_utf8(std::string&& in, std::string_view charset, DecodeStats& st);

// Replaces invalid UTF-8 sequences with U+FFFD (counted in st.replaced).
std::string sanitize_utf8(std::string_view in, DecodeStats& st);

// Decodes RFC 2047 encoded-words in an unstructured header value (B and Q,
// adjacent encoded-words separated only by whitespace joined) to UTF-8. Raw
// 8-bit text outside encoded-words is taken as UTF-8 if valid, else Latin-1.
std::string decode_rfc2047(std::string_view in, DecodeStats& st);

}  // namespace postern::mime
