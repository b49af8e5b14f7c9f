// MIME tree parsing: header blocks, multipart delimiters, nested messages, uuencode.
#include "mime/tree.hpp"

#include <fmt/format.h>

#include <cstring>

#include "core/address.hpp"
#include "core/message.hpp"
#include "mime/params.hpp"

namespace postern::mime {
namespace {

bool is_wsp(char c) {
  return c == ' ' || c == '\t';
}

std::string unfold(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v)
    if (c != '\r' && c != '\n') out.push_back(c);
  size_t b = out.find_first_not_of(" \t");
  if (b == std::string::npos) return {};
  size_t e = out.find_last_not_of(" \t");
  return out.substr(b, e - b + 1);
}

struct Field {
  std::string_view name;
  size_t value_begin, value_end;
};

struct HeaderBlock {
  std::vector<Field> fields;
  size_t body_begin = 0;
  bool separator_missing = false;
  bool truncated = false;  // header bytes limit
};

// Reads the header block of the entity at [begin, end).
HeaderBlock read_headers(std::string_view raw, size_t begin, size_t end, size_t max_bytes) {
  HeaderBlock hb;
  size_t pos = begin;
  while (pos < end) {
    const void* nlp = std::memchr(raw.data() + pos, '\n', end - pos);
    size_t nl = nlp ? static_cast<size_t>(static_cast<const char*>(nlp) - raw.data()) : end;
    size_t next = nl < end ? nl + 1 : end;
    size_t len = nl - pos;
    if (len > 0 && raw[pos + len - 1] == '\r') --len;
    if (len == 0) {
      hb.body_begin = next;
      return hb;
    }
    if (pos - begin > max_bytes) {  // keep parsing structure, stop collecting fields
      hb.truncated = true;
      if (!is_wsp(raw[pos])) {
        size_t i = pos;
        while (i < pos + len && raw[i] != ':') ++i;
        if (i == pos + len) {
          hb.separator_missing = true;
          hb.body_begin = pos;
          return hb;
        }
      }
      pos = next;
      continue;
    }
    if (is_wsp(raw[pos]) && !hb.fields.empty()) {
      hb.fields.back().value_end = pos + len;
      pos = next;
      continue;
    }
    size_t i = pos;
    while (i < pos + len && raw[i] >= 33 && raw[i] <= 126 && raw[i] != ':') ++i;
    size_t name_end = i;
    while (i < pos + len && is_wsp(raw[i])) ++i;
    if (name_end == pos || i >= pos + len || raw[i] != ':') {
      hb.separator_missing = true;
      hb.body_begin = pos;
      return hb;
    }
    hb.fields.push_back({raw.substr(pos, name_end - pos), i + 1, pos + len});
    pos = next;
  }
  hb.body_begin = end;
  return hb;
}

struct Delimiter {
  size_t line_begin;   // the "--"
  size_t content_end;  // where the previous part's content ends (before the line end)
  size_t next;         // first byte after the delimiter line
  bool close;
};

// Finds the delimiter lines of `boundary` in [begin, end). A delimiter starts a line, so
// after a match that does not qualify the search goes on at the next line: every byte is
// compared a bounded number of times however long the boundary (a boundary of dashes over
// lines of dashes matches at every position).
std::vector<Delimiter> find_delimiters(std::string_view raw, size_t begin, size_t end,
                                       const std::string& boundary) {
  std::vector<Delimiter> out;
  std::string needle = "--" + boundary;
  size_t pos = begin;
  auto next_line = [&](size_t at) {
    const void* nl = std::memchr(raw.data() + at, '\n', end - at);
    return nl ? static_cast<size_t>(static_cast<const char*>(nl) - raw.data()) + 1 : end;
  };
  while (pos < end) {
    const void* hit = memmem(raw.data() + pos, end - pos, needle.data(), needle.size());
    if (!hit) break;
    size_t at = static_cast<size_t>(static_cast<const char*>(hit) - raw.data());
    if (at != begin && raw[at - 1] != '\n') {
      pos = next_line(at);
      continue;
    }
    size_t i = at + needle.size();
    bool close = false;
    if (i + 1 < end && raw[i] == '-' && raw[i + 1] == '-') {
      close = true;
      i += 2;
    }
    while (i < end && is_wsp(raw[i])) ++i;
    size_t next;
    if (i >= end)
      next = end;
    else if (raw[i] == '\n')
      next = i + 1;
    else if (raw[i] == '\r' && i + 1 < end && raw[i + 1] == '\n')
      next = i + 2;
    else if (raw[i] == '\r')
      next = i + 1;
    else {
      pos = next_line(at);  // "--boundaryX...": not this boundary
      continue;
    }
    size_t content_end = at;
    if (content_end > begin && raw[content_end - 1] == '\n') {
      --content_end;
      if (content_end > begin && raw[content_end - 1] == '\r') --content_end;
    }
    out.push_back({at, content_end, next, close});
    if (close) break;
    pos = next;
  }
  return out;
}

}  // namespace

