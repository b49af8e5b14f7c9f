// Tests for the mime decoders: base64, quoted-printable, uuencode, the encoders,
// charset conversion, UTF-8 sanitizing and RFC 2047 encoded-words.
#include "mime/decode.hpp"
#include "support/files.hpp"

#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

using namespace postern::mime;

namespace {

// The lines of `s` split at "\r\n" (or "\n"), without their line ends.
std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t nl = s.find('\n', pos);
    std::string line = s.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    out.push_back(line);
    pos = nl == std::string::npos ? s.size() : nl + 1;
  }
  return out;
}

using postern::test::random_bytes;

}  // namespace

TEST_CASE("base64 decodes what mail carries and counts what it had to tolerate",
          "[decode][base64]") {
  struct Row {
    std::string name;
    std::string in;
    std::string want;
    size_t invalid_chars = 0;
    bool missing_padding = false;
    size_t data_after_padding = 0;
    size_t boundary_like_lines = 0;
  };
  const std::vector<Row> rows = {
      {"plain, padded", "aGVsbG8gd29ybGQ=", "hello world"},
      {"two padding characters", "QQ==", "A"},
      {"no padding needed", "QUJD", "ABC"},
      {"empty", "", ""},
      {"wrapped with CRLF", "aGVs\r\nbG8g\r\nd29y\r\nbGQ=\r\n", "hello world"},
      {"wrapped with LF and indented", "  aGVs\n\tbG8gd29y\nbGQ=\n", "hello world"},
      {"characters outside the alphabet are skipped and counted",
       "aGV*sbG8g!d29y#bGQ=", "hello world", 3},
      {"a non-ASCII byte inside is skipped and counted",
       "QU\xff"
       "JD",
       "ABC", 1},
      {"missing padding (one byte) is tolerated and flagged", "QQ", "A", 0, true},
      {"missing padding (two bytes) is tolerated and flagged", "QUI", "AB", 0, true},
      {"data after the padding is ignored and counted", "QQ==QUJD", "A", 0, false, 4},
      {"a second encoded blob after padding is ignored", "QUI=\r\nQUJDRA==\r\n", "AB", 0, false, 6},
      {"a line starting with -- is counted (and its dashes skipped)", "QUJD\r\n--\r\nREVG\r\n",
       "ABCDEF", 2, false, 0, 1},
      {"-- on the first line is counted", "--\nQUJD\n", "ABC", 2, false, 0, 1},
      {"two boundary-like lines", "--\r\nQUJD\r\n--\r\n", "ABC", 4, false, 0, 2},
      {"-- inside a line is not a boundary line", "QU--JD\n", "ABC", 2, false, 0, 0},
  };
  for (const auto& r : rows) {
    CAPTURE(r.name);
    DecodeStats st;
    CHECK(decode_base64(r.in, st) == r.want);
    CHECK(st.invalid_chars == r.invalid_chars);
    CHECK(st.missing_padding == r.missing_padding);
    CHECK(st.data_after_padding == r.data_after_padding);
    CHECK(st.boundary_like_lines == r.boundary_like_lines);
    CHECK_FALSE(st.truncated);
  }
}

TEST_CASE("base64 output stops at the limit and says so", "[decode][base64]") {
  const std::string full = "0123456789abcdef";  // 16 bytes
  const std::string enc = encode_base64(full);
  struct Row {
    size_t max_out;
    bool truncated;
  };
  for (const Row& r : std::vector<Row>{
           {0, true}, {1, true}, {4, true}, {5, true}, {15, true}, {16, false}, {100, false}}) {
    CAPTURE(r.max_out);
    DecodeStats st;
    std::string out = decode_base64(enc, st, r.max_out);
    CHECK(st.truncated == r.truncated);
    CHECK(out == full.substr(0, std::min(r.max_out, full.size())));
  }
}

