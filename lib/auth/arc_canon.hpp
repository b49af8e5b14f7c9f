// ARC/DKIM text rules (RFC 6376): tag lists and header/body canonicalization.
//
// Contract: pure functions over bytes, no state, thread-safe. Input is
// attacker-controlled: parsing never throws on bad syntax; it returns an
// error string (tag lists) that the caller turns into a chain failure. Header
// values are taken raw (as in the message, folds included); line ends are
// expected as CRLF, a bare LF is treated as a line end too.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"

namespace postern::auth::arc {

struct Tag {
  std::string name;
  std::string value;       // without surrounding whitespace; internal folds kept
  size_t value_begin = 0;  // in the parsed text: first byte after '='
  size_t value_end = 0;    // in the parsed text: the ';' (or end) that ends the tag
};

// A parsed RFC 6376 3.2 tag-list: names are case-sensitive, a duplicate name,
// an empty tag-spec (";;") or a bad tag name is an error; unknown tags are kept.
class TagList {
 public:
  static postern::expected<TagList, std::string> parse(std::string_view text, size_t max_tags = 64);
  const Tag* find(std::string_view name) const;
  // The value, or nullopt when the tag is absent.
  std::optional<std::string_view> get(std::string_view name) const;
  const std::vector<Tag>& tags() const { return tags_; }

 private:
  std::vector<Tag> tags_;
};

enum class Canon { Simple, Relaxed };

// "relaxed"/"simple" pairs of c= ("relaxed/simple"; a lone "relaxed" means
// relaxed/simple; absent means simple/simple). nullopt: not a valid c= value.
struct CanonPair {
  Canon header = Canon::Simple;
  Canon body = Canon::Simple;
};
std::optional<CanonPair> parse_canon(std::string_view c);

// The canonical form of one header field, with its CRLF. `raw_field` is the
// whole field as in the message ("Name: value\r\n", folds included).
std::string canon_header(Canon c, std::string_view name, std::string_view raw_value,
                         std::string_view raw_field);
// RFC 6376 3.4.2 for a value alone: unfolded, WSP runs to one SP, trimmed.
std::string relaxed_value(std::string_view raw_value);
// The canonical body (3.4.3 simple, 3.4.4 relaxed).
std::string canon_body(Canon c, std::string_view body);

// `raw_value` with the value of tag `b` removed (and the whitespace around it),
// as a signature is hashed (RFC 6376 3.7). The tag list must have parsed.
std::string strip_b_value(std::string_view raw_value, const TagList& tags);

// Base64 decoding that skips whitespace; nullopt on any other bad character.
std::optional<std::string> base64_decode(std::string_view in);
std::string base64_encode(std::string_view in);

// RFC 5321 domain syntax (LDH labels, 1..63 each, <= 253 in all, no leading or
// trailing hyphen), as d= needs.
bool valid_domain(std::string_view d);

}  // namespace postern::auth::arc
