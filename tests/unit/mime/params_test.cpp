// Tests for mime::parse_structured: Content-Type and Content-Disposition values and
// their parameters (quoting, comments, RFC 2231, RFC 2047 in values, malformed input).
#include "mime/params.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace postern::mime;

namespace {

struct Flags {
  bool encoded_word = false;
  bool rfc2231 = false;
  bool duplicate = false;
  bool syntax = false;
};

}  // namespace

TEST_CASE("structured fields give the lower-cased value and decoded parameters", "[params]") {
  struct Row {
    std::string name;
    std::string in;
    std::string value;
    std::vector<Param> params;  // in order
  };
  const std::vector<Row> rows = {
      {"a bare type", "text/plain", "text/plain", {}},
      {"type and parameter names are lower-cased, values kept",
       "Text/HTML; CharSet=UTF-8",
       "text/html",
       {{"charset", "UTF-8"}}},
      {"quoted and unquoted parameters",
       "multipart/mixed; boundary=\"=_a b;c\"; charset=us-ascii",
       "multipart/mixed",
       {{"boundary", "=_a b;c"}, {"charset", "us-ascii"}}},
      {"a quoted value with escapes",
       "attachment; filename=\"a \\\"q\\\" \\\\ b.txt\"",
       "attachment",
       {{"filename", "a \"q\" \\ b.txt"}}},
      {"whitespace around '/', ';' and '='",
       " text / plain ;\tcharset = \"x\" ",
       "text/plain",
       {{"charset", "x"}}},
      {"folded value (already unfolded but with CRLF left)",
       "text/plain;\r\n charset=utf-8",
       "text/plain",
       {{"charset", "utf-8"}}},
      {"comments are skipped",
       "text/plain (body) ; (why) charset=\"utf-8\" (the charset)",
       "text/plain",
       {{"charset", "utf-8"}}},
      {"a comment after an unquoted value is not part of it (RFC 2045 5.1)",
       "text/plain; charset=us-ascii (Plain text)",
       "text/plain",
       {{"charset", "us-ascii"}}},
      {"a nested comment",
       "text/plain (a (nested) comment); format=flowed",
       "text/plain",
       {{"format", "flowed"}}},
      {"an unquoted value with spaces runs to ';'",
       "attachment; filename=my file.pdf; size=3",
       "attachment",
       {{"filename", "my file.pdf"}, {"size", "3"}}},
      {"a trailing ';' is harmless",
       "text/plain; charset=utf-8;",
       "text/plain",
       {{"charset", "utf-8"}}},
      {"an empty field", "", "", {}},
  };
  for (const auto& r : rows) {
    CAPTURE(r.name, r.in);
    DecodeStats st;
    StructuredField f = parse_structured(r.in, st);
    CHECK(f.value == r.value);
    REQUIRE(f.params.size() == r.params.size());
    for (size_t i = 0; i < r.params.size(); ++i) {
      CHECK(f.params[i].name == r.params[i].name);
      CHECK(f.params[i].value == r.params[i].value);
    }
    CHECK_FALSE(f.encoded_word_in_param);
    CHECK_FALSE(f.rfc2231);
    CHECK_FALSE(f.duplicate_param);
    CHECK_FALSE(f.syntax_error);
  }
}

