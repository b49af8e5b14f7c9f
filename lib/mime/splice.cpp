// Splicing: edits (offset, length, text) applied in order over the raw message.
#include "mime/splice.hpp"

#include <algorithm>
#include <optional>
#include <vector>

namespace postern::mime {
namespace {

struct Edit {
  size_t offset, length;
  std::string text;
};

bool fits(std::string_view s, Encoding e) {
  if (e == Encoding::Binary) return true;
  size_t line = 0;
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c == '\n') {
      line = 0;
      continue;
    }
    if (c == 0 || (e == Encoding::SevenBit && c >= 0x80) || ++line > 998) return false;
  }
  return true;
}

// The part's line end: CRLF if its header block (or, without one, its body) uses CRLF.
std::string_view line_end_of(const Tree& t, const Part& p) {
  std::string_view raw = t.raw();
  size_t from = p.header_begin < p.header_end ? p.header_begin : p.body_begin;
  size_t nl = raw.find('\n', from);
  if (nl != std::string_view::npos && nl > 0 && raw[nl - 1] == '\r') return "\r\n";
  return "\n";
}

// The value span of the first CTE field in the part's header block (its folded
// continuation lines included), or nullopt. Matches the field as the parser reads it:
// any case, optional whitespace before the ':'.
std::optional<std::pair<size_t, size_t>> cte_value(const Tree& t, const Part& p) {
  std::string_view raw = t.raw();
  auto line_end = [&](size_t pos) {
    size_t nl = raw.find('\n', pos);
    return nl == std::string_view::npos || nl >= p.header_end ? p.header_end : nl + 1;
  };
  size_t pos = p.header_begin;
  while (pos < p.header_end) {
    size_t end = line_end(pos);
    std::string_view line = raw.substr(pos, end - pos);
    static constexpr std::string_view kName = "content-transfer-encoding";
    bool match = line.size() > kName.size();
    for (size_t i = 0; i < kName.size() && match; ++i) {
      char c = line[i];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
      match = c == kName[i];
    }
    size_t colon = kName.size();
    while (match && colon < line.size() && (line[colon] == ' ' || line[colon] == '\t')) ++colon;
    if (match && colon < line.size() && line[colon] == ':') {
      size_t vb = pos + colon + 1;
      while (end < p.header_end && (raw[end] == ' ' || raw[end] == '\t'))
        end = line_end(end);  // folded
      size_t ve = end;
      while (ve > vb && (raw[ve - 1] == '\n' || raw[ve - 1] == '\r')) --ve;
      return std::pair{vb, ve};
    }
    pos = end;
  }
  return std::nullopt;
}

}  // namespace

postern::expected<std::string, std::string> splice(const Tree& tree,
                                                   std::span<const Replacement> replacements) {
  std::vector<Edit> edits;
  for (const auto& r : replacements) {
    const Part* p = r.part;
    if (!p || !p->is_leaf() || p->uuencoded || p->opaque)
      return postern::unexpected(std::string("only ordinary leaf parts can be replaced: ") +
                                 (p ? p->path : "null"));
    std::string_view eol = line_end_of(tree, *p);
    Encoding enc = p->encoding == Encoding::Unknown || p->encoding == Encoding::UUEncode
                       ? Encoding::SevenBit
                       : p->encoding;
    std::string new_cte;
    if ((enc == Encoding::SevenBit || enc == Encoding::EightBit) && !fits(r.content, enc)) {
      enc = p->type() == "text" ? Encoding::QuotedPrintable : Encoding::Base64;
      new_cte = enc == Encoding::QuotedPrintable ? "quoted-printable" : "base64";
    }
    std::string body;
    switch (enc) {
      case Encoding::Base64:
        body = encode_base64(r.content, 76, eol);
        if (body.size() >= eol.size())
          body.resize(body.size() - eol.size());  // the delimiter brings its own
        break;
      case Encoding::QuotedPrintable:
        body = encode_quoted_printable(r.content, eol);
        break;
      default:
        body = r.content;
        break;
    }
    if (!new_cte.empty()) {
      if (auto v = cte_value(tree, *p)) {
        edits.push_back({v->first, v->second - v->first, " " + new_cte});
      } else {
        // a new field just before the blank line that ends the header block (or, with no
        // blank line, the field and a blank line before the body)
        std::string_view block =
            tree.raw().substr(p->header_begin, p->header_end - p->header_begin);
        std::string field = std::string("Content-Transfer-Encoding: ") + new_cte + std::string(eol);
        if (block.ends_with("\r\n\r\n") || block == "\r\n")
          edits.push_back({p->header_end - 2, 0, field});
        else if (block.ends_with("\n\n") || block == "\n")
          edits.push_back({p->header_end - 1, 0, field});
        else
          edits.push_back({p->header_end, 0, field + std::string(eol)});
      }
    }
    edits.push_back({p->body_begin, p->body_end - p->body_begin, std::move(body)});
  }
  // stable: a new field inserted where the body begins (a part without a header block)
  // must stay before that body's replacement, which has the same offset
  std::stable_sort(edits.begin(), edits.end(),
                   [](const Edit& a, const Edit& b) { return a.offset < b.offset; });
  std::string_view raw = tree.raw();
  std::string out;
  out.reserve(raw.size() + 1024);
  size_t pos = 0;
  for (const auto& e : edits) {
    if (e.offset < pos) return postern::unexpected(std::string("overlapping replacements"));
    out.append(raw.substr(pos, e.offset - pos));
    out += e.text;
    pos = e.offset + e.length;
  }
  out.append(raw.substr(pos));
  return out;
}

}  // namespace postern::mime