TEST_CASE("quoted-printable decodes soft breaks and keeps invalid escapes", "[decode][qp]") {
  struct Row {
    std::string name;
    std::string in;
    bool header_q;
    std::string want;
    size_t invalid_escapes = 0;
  };
  const std::vector<Row> rows = {
      {"hex escapes", "caf=C3=A9", false, "caf\xc3\xa9"},
      {"lower-case hex", "caf=c3=a9", false, "caf\xc3\xa9"},
      {"soft break with CRLF", "long=\r\nline", false, "longline"},
      {"soft break with LF", "long=\nline", false, "longline"},
      {"'=' then spaces then a line end is a soft break", "long= \t\r\nline", false, "longline"},
      {"'=' then a space then LF is a soft break", "long= \nline", false, "longline"},
      {"hard line breaks are kept", "a\r\nb\nc", false, "a\r\nb\nc"},
      {"'=' at the very end is dropped", "end=", false, "end"},
      {"an invalid escape is kept and counted", "a=ZZb", false, "a=ZZb", 1},
      {"a half escape is kept and counted", "a=4xb", false, "a=4xb", 1},
      {"a truncated escape at the end is kept and counted", "a=4", false, "a=4", 1},
      {"'=' followed by text is kept and counted", "1+1=2", false, "1+1=2", 1},
      {"'_' is an underscore in a body", "a_b", false, "a_b"},
      {"'_' is a space in header Q mode", "a_b=5Fc", true, "a b_c"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.name);
    DecodeStats st;
    CHECK(decode_quoted_printable(r.in, st, r.header_q) == r.want);
    CHECK(st.invalid_escapes == r.invalid_escapes);
  }
}

TEST_CASE("quoted-printable output stops at the limit and says so", "[decode][qp]") {
  DecodeStats st;
  CHECK(decode_quoted_printable("ab=43de", st, false, 3) == "abC");
  CHECK(st.truncated);
  DecodeStats st2;
  CHECK(decode_quoted_printable("ab=43", st2, false, 3) == "abC");
  CHECK_FALSE(st2.truncated);
}

TEST_CASE("uuencoded lines decode to their bytes", "[decode][uuencode]") {
  std::string bytes50;
  for (int i = 0; i < 50; ++i) bytes50.push_back(static_cast<char>(i));
  struct Row {
    std::string name;
    std::string in;
    std::string want;
  };
  const std::vector<Row> rows = {
      {"one line, backquote line, end", "#0V%T\n`\nend\n", "Cat"},
      {"a block ending with end without a backquote line", "#0V%T\nend\n", "Cat"},
      {"CRLF line ends", "#0V%T\r\n`\r\nend\r\n", "Cat"},
      {"a space as zero, and a zero-length space line", "-:&5L;&\\L('=O<FQD\"@  \n \nend\n",
       "hello, world\n"},
      {"trailing spaces stripped in transit are read as zeros", "-:&5L;&\\L('=O<FQD\"@\nend\n",
       "hello, world\n"},
      {"two lines",
       "M  $\" P0%!@<(\"0H+# T.#Q 1$A,4%187&!D:&QP='A\\@(2(C)\"4F)R@I*BLL\n%+2XO,#$ \n`\nend\n",
       bytes50},
      {"no end line: everything decoded", "#0V%T\n", "Cat"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.name);
    DecodeStats st;
    CHECK(decode_uuencode_lines(r.in, st) == r.want);
    CHECK(st.invalid_chars == 0);
  }
}

TEST_CASE("base64 encoding wraps at 76 characters and decodes back", "[encode][base64]") {
  for (size_t n : {0u, 1u, 2u, 3u, 56u, 57u, 58u, 1000u, 4096u}) {
    CAPTURE(n);
    std::string data = random_bytes(n, static_cast<unsigned>(n));
    std::string enc = encode_base64(data);
    for (const auto& line : lines_of(enc)) CHECK(line.size() <= 76);
    if (n > 0) CHECK(enc.ends_with("\r\n"));
    if (n > 0) CHECK(enc.find("\n") == enc.find("\r\n") + 1);
    DecodeStats st;
    CHECK(decode_base64(enc, st) == data);
    CHECK(st.invalid_chars == 0);
    CHECK_FALSE(st.missing_padding);
  }
  CHECK(encode_base64("hello world") == "aGVsbG8gd29ybGQ=\r\n");
  CHECK(encode_base64(std::string(57, 'a'), 76, "\n").size() == 77);
}