TEST_CASE("filenames in every encoding mail clients use decode to UTF-8, non-standard ones flagged",
          "[params]") {
  struct Row {
    std::string name;
    std::string in;
    std::string param;
    std::string want;
    Flags flags;
  };
  const std::string euro = "\xe2\x82\xac";
  const std::vector<Row> rows = {
      {"RFC 2231 with charset",
       "attachment; filename*=utf-8''%E2%82%AC.pdf",
       "filename",
       euro + ".pdf",
       {false, true}},
      {"RFC 2231 with a language",
       "attachment; filename*=iso-8859-1'en'caf%E9.txt",
       "filename",
       "caf\xc3\xa9.txt",
       {false, true}},
      {"RFC 2231 lower-case percent escapes",
       "attachment; filename*=utf-8''%e2%82%ac",
       "filename",
       euro,
       {false, true}},
      {"RFC 2231 continuations",
       "attachment; filename*0=\"long\"; filename*1=\"name.pdf\"",
       "filename",
       "longname.pdf",
       {false, true}},
      {"RFC 2231 continuations: encoded first segment, plain second",
       "attachment; filename*0*=utf-8''%E2%82%AC; filename*1=\"%41.pdf\"",
       "filename",
       euro + "%41.pdf",
       {false, true}},
      {"RFC 2231 continuations: both encoded",
       "attachment; filename*0*=utf-8''%E2%82; filename*1*=%AC.pdf",
       "filename",
       euro + ".pdf",
       {false, true}},
      {"RFC 2231 segments out of order",
       "attachment; filename*2=c; filename*0=a; filename*1=b",
       "filename",
       "abc",
       {false, true}},
      {"RFC 2231 segments numbered past 9",
       "attachment; f*10=k; f*0=a; f*1=b; f*2=c; f*3=d; f*4=e; f*5=f; "
       "f*6=g; f*7=h; f*8=i; f*9=j",
       "f",
       "abcdefghijk",
       {false, true}},
      {"RFC 2047 inside a quoted filename",
       "attachment; filename=\"=?utf-8?B?4oKsLnBkZg==?=\"",
       "filename",
       euro + ".pdf",
       {true}},
      {"RFC 2047 Q inside a quoted name",
       "application/pdf; name=\"=?iso-8859-1?Q?caf=E9.pdf?=\"",
       "name",
       "caf\xc3\xa9.pdf",
       {true}},
      {"raw Latin-1 in a quoted filename",
       "attachment; filename=\"caf\xe9.txt\"",
       "filename",
       "caf\xc3\xa9.txt",
       {}},
      {"raw UTF-8 in a quoted filename",
       "attachment; filename=\"caf\xc3\xa9.txt\"",
       "filename",
       "caf\xc3\xa9.txt",
       {}},
      {"a repeated parameter: the first wins",
       "attachment; filename=a.txt; filename=b.exe",
       "filename",
       "a.txt",
       {false, false, true}},
      {"a repeated parameter in other case: the first wins",
       "attachment; FILENAME=a.txt; filename=b.exe",
       "filename",
       "a.txt",
       {false, false, true}},
      {"a repeated RFC 2231 segment: the first wins",
       "attachment; filename*0=a; filename*0=b",
       "filename",
       "a",
       {false, true, true}},
      {"a missing ';' before a parameter: still read",
       "multipart/mixed boundary=\"xyz\"",
       "boundary",
       "xyz",
       {false, false, false, true}},
      {"a parameter without '='",
       "text/plain; flowed; charset=utf-8",
       "charset",
       "utf-8",
       {false, false, false, true}},
  };
  for (const auto& r : rows) {
    CAPTURE(r.name, r.in);
    DecodeStats st;
    StructuredField f = parse_structured(r.in, st);
    const std::string* v = f.param(r.param);
    REQUIRE(v);
    CHECK(*v == r.want);
    CHECK(f.encoded_word_in_param == r.flags.encoded_word);
    CHECK(f.rfc2231 == r.flags.rfc2231);
    CHECK(f.duplicate_param == r.flags.duplicate);
    CHECK(f.syntax_error == r.flags.syntax);
  }
}

TEST_CASE("an absent parameter is null and at most 64 parameters are kept", "[params]") {
  DecodeStats st;
  CHECK(parse_structured("text/plain; charset=x", st).param("name") == nullptr);
  std::string many = "text/plain";
  for (int i = 0; i < 200; ++i) many += "; p" + std::to_string(i) + "=" + std::to_string(i);
  StructuredField f = parse_structured(many, st);
  CHECK(f.params.size() == 64);
  REQUIRE(f.param("p63"));
  CHECK(*f.param("p63") == "63");
  CHECK(f.param("p64") == nullptr);
}
