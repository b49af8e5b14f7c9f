// MIME part tree over a buffered raw message, without copying it.
//
// Contract: `Tree::parse(raw, limits)` never fails and never throws on hostile
// input; `raw` must outlive the Tree (parts are byte spans into it). Every
// ambiguity is resolved one documented way (the way Python's email package and
// mainstream clients read it; see the README's MIME section) and recorded as
// an Anomaly with a MIME_* symbol on the part where it occurs. Limits (depth,
// part count, header bytes per part) are anomalies too: what lies beyond a limit
// becomes one opaque leaf part. Paths are "1", "1.1", "1.2.1", ...: the root is
// "1", children of a multipart are numbered from 1, the message inside a
// message/rfc822 part is its child ".1". uuencoded blocks inside text bodies
// become leaf parts too (children of the text part), because legacy clients
// show them as attachments. Parsing is linear in the message for each level of
// nesting (delimiters are searched only at line starts). With a CPU budget,
// parsing stops once it is spent: the rest becomes one opaque leaf, as beyond a
// limit (no anomaly: the caller reports the budget). Immutable after parse; any
// thread may read it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/cpu_budget.hpp"
#include "mime/decode.hpp"

namespace postern::mime {

struct Limits {
  size_t max_depth = 64;
  size_t max_parts = 10000;
  size_t max_header_bytes = 256 * 1024;   // per part
  size_t max_part_decoded = 64u << 20;    // per leaf
  size_t max_total_decoded = 256u << 20;  // per message
};

struct Anomaly {
  std::string symbol;  // MIME_*
  std::string detail;
};

enum class Encoding { SevenBit, EightBit, Binary, QuotedPrintable, Base64, UUEncode, Unknown };

struct Part {
  std::string path;
  int parent = -1;
  std::vector<int> children;
  size_t depth = 0;

  size_t header_begin = 0, header_end = 0;  // the header block (header_end = first body byte)
  size_t body_begin = 0, body_end = 0;      // content, excluding the line end before a boundary

  std::string content_type = "text/plain";  // type/subtype, lower case
  std::string charset;                      // lower case, "" if none
  std::string boundary;
  std::string disposition;        // "inline", "attachment", other, or ""
  std::string filename;           // UTF-8; Content-Disposition filename, else Content-Type name
  std::string other_filename;     // the Content-Type name when it differs (a client may show it)
  std::string transfer_encoding;  // as declared, lower case; "" if none
  Encoding encoding = Encoding::SevenBit;

  bool multipart = false;  // children are the body parts
  bool message = false;    // message/rfc822 (or message/global): one child, the inner message
  bool opaque = false;     // beyond a limit: not parsed further
  bool uuencoded = false;  // a uuencoded block found inside a text body
  std::string uu_data;     // for uuencoded parts: the encoded lines

  std::vector<Anomaly> anomalies;

  bool is_leaf() const { return !multipart && !message; }
  std::string_view type() const {
    return std::string_view(content_type).substr(0, content_type.find('/'));
  }
};

class Tree {
 public:
  static Tree parse(std::string_view raw, const Limits& limits = {},
                    core::CpuBudget* budget = nullptr);

  std::string_view raw() const { return raw_; }
  const std::vector<Part>& parts() const { return parts_; }
  const Part& root() const { return parts_.front(); }
  // Leaf parts in document order (uuencoded blocks included).
  std::vector<const Part*> leaves() const;
  std::string_view body(const Part& p) const {
    return raw_.substr(p.body_begin, p.body_end - p.body_begin);
  }

  // Transfer-decoded content of a part (bounded by max_out).
  std::string decode(const Part& p, DecodeStats& st, size_t max_out = SIZE_MAX) const;

  // Every anomaly of every part, as "path: detail" with its symbol.
  std::vector<Anomaly> all_anomalies() const;

 private:
  std::string_view raw_;
  std::vector<Part> parts_;
  friend class Parser;
};

Encoding encoding_of(std::string_view cte);

}  // namespace postern::mime