Encoding encoding_of(std::string_view cte) {
  std::string c = core::to_lower(cte);
  if (c.empty() || c == "7bit") return Encoding::SevenBit;
  if (c == "8bit") return Encoding::EightBit;
  if (c == "binary") return Encoding::Binary;
  if (c == "quoted-printable") return Encoding::QuotedPrintable;
  if (c == "base64") return Encoding::Base64;
  if (c == "x-uuencode" || c == "uuencode" || c == "x-uue" || c == "uue") return Encoding::UUEncode;
  return Encoding::Unknown;
}

class Parser {
 public:
  Parser(Tree& t, const Limits& l, core::CpuBudget* budget) : t_(t), lim_(l), budget_(budget) {}

  // Parses the entity at [begin, end) as a child of `parent`.
  void entity(size_t begin, size_t end, int parent, std::string path, size_t depth,
              const char* default_type) {
    int idx = static_cast<int>(t_.parts_.size());
    t_.parts_.emplace_back();
    if (parent >= 0) t_.parts_[static_cast<size_t>(parent)].children.push_back(idx);
    {
      Part& p = part(idx);
      p.path = std::move(path);
      p.parent = parent;
      p.depth = depth;
      p.header_begin = begin;
      p.content_type = default_type;
    }
    std::string_view raw = t_.raw_;
    HeaderBlock hb = read_headers(raw, begin, end, lim_.max_header_bytes);
    Part& p = part(idx);
    p.header_end = hb.body_begin;
    p.body_begin = hb.body_begin;
    p.body_end = end;
    if (hb.truncated)
      add(idx, "MIME_HEADER_LIMIT",
          fmt::format("header block over {} bytes: later fields ignored", lim_.max_header_bytes));
    if (hb.separator_missing && depth > 0)
      add(idx, "MIME_MISSING_HEADER_SEPARATOR",
          "a line that is not a header field ends the header block");

    const Field* ct = nullptr;
    const Field* cte = nullptr;
    const Field* cd = nullptr;
    size_t n_ct = 0, n_cte = 0;
    for (const auto& f : hb.fields) {
      if (core::iequals(f.name, "content-type")) {
        if (!ct) ct = &f;
        ++n_ct;
      } else if (core::iequals(f.name, "content-transfer-encoding")) {
        if (!cte) cte = &f;
        ++n_cte;
      } else if (core::iequals(f.name, "content-disposition")) {
        if (!cd) cd = &f;
      }
    }
    if (n_ct > 1)
      add(idx, "MIME_DUPLICATE_CONTENT_TYPE",
          fmt::format("{} Content-Type fields: the first is used", n_ct));
    if (n_cte > 1)
      add(idx, "MIME_DUPLICATE_TRANSFER_ENCODING",
          fmt::format("{} Content-Transfer-Encoding fields: the first is used", n_cte));

    DecodeStats st;
    StructuredField ctf;
    if (ct) {
      ctf = parse_structured(unfold(raw.substr(ct->value_begin, ct->value_end - ct->value_begin)),
                             st);
      size_t slash = ctf.value.find('/');
      if (ctf.value.empty()) {
        add(idx, "MIME_CONTENT_TYPE_INVALID", "empty Content-Type: text/plain assumed");
        p.content_type = "text/plain";
      } else if (slash == std::string::npos || slash == 0 || slash + 1 == ctf.value.size() ||
                 ctf.value.find('/', slash + 1) != std::string::npos) {
        add(idx, "MIME_CONTENT_TYPE_NO_SUBTYPE",
            fmt::format("Content-Type '{}' has no valid subtype: text/plain assumed",
                        ctf.value.substr(0, 64)));
        p.content_type = "text/plain";
      } else {
        p.content_type = ctf.value;
      }
      if (ctf.syntax_error)
        add(idx, "MIME_CONTENT_TYPE_SYNTAX",
            fmt::format("malformed Content-Type parameters: {}", ctf.value.substr(0, 64)));
      if (const auto* cs = ctf.param("charset")) p.charset = core::to_lower(*cs);
      if (const auto* b = ctf.param("boundary")) p.boundary = *b;
    }
    if (cte) {
      p.transfer_encoding =
          core::to_lower(unfold(raw.substr(cte->value_begin, cte->value_end - cte->value_begin)));
      if (size_t sp = p.transfer_encoding.find_first_of(" \t;("); sp != std::string::npos)
        p.transfer_encoding.resize(sp);
      p.encoding = encoding_of(p.transfer_encoding);
      if (p.encoding == Encoding::Unknown)
        add(idx, "MIME_UNKNOWN_TRANSFER_ENCODING",
            fmt::format("Content-Transfer-Encoding '{}' unknown: read as 7bit",
                        p.transfer_encoding.substr(0, 64)));
    }
    // A name in angle brackets ("<DHL.html>") reads without them, as Python's
    // email.utils.unquote and a Windows save (which drops '<' and '>') read it:
    // its extension is ".html", not ".html>".
    auto client_name = [](std::string n) {
      if (n.size() >= 2 && n.front() == '<' && n.back() == '>') n = n.substr(1, n.size() - 2);
      return n;
    };
    std::string ct_name;
    if (const auto* n = ctf.param("name")) ct_name = client_name(*n);
    if (cd) {
      StructuredField cdf = parse_structured(
          unfold(raw.substr(cd->value_begin, cd->value_end - cd->value_begin)), st);
      p.disposition = cdf.value;
      if (const auto* fn = cdf.param("filename")) p.filename = client_name(*fn);
      if (cdf.encoded_word_in_param)
        add(idx, "MIME_ENCODED_WORD_IN_PARAMETER",
            "RFC 2047 encoded-word inside a Content-Disposition parameter");
      if (cdf.duplicate_param)
        add(idx, "MIME_DUPLICATE_PARAMETER", "a Content-Disposition parameter appears twice");
    }
    if (ctf.encoded_word_in_param)
      add(idx, "MIME_ENCODED_WORD_IN_PARAMETER",
          "RFC 2047 encoded-word inside a Content-Type parameter");
    if (ctf.duplicate_param)
      add(idx, "MIME_DUPLICATE_PARAMETER", "a Content-Type parameter appears twice");
    if (p.filename.empty())
      p.filename = ct_name;
    else if (!ct_name.empty() && ct_name != p.filename) {
      p.other_filename = ct_name;
      add(idx, "MIME_FILENAME_MISMATCH",
          fmt::format("filename '{}' but name '{}'", p.filename.substr(0, 100),
                      ct_name.substr(0, 100)));
    }

    std::string_view type = p.type();
    if (type == "multipart") {
      multipart(idx, depth);
    } else if (p.content_type == "message/rfc822" || p.content_type == "message/global") {
      message(idx, depth);
    } else {
      leaf(idx);
    }
  }

