// Structured MIME header fields: Content-Type and Content-Disposition values
// with their parameters.
//
// Contract: pure, never fails. The main value is lower-cased; parameter names
// are lower-cased; values are decoded to UTF-8: quoted strings unescaped, RFC
// 2231 continuations (name*0, name*1*, ...) joined and percent-decoded in their
// charset, and RFC 2047 encoded-words inside values decoded, as real mail
// clients do (flagged, since it is not standard). Comments are skipped, also one
// that follows an unquoted value after whitespace; otherwise an unquoted value
// runs to the next ';' (spaces included), as lenient clients read it. The
// first occurrence of a repeated parameter wins (flagged). At most 64
// parameters are kept.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mime/decode.hpp"

namespace postern::mime {

struct Param {
  std::string name;
  std::string value;
};

struct StructuredField {
  std::string value;  // "text/plain", "attachment", ... lower-cased
  std::vector<Param> params;
  bool encoded_word_in_param = false;
  bool rfc2231 = false;
  bool duplicate_param = false;
  bool syntax_error = false;

  // The parameter's value, or "" when absent.
  const std::string* param(std::string_view name) const;
};

StructuredField parse_structured(std::string_view v, DecodeStats& st);

}  // namespace postern::mime