TEST_CASE("quoted-printable encoding keeps lines short and decodes back to the same bytes",
          "[encode][qp]") {
  std::string long_text;
  for (int i = 0; i < 40; ++i)
    long_text += "word" + std::to_string(i) + (i % 7 == 6 ? ".\r\n" : " ");
  std::string long_line(500, 'x');
  std::string utf8_line;
  for (int i = 0; i < 100; ++i) utf8_line += "\xc3\xa9";
  struct Row {
    std::string name;
    std::string in;
  };
  std::vector<Row> rows = {
      {"short text", "hello world\r\n"},
      {"a line of 500 characters", long_line},
      {"long text lines", long_text},
      {"a line of 200 escaped characters", utf8_line},
      {"'=' and tabs", "a=b\tc\r\n=\r\n"},
      {"trailing whitespace before CRLF", "end  \r\nnext\t\r\n"},
      {"trailing whitespace at the end", "end "},
      {"dots and From at line starts", ".\r\nFrom me\r\n..x\r\n"},
  };
  for (unsigned seed = 1; seed <= 20; ++seed)
    rows.push_back({"random binary " + std::to_string(seed), random_bytes(seed * 97, seed)});
  for (const auto& r : rows) {
    CAPTURE(r.name);
    for (std::string_view eol : {std::string_view("\r\n"), std::string_view("\n")}) {
      CAPTURE(eol.size());
      std::string enc = encode_quoted_printable(r.in, eol);
      for (const auto& line : lines_of(enc)) {
        CAPTURE(line);
        CHECK(line.size() <= 76);
        CHECK_FALSE(line.starts_with("."));
        CHECK_FALSE(line.starts_with("From "));
        if (!line.empty()) CHECK((line.back() != ' ' && line.back() != '\t'));
        bool printable = true;
        for (char c : line)
          printable = printable && ((c >= 33 && c <= 126) || c == ' ' || c == '\t');
        CHECK(printable);
      }
      DecodeStats st;
      CHECK(decode_quoted_printable(enc, st) == r.in);
      CHECK(st.invalid_escapes == 0);
    }
  }
}

TEST_CASE("quoted-printable encoding of the cases an MTA could damage", "[encode][qp]") {
  struct Row {
    std::string name;
    std::string in;
    std::string want;
  };
  const std::vector<Row> rows = {
      {"plain text is kept", "hello\r\n", "hello\r\n"},
      {"a trailing space is encoded", "a \r\nb", "a=20\r\nb"},
      {"a trailing tab at the end is encoded", "a\t", "a=09"},
      {"inner spaces are kept", "a b", "a b"},
      {"'=' is encoded", "a=b", "a=3Db"},
      {"8-bit is encoded", "caf\xc3\xa9", "caf=C3=A9"},
      {"From at line start is encoded", "From here\r\nFrom there", "=46rom here\r\n=46rom there"},
      {"From inside a line is kept", "x From y", "x From y"},
      {"a dot at line start is encoded", ".\r\n.x", "=2E\r\n=2Ex"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.name);
    CHECK(encode_quoted_printable(r.in) == r.want);
  }
}