 private:
  Part& part(int idx) { return t_.parts_[static_cast<size_t>(idx)]; }
  void add(int idx, std::string symbol, std::string detail) {
    part(idx).anomalies.push_back({std::move(symbol), std::move(detail)});
  }

  bool out_of_time() const { return budget_ && budget_->expired(); }

  bool at_limit(int idx, size_t depth) {
    if (out_of_time()) {  // the caller reports the spent budget
      part(idx).opaque = true;
      return true;
    }
    if (depth + 1 >= lim_.max_depth) {
      add(idx, "MIME_DEPTH_LIMIT",
          fmt::format("nesting deeper than {}: the rest is one opaque part", lim_.max_depth));
      part(idx).opaque = true;
      return true;
    }
    if (t_.parts_.size() >= lim_.max_parts) {
      if (!parts_limit_reported_) {
        add(idx, "MIME_PARTS_LIMIT",
            fmt::format("more than {} parts: the rest is one opaque part", lim_.max_parts));
        parts_limit_reported_ = true;
      }
      part(idx).opaque = true;
      return true;
    }
    return false;
  }

  void multipart(int idx, size_t depth) {
    Part& p = part(idx);
    if (p.encoding != Encoding::SevenBit && p.encoding != Encoding::EightBit &&
        p.encoding != Encoding::Binary)
      add(idx, "MIME_MULTIPART_ENCODED",
          fmt::format("transfer encoding '{}' on a multipart is ignored",
                      part(idx).transfer_encoding.substr(0, 64)));
    if (part(idx).boundary.empty()) {
      add(idx, "MIME_MULTIPART_NO_BOUNDARY", "multipart without a boundary: read as one text part");
      return leaf(idx);
    }
    if (at_limit(idx, depth)) return;
    size_t bb = part(idx).body_begin, be = part(idx).body_end;
    auto delims = find_delimiters(t_.raw_, bb, be, part(idx).boundary);
    if (delims.empty() || delims.front().close) {
      add(idx, "MIME_BOUNDARY_NOT_FOUND",
          "no delimiter line for the declared boundary: read as one text part");
      return leaf(idx);
    }
    part(idx).multipart = true;
    const char* child_default =
        part(idx).content_type == "multipart/digest" ? "message/rfc822" : "text/plain";
    std::string base = part(idx).path;
    size_t n = 0;
    for (size_t k = 0; k < delims.size(); ++k) {
      if (delims[k].close) break;
      size_t cb = delims[k].next;
      size_t ce = k + 1 < delims.size() ? delims[k + 1].content_end : be;
      if (k + 1 == delims.size()) {  // unterminated: the end of data acts as a delimiter and takes
                                     // the line end
        if (ce > cb && t_.raw_[ce - 1] == '\n') --ce;
        if (ce > cb && t_.raw_[ce - 1] == '\r') --ce;
      }
      if (ce < cb) ce = cb;
      const bool no_time = out_of_time();
      if (no_time || t_.parts_.size() >= lim_.max_parts) {  // the rest is one opaque leaf
        int op = static_cast<int>(t_.parts_.size());
        t_.parts_.emplace_back();
        Part& o = part(op);
        o.path = fmt::format("{}.{}", base, ++n);
        o.parent = idx;
        o.depth = depth + 1;
        o.header_begin = o.header_end = o.body_begin = cb;
        o.body_end = be;
        o.content_type = "application/octet-stream";
        o.opaque = true;
        part(idx).children.push_back(op);
        if (!no_time)
          add(idx, "MIME_PARTS_LIMIT",
              fmt::format("more than {} parts: the rest is one opaque part", lim_.max_parts));
        return;
      }
      entity(cb, ce, idx, fmt::format("{}.{}", base, ++n), depth + 1, child_default);
    }
    const Delimiter& last = delims.back();
    if (!last.close) {
      add(idx, "MIME_UNTERMINATED_MULTIPART",
          "no closing delimiter: the last part runs to the end");
      return;
    }
    std::string_view epilogue = t_.raw_.substr(last.next, be - last.next);
    if (epilogue.find_first_not_of(" \t\r\n") != std::string_view::npos) {
      bool looks_like_part = epilogue.find("Content-") != std::string_view::npos ||
                             epilogue.find("content-") != std::string_view::npos ||
                             epilogue.find("\n--") != std::string_view::npos;
      add(idx, "MIME_EPILOGUE_CONTENT",
          fmt::format("{} bytes after the closing delimiter{}", epilogue.size(),
                      looks_like_part ? ", looking like a hidden part" : ""));
    }
  }

