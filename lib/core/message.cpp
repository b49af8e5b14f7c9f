// Message: RFC 5322 header block parsing and the builder both front ends use.
#include "core/message.hpp"

#include <algorithm>

namespace postern::core {
namespace {

bool is_wsp(char c) {
  return c == ' ' || c == '\t';
}

// Header field name characters (RFC 5322 ftext): printable ASCII except ':'.
bool is_ftext(char c) {
  return c >= 33 && c <= 126 && c != ':';
}

// End of the physical line starting at `pos`: index of '\n' or raw.size().
size_t line_end(std::string_view raw, size_t pos) {
  size_t nl = raw.find('\n', pos);
  return nl == std::string_view::npos ? raw.size() : nl;
}

// Length of the line's content, without CR before LF.
size_t content_len(std::string_view raw, size_t start, size_t end) {
  size_t n = end - start;
  if (n > 0 && raw[end - 1] == '\r') --n;
  return n;
}

// Returns the length of "name" + optional WSP before ':' if the line is a field, else 0.
size_t field_name_end(std::string_view line, size_t& colon) {
  size_t i = 0;
  while (i < line.size() && is_ftext(line[i])) ++i;
  if (i == 0) return 0;
  size_t name_end = i;
  while (i < line.size() && is_wsp(line[i])) ++i;
  if (i >= line.size() || line[i] != ':') return 0;
  colon = i;
  return name_end;
}

bool is_break(char c) {
  return c == '\r' || c == '\n';
}

// The line break starting at v[i] (CRLF, CR or LF): its length, 0 if none.
size_t break_len(std::string_view v, size_t i) {
  if (v[i] == '\r' && i + 1 < v.size() && v[i + 1] == '\n') return 2;
  return is_break(v[i]) ? 1 : 0;
}

// True when the break at v[i] of length n is a fold: a line end (CRLF, or LF in
// a message with bare LF line ends) followed by WSP. A lone CR is never a line
// end to the MTA.
bool is_fold(std::string_view v, size_t i, size_t n) {
  return (n == 2 || v[i] == '\n') && i + n < v.size() && is_wsp(v[i + n]);
}

// Unfolds a raw value: CRLF+WSP folds are removed (the WSP stays), every other
// line break reads as one space.
std::string unfold(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (size_t i = 0; i < v.size();) {
    size_t n = break_len(v, i);
    if (n == 0) {
      out.push_back(v[i++]);
      continue;
    }
    if (!is_fold(v, i, n)) out.push_back(' ');
    i += n;
  }
  return std::string(trim(out));
}

bool has_8bit(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return (unsigned char)c >= 0x80; });
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? char(c + 32) : c; };
           return lower(x) == lower(y);
         });
}

std::string_view trim(std::string_view s) {
  auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && ws(s.front())) s.remove_prefix(1);
  while (!s.empty() && ws(s.back())) s.remove_suffix(1);
  return s;
}

std::string to_crlf(std::string_view in) {
  std::string out;
  out.reserve(in.size() + in.size() / 32);
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '\n' && (i == 0 || in[i - 1] != '\r')) out.push_back('\r');
    out.push_back(c);
  }
  return out;
}

Message::Message(std::string raw, size_t declared_size, bool truncated)
    : raw_(std::move(raw)),
      total_size_(std::max(declared_size, raw_.size())),
      truncated_(truncated) {
  parse();
}

void Message::parse() {
  std::string_view raw(raw_);
  size_t pos = 0;
  HeaderField* cur = nullptr;
  while (pos < raw.size()) {
    size_t end = line_end(raw, pos);
    size_t next = end < raw.size() ? end + 1 : end;
    size_t len = content_len(raw, pos, end);
    std::string_view line = raw.substr(pos, len);
    if (len == 0) {  // blank line: end of the header block
      blank_line_ = true;
      body_offset_ = next;
      break;
    }
    if (is_wsp(line[0]) && cur != nullptr) {  // continuation of the current field
      cur->length = next - cur->offset;
      cur->value_length = pos + len - cur->value_offset;
      cur->longest_line = std::max(cur->longest_line, len);
      if (has_8bit(line)) cur->eight_bit = true;
      pos = next;
      continue;
    }
    size_t colon = 0;
    size_t name_end = field_name_end(line, colon);
    if (name_end == 0) {  // not a field: the body starts here (Postfix cleanup does the same)
      non_field_line_ = true;
      body_offset_ = pos;
      break;
    }
    HeaderField f;
    f.name = std::string(line.substr(0, name_end));
    f.space_before_colon = colon != name_end;
    f.offset = pos;
    f.length = next - pos;
    f.value_offset = pos + colon + 1;
    f.value_length = pos + len - f.value_offset;
    f.longest_line = len;
    f.eight_bit = has_8bit(line);
    headers_.push_back(std::move(f));
    cur = &headers_.back();
    pos = next;
  }
  if (pos >= raw.size() && !blank_line_ && !non_field_line_) body_offset_ = raw.size();
  finish_fields();
}