TEST_CASE("charset conversion to UTF-8 replaces what it cannot read", "[decode][charset]") {
  struct Row {
    std::string name;
    std::string in;
    std::string charset;
    std::string want;
    size_t replaced = 0;
    bool unknown = false;
  };
  const std::vector<Row> rows = {
      {"latin1", "caf\xe9", "iso-8859-1", "caf\xc3\xa9"},
      {"latin1 by another name",
       "\xfc"
       "ber",
       "latin1",
       "\xc3\xbc"
       "ber"},
      {"windows-1252 euro and quotes", "\x80 \x93q\x94", "windows-1252",
       "\xe2\x82\xac \xe2\x80\x9cq\xe2\x80\x9d"},
      {"iso-2022-jp", "\x1b$B$3$s$K$A$O\x1b(B", "iso-2022-jp",
       "\xe3\x81\x93\xe3\x82\x93\xe3\x81\xab\xe3\x81\xa1\xe3\x81\xaf"},
      {"charset name in upper case", "caf\xe9", "ISO-8859-1", "caf\xc3\xa9"},
      {"valid utf-8", "caf\xc3\xa9", "utf-8", "caf\xc3\xa9"},
      {"no charset is read as UTF-8", "caf\xc3\xa9", "", "caf\xc3\xa9"},
      {"utf-8 with an invalid byte",
       "a\xff"
       "b",
       "utf-8",
       "a\xef\xbf\xbd"
       "b",
       1},
      {"us-ascii with 8-bit bytes",
       "a\xe9"
       "b",
       "us-ascii",
       "a\xef\xbf\xbd"
       "b",
       1},
      {"a truncated multibyte character", "a\x82", "shift_jis", "a\xef\xbf\xbd", 1},
      {"an unknown charset is flagged and read as Latin-1", "caf\xe9", "x-no-such-charset",
       "caf\xc3\xa9", 0, true},
      {"an unknown charset holding valid UTF-8 is read as UTF-8", "caf\xc3\xa9",
       "x-no-such-charset", "caf\xc3\xa9", 0, true},
      // Only allowlisted names reach iconv: these exist in glibc but are not mail's.
      {"ISO-2022-CN-EXT is not handed to iconv (CVE-2024-2961)", "caf\xe9", "ISO-2022-CN-EXT",
       "caf\xc3\xa9", 0, true},
      // UTF-7 is mail's (RFC 2152) and Outlook and Python read it: text hidden in it is seen.
      {"UTF-7 is decoded as a mail client does", "Fr+APY-sche", "utf-7", "Fr\xc3\xb6sche"},
      {"an iconv-only alias is not handed to iconv", "caf\xe9", "CSISOLATIN1", "caf\xc3\xa9", 0,
       true},
      {"aliases without '-' or '_' and in any case are matched", "caf\xe9", "ISO_8859_1",
       "caf\xc3\xa9"},
      {"windows-1252 as cp1252", "\x80", "CP1252", "\xe2\x82\xac"},
      {"ks_c_5601-1987 reads as CP949", "\xc7\xd1", "ks_c_5601-1987", "\xed\x95\x9c"},
      // windows-1258 holds a letter back until it knows no combining mark follows: the
      // last letter and the one before an unreadable byte are still written.
      {"windows-1258 keeps its last letter", "Hello", "windows-1258", "Hello"},
      {"windows-1258 combines a letter with the tone mark after it", "ca\xd2", "windows-1258",
       "c\xe1\xba\xa3"},
      {"windows-1258 keeps the letter before an unreadable byte",
       "ab\x81"
       "c",
       "windows-1258",
       "ab\xef\xbf\xbd"
       "c",
       1},
  };
  for (const auto& r : rows) {
    CAPTURE(r.name);
    DecodeStats st;
    CHECK(to_utf8(r.in, r.charset, st) == r.want);
    CHECK(st.replaced == r.replaced);
    CHECK(st.unknown_charset == r.unknown);
  }
}

