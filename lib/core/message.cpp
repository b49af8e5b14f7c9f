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

std::string unfold(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v)
    if (c != '\r' && c != '\n') out.push_back(c);
  return std::string(trim(out));
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
      if (std::any_of(line.begin(), line.end(), [](char c) { return (unsigned char)c >= 0x80; }))
        cur->eight_bit = true;
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
    f.eight_bit =
        std::any_of(line.begin(), line.end(), [](char c) { return (unsigned char)c >= 0x80; });
    headers_.push_back(std::move(f));
    cur = &headers_.back();
    pos = next;
  }
  if (pos >= raw.size() && !blank_line_ && !non_field_line_) body_offset_ = raw.size();
  for (auto& h : headers_) h.value = unfold(raw.substr(h.value_offset, h.value_length));
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
  std::string canon;
  canon.reserve(bytes.size() + 8);
  for (char c : bytes) {
    if (c == '\n' && !pending_cr_) canon.push_back('\r');
    canon.push_back(c);
    pending_cr_ = (c == '\r');
  }
  total_ += canon.size();
  if (raw_.size() < max_bytes_)
    raw_.append(canon, 0, std::min(canon.size(), max_bytes_ - raw_.size()));
}

void MessageBuilder::add_header(std::string_view name, std::string_view value) {
  ++header_count_;
  std::string field;
  field.reserve(name.size() + value.size() + 4);
  field.append(name);
  field.append(": ");
  field.append(value);
  field.append("\r\n");
  append(field);
}

void MessageBuilder::end_headers() {
  if (headers_ended_) return;
  headers_ended_ = true;
  append("\r\n");
}

void MessageBuilder::add_body(std::string_view chunk) {
  end_headers();
  append(chunk);
}

Message MessageBuilder::finish() {
  end_headers();
  bool truncated = total_ > raw_.size();
  Message m(std::move(raw_), total_, truncated);
  raw_.clear();
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

}  // namespace postern::core