  void message(int idx, size_t depth) {
    Encoding e = part(idx).encoding;
    if (e == Encoding::Base64 || e == Encoding::QuotedPrintable || e == Encoding::UUEncode) {
      add(idx, "MIME_MESSAGE_ENCODED", "message/rfc822 with a transfer encoding: kept as one part");
      return leaf(idx);
    }
    if (at_limit(idx, depth)) return;
    part(idx).message = true;
    entity(part(idx).body_begin, part(idx).body_end, idx, part(idx).path + ".1", depth + 1,
           "text/plain");
  }

  void leaf(int idx) {
    Part& p = part(idx);
    if (p.type() != "text" || p.content_type == "text/html") return;
    // uuencoded blocks: "begin MODE NAME" ... "end"
    std::string decoded;
    std::string_view text = t_.body(p);
    if (p.encoding == Encoding::Base64 || p.encoding == Encoding::QuotedPrintable) {
      DecodeStats st;
      decoded = t_.decode(p, st, lim_.max_part_decoded);
      text = decoded;
    }
    if (text.find("begin ") == std::string_view::npos) return;
    size_t pos = 0, found = 0;
    std::string base = p.path;
    while (pos < text.size() && found < 100) {
      size_t at = text.find("begin ", pos);
      if (at == std::string_view::npos) break;
      pos = at + 6;
      if (at != 0 && text[at - 1] != '\n') continue;
      size_t eol = text.find('\n', at);
      std::string_view line =
          text.substr(at, eol == std::string_view::npos ? std::string_view::npos : eol - at);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      // begin <3-4 octal digits> <name>
      size_t i = 6, digits = 0;
      while (i < line.size() && line[i] >= '0' && line[i] <= '7') ++i, ++digits;
      if (digits < 3 || digits > 4 || i >= line.size() || line[i] != ' ' || i + 1 >= line.size())
        continue;
      std::string name(line.substr(i + 1));
      if (eol == std::string_view::npos) break;
      size_t data_begin = eol + 1;
      size_t end_at = data_begin;
      size_t end_line = std::string_view::npos;
      while (end_at < text.size()) {
        size_t e2 = text.find('\n', end_at);
        std::string_view l = text.substr(
            end_at, e2 == std::string_view::npos ? std::string_view::npos : e2 - end_at);
        if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
        if (l == "end") {
          end_line = end_at;
          break;
        }
        if (e2 == std::string_view::npos) break;
        end_at = e2 + 1;
      }
      if (end_line == std::string_view::npos) {
        add(idx, "MIME_UUENCODE_UNTERMINATED",
            fmt::format("uuencoded '{}' has no end line", name.substr(0, 100)));
        end_line = text.size();
      }
      if (t_.parts_.size() >= lim_.max_parts) {
        add(idx, "MIME_PARTS_LIMIT", fmt::format("more than {} parts", lim_.max_parts));
        break;
      }
      int u = static_cast<int>(t_.parts_.size());
      t_.parts_.emplace_back();
      Part& up = part(u);
      Part& parent = part(idx);
      up.path = fmt::format("{}.{}", base, ++found);
      up.parent = idx;
      up.depth = parent.depth + 1;
      up.content_type = "application/octet-stream";
      up.disposition = "attachment";
      up.filename = name;
      up.transfer_encoding = "x-uuencode";
      up.encoding = Encoding::UUEncode;
      up.uuencoded = true;
      up.uu_data = std::string(text.substr(data_begin, end_line - data_begin));
      up.header_begin = up.header_end = up.body_begin = parent.body_begin;
      up.body_end = parent.body_end;
      parent.children.push_back(u);
      pos = end_line;
    }
  }