TEST_CASE("UTF-8 sanitizing replaces overlong, surrogate and truncated sequences",
          "[decode][charset]") {
  const std::string R = "\xef\xbf\xbd";  // U+FFFD
  struct Row {
    std::string name;
    std::string in;
    std::string want;
    size_t replaced;
  };
  const std::vector<Row> rows = {
      {"ASCII is kept", "hello", "hello", 0},
      {"2, 3 and 4 byte characters are kept", "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80",
       "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 0},
      {"the largest code point is kept", "\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf", 0},
      {"an overlong '/' (2 bytes)",
       "a\xc0\xaf"
       "b",
       "a" + R + R + "b", 2},
      {"an overlong '/' (3 bytes)",
       "a\xe0\x80\xaf"
       "b",
       "a" + R + R + R + "b", 3},
      {"an overlong NUL (4 bytes)", "\xf0\x80\x80\x80", R + R + R + R, 4},
      {"a UTF-16 surrogate",
       "a\xed\xa0\x80"
       "b",
       "a" + R + R + R + "b", 3},
      {"beyond U+10FFFF", "\xf4\x90\x80\x80", R + R + R + R, 4},
      {"a truncated sequence at the end", "ok\xe2\x82", "ok" + R + R, 2},
      {"a truncated sequence before ASCII",
       "\xe2\x82"
       "A",
       R + R + "A", 2},
      {"a lone continuation byte",
       "a\x80"
       "b",
       "a" + R + "b", 1},
      {"an invalid lead byte", "\xff", R, 1},
  };
  for (const auto& r : rows) {
    CAPTURE(r.name);
    DecodeStats st;
    CHECK(sanitize_utf8(r.in, st) == r.want);
    CHECK(st.replaced == r.replaced);
  }
}

TEST_CASE("RFC 2047 encoded-words in header text decode to UTF-8", "[decode][rfc2047]") {
  struct Row {
    std::string name;
    std::string in;
    std::string want;
  };
  const std::vector<Row> rows = {
      {"plain text is kept", "hello world", "hello world"},
      {"a B word", "=?utf-8?B?Y2Fmw6k=?=", "caf\xc3\xa9"},
      {"a b word in lower case", "=?UTF-8?b?Y2Fmw6k=?=", "caf\xc3\xa9"},
      {"a Q word in Latin-1", "=?iso-8859-1?Q?caf=E9_au_lait?=", "caf\xc3\xa9 au lait"},
      {"text around a word", "Re: =?utf-8?Q?caf=C3=A9?= now", "Re: caf\xc3\xa9 now"},
      {"adjacent words are joined without the whitespace between them",
       "=?utf-8?Q?a?= =?utf-8?Q?b?=\r\n =?utf-8?Q?c?=", "abc"},
      {"adjacent words in different charsets are joined too",
       "=?iso-8859-1?Q?=E9?= =?utf-8?Q?=C3=A9?=", "\xc3\xa9\xc3\xa9"},
      {"a character split across two B words",
       "=?utf-8?B?Y2Fmww==?= =?utf-8?B?qQ==?=", "caf\xc3\xa9"},
      {"a character split across two Q words",
       "=?utf-8?Q?=E2=82?= =?utf-8?Q?=AC?=", "\xe2\x82\xac"},
      {"a word with a language tag", "=?utf-8*en?Q?caf=C3=A9?=", "caf\xc3\xa9"},
      {"text between words is kept", "=?utf-8?Q?a?= and =?utf-8?Q?b?=", "a and b"},
      {"a word with an unknown encoding is left as text", "=?utf-8?X?abc?=", "=?utf-8?X?abc?="},
      {"a word without its end is left as text", "=?utf-8?Q?abc", "=?utf-8?Q?abc"},
      {"a word with a space inside is left as text", "=?utf-8?Q?a b?=", "=?utf-8?Q?a b?="},
      {"a lone =? is left as text", "1 =? 2", "1 =? 2"},
      {"raw Latin-1 outside words", "caf\xe9 =?utf-8?Q?ok?=", "caf\xc3\xa9 ok"},
      {"raw UTF-8 outside words", "caf\xc3\xa9 =?utf-8?Q?ok?=", "caf\xc3\xa9 ok"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.name);
    DecodeStats st;
    CHECK(decode_rfc2047(r.in, st) == r.want);
  }
}

TEST_CASE("RFC 2047 decoding of many openings without an end is linear and keeps the text",
          "[decode][rfc2047][limits]") {
  // every "=?" used to search the rest of the value for "?=" again: quadratic
  auto repeat = [](std::string_view s, size_t n) {
    std::string out;
    for (size_t i = 0; i < n; ++i) out += s;
    return out;
  };
  struct Row {
    std::string name;
    std::string in;
    std::string want;
  };
  const std::vector<Row> rows = {
      {"60000 '=?x' never closed", repeat("=?x", 60000), repeat("=?x", 60000)},
      {"20000 words broken by a space, one end far away",
       repeat("=?utf-8?q?a ", 20000) + "?=", repeat("=?utf-8?q?a ", 20000) + "?="},
      {"a real word after the noise",
       repeat("=?x", 20000) + " =?utf-8?Q?caf=C3=A9?=", repeat("=?x", 20000) + " caf\xc3\xa9"},
      {"many words alternating charsets", repeat("=?utf-8?b?YQ==?= =?iso-8859-1?q?b?= ", 5000),
       repeat("ab", 5000) + " "},
  };
  for (const auto& r : rows) {
    CAPTURE(r.name);
    DecodeStats st;
    CHECK(decode_rfc2047(r.in, st) == r.want);
  }
}