Message::Message(std::string raw, std::vector<FieldSpan> fields, size_t body_offset,
                 size_t declared_size, bool truncated)
    : raw_(std::move(raw)),
      body_offset_(std::min(body_offset, raw_.size())),
      total_size_(std::max(declared_size, raw_.size())),
      truncated_(truncated),
      blank_line_(body_offset <= raw_.size()) {
  parse_spans(fields);
}

void Message::parse_spans(const std::vector<FieldSpan>& fields) {
  std::string_view raw(raw_);
  for (const FieldSpan& s : fields) {
    if (s.offset + s.name_length >= raw.size()) break;  // cut off by the byte limit
    size_t end = std::min(s.offset + s.length, raw.size());
    HeaderField f;
    std::string_view name = raw.substr(s.offset, s.name_length);
    while (!name.empty() && is_wsp(name.back())) {
      name.remove_suffix(1);
      f.space_before_colon = true;
    }
    f.name = std::string(name);
    f.offset = s.offset;
    f.length = end - s.offset;
    f.value_offset = s.offset + s.name_length + 1;
    size_t value_end = end;
    if (value_end > f.value_offset && raw[value_end - 1] == '\n') --value_end;
    if (value_end > f.value_offset && raw[value_end - 1] == '\r') --value_end;
    f.value_length = value_end - f.value_offset;
    std::string_view field = raw.substr(s.offset, value_end - s.offset);
    for (size_t pos = 0; pos <= field.size();) {
      size_t nl = field.find('\n', pos);
      if (nl == std::string_view::npos) nl = field.size();
      f.longest_line = std::max(f.longest_line, content_len(field, pos, nl));
      pos = nl + 1;
    }
    f.eight_bit = has_8bit(field);
    headers_.push_back(std::move(f));
  }
  finish_fields();
}

// Unfolded values, name checks, and the reading that ends lines at every break.
void Message::finish_fields() {
  std::string_view raw(raw_);
  for (size_t idx = 0; idx < headers_.size(); ++idx) {
    HeaderField& h = headers_[idx];
    std::string_view v = raw.substr(h.value_offset, h.value_length);
    h.value = unfold(v);
    h.name_invalid = h.name.empty() || !std::all_of(h.name.begin(), h.name.end(), is_ftext);
    // Split at every break that is not a fold: each later piece continues the field
    // (leading WSP), starts a hidden field (a name and a colon), or is neither.
    std::vector<std::string_view> pieces;
    size_t start = 0;
    for (size_t i = 0; i < v.size();) {
      size_t n = break_len(v, i);
      if (n == 0 || is_fold(v, i, n)) {
        i += n == 0 ? 1 : n;
        continue;
      }
      h.bare_line_break = true;
      pieces.push_back(v.substr(start, i - start));
      i += n;
      start = i;
    }
    if (!h.bare_line_break) continue;
    pieces.push_back(v.substr(start));
    const size_t first_hidden = hidden_.size();
    std::string split;  // the carrier's own value under this reading, raw until the end
    for (size_t p = 0; p < pieces.size(); ++p) {
      std::string_view piece = pieces[p];
      size_t colon = 0, name_end = p == 0 ? 0 : field_name_end(piece, colon);
      if (p == 0 || (!piece.empty() && is_wsp(piece[0]))) {  // continues the current field
        (hidden_.size() > first_hidden ? hidden_.back().value : split).append(piece);
      } else if (name_end > 0) {
        hidden_.push_back(
            {std::string(piece.substr(0, name_end)), std::string(piece.substr(colon + 1)), idx});
      } else {
        break;  // neither: that reader's header block ends here
      }
    }
    for (size_t k = first_hidden; k < hidden_.size(); ++k)
      hidden_[k].value = unfold(hidden_[k].value);
    h.split_value = unfold(split);
  }
}