  Tree& t_;
  const Limits& lim_;
  core::CpuBudget* budget_;
  bool parts_limit_reported_ = false;
};

Tree Tree::parse(std::string_view raw, const Limits& limits, core::CpuBudget* budget) {
  Tree t;
  t.raw_ = raw;
  Parser p(t, limits, budget);
  p.entity(0, raw.size(), -1, "1", 0, "text/plain");
  return t;
}

std::vector<const Part*> Tree::leaves() const {
  std::vector<const Part*> out;
  // document order: depth-first from the root
  std::vector<int> stack{0};
  while (!stack.empty()) {
    int i = stack.back();
    stack.pop_back();
    const Part& p = parts_[static_cast<size_t>(i)];
    if (p.is_leaf()) out.push_back(&p);
    for (auto it = p.children.rbegin(); it != p.children.rend(); ++it) stack.push_back(*it);
  }
  return out;
}

std::string Tree::decode(const Part& p, DecodeStats& st, size_t max_out) const {
  if (p.uuencoded) return decode_uuencode_lines(p.uu_data, st, max_out);
  std::string_view b = body(p);
  switch (p.encoding) {
    case Encoding::Base64:
      return decode_base64(b, st, max_out);
    case Encoding::QuotedPrintable:
      return decode_quoted_printable(b, st, false, max_out);
    case Encoding::UUEncode: {
      size_t begin = b.find("begin ");
      if (begin == std::string_view::npos) return decode_uuencode_lines(b, st, max_out);
      size_t nl = b.find('\n', begin);
      return nl == std::string_view::npos ? std::string{}
                                          : decode_uuencode_lines(b.substr(nl + 1), st, max_out);
    }
    default:
      if (b.size() > max_out) {
        st.truncated = true;
        return std::string(b.substr(0, max_out));
      }
      return std::string(b);
  }
}

std::vector<Anomaly> Tree::all_anomalies() const {
  std::vector<Anomaly> out;
  for (const auto& p : parts_)
    for (const auto& a : p.anomalies) out.push_back({a.symbol, p.path + ": " + a.detail});
  return out;
}

}  // namespace postern::mime