bool Message::bare_line_breaks() const {
  return std::any_of(headers_.begin(), headers_.end(),
                     [](const HeaderField& h) { return h.bare_line_break; });
}

const HeaderField* Message::find(std::string_view name) const {
  for (const auto& h : headers_)
    if (iequals(h.name, name)) return &h;
  return nullptr;
}

std::vector<const HeaderField*> Message::find_all(std::string_view name) const {
  std::vector<const HeaderField*> out;
  for (const auto& h : headers_)
    if (iequals(h.name, name)) out.push_back(&h);
  return out;
}

size_t Message::count(std::string_view name) const {
  return static_cast<size_t>(
      std::count_if(headers_.begin(), headers_.end(),
                    [&](const HeaderField& h) { return iequals(h.name, name); }));
}

void MessageBuilder::append(std::string_view bytes) {
  // Count every byte the MTA sent (after line-end canonicalisation), store up to the limit.
  // The bytes go over in runs: a CR is put in only before a bare LF.
  auto put = [&](std::string_view piece) {
    total_ += piece.size();
    if (raw_.size() < max_bytes_) raw_.append(piece.substr(0, max_bytes_ - raw_.size()));
  };
  size_t start = 0;
  for (size_t nl = bytes.find('\n'); nl != std::string_view::npos; nl = bytes.find('\n', nl + 1)) {
    bool cr_before = nl > 0 ? bytes[nl - 1] == '\r' : pending_cr_;
    if (cr_before) continue;
    put(bytes.substr(start, nl - start));
    put("\r");
    start = nl;  // the LF opens the next run
  }
  put(bytes.substr(start));
  if (!bytes.empty()) pending_cr_ = bytes.back() == '\r';
}

void MessageBuilder::add_header(std::string_view name, std::string_view value) {
  ++header_count_;
  size_t name_length = name.size();  // in the canonical stream: a bare LF in it gains a CR
  for (size_t i = 0; i < name.size(); ++i)
    if (name[i] == '\n' && (i == 0 ? !pending_cr_ : name[i - 1] != '\r')) ++name_length;
  size_t offset = total_;
  std::string field;
  field.reserve(name.size() + value.size() + 4);
  field.append(name);
  field.append(": ");
  field.append(value);
  field.append("\r\n");
  append(field);
  fields_.push_back({offset, name_length, total_ - offset});
}

void MessageBuilder::end_headers() {
  if (headers_ended_) return;
  headers_ended_ = true;
  append("\r\n");
  body_offset_ = total_;
}

void MessageBuilder::add_body(std::string_view chunk) {
  end_headers();
  append(chunk);
}

Message MessageBuilder::finish() {
  end_headers();
  bool truncated = total_ > raw_.size();
  Message m(std::move(raw_), std::move(fields_), body_offset_, total_, truncated);
  raw_.clear();
  fields_.clear();
  body_offset_ = 0;
  total_ = 0;
  header_count_ = 0;
  headers_ended_ = false;
  pending_cr_ = false;
  return m;
}

void split_raw_message(std::string_view raw,
                       const std::function<void(std::string_view, std::string_view)>& on_header,
                       const std::function<void(std::string_view)>& on_body) {
  Message parsed{std::string(raw)};
  for (const auto& h : parsed.headers()) {
    std::string_view v = parsed.raw_value(h);
    while (!v.empty() && is_wsp(v.front())) v.remove_prefix(1);  // the MTA strips the leading space
    on_header(h.name, v);
  }
  on_body(parsed.body());
}

Message build_message(std::string_view raw, size_t max_bytes) {
  MessageBuilder b(max_bytes);
  split_raw_message(
      raw, [&](std::string_view n, std::string_view v) { b.add_header(n, v); },
      [&](std::string_view x) { b.add_body(x); });
  return b.finish();
}

}  // namespace postern::core
