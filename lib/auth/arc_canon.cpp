// Tag lists, canonicalization and base64 for ARC (see arc_canon.hpp).
#include "auth/arc_canon.hpp"

#include <array>

namespace postern::auth::arc {
namespace {

bool is_wsp(char c) {
  return c == ' ' || c == '\t';
}
bool is_fws(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}
bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

std::string_view trim_fws(std::string_view s) {
  while (!s.empty() && is_fws(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_fws(s.back())) s.remove_suffix(1);
  return s;
}

// Calls `line(content, has_line_end)` for each line of `body`; CRLF or bare LF end a line.
template <typename F>
void for_each_line(std::string_view body, F&& line) {
  size_t pos = 0;
  while (pos < body.size()) {
    size_t nl = body.find('\n', pos);
    size_t end = nl == std::string_view::npos ? body.size() : nl;
    std::string_view l = body.substr(pos, end - pos);
    if (nl != std::string_view::npos && !l.empty() && l.back() == '\r') l.remove_suffix(1);
    line(l);
    pos = nl == std::string_view::npos ? body.size() : nl + 1;
  }
}

}  // namespace

postern::expected<TagList, std::string> TagList::parse(std::string_view text, size_t max_tags) {
  TagList out;
  size_t pos = 0;
  const size_t n = text.size();
  for (;;) {
    while (pos < n && is_fws(text[pos])) ++pos;
    if (pos == n) break;  // empty list, or a trailing ';'
    if (text[pos] == ';') return postern::unexpected(std::string("empty tag (\";;\")"));
    size_t name_begin = pos;
    if (!is_alpha(text[pos])) return postern::unexpected(std::string("bad tag name"));
    while (pos < n && (is_alpha(text[pos]) || is_digit(text[pos]) || text[pos] == '_')) ++pos;
    std::string name(text.substr(name_begin, pos - name_begin));
    while (pos < n && is_fws(text[pos])) ++pos;
    if (pos == n || text[pos] != '=') return postern::unexpected("tag " + name + ": '=' expected");
    ++pos;
    size_t value_begin = pos;
    size_t value_end = text.find(';', pos);
    if (value_end == std::string_view::npos) value_end = n;
    std::string_view v = trim_fws(text.substr(value_begin, value_end - value_begin));
    for (char c : v) {
      auto u = static_cast<unsigned char>(c);
      if (!is_fws(c) && (u < 0x21 || u > 0x7e))
        return postern::unexpected("tag " + name + ": bad character in value");
    }
    if (out.find(name)) return postern::unexpected("duplicate tag " + name);
    if (out.tags_.size() >= max_tags) return postern::unexpected(std::string("too many tags"));
    out.tags_.push_back(Tag{std::move(name), std::string(v), value_begin, value_end});
    pos = value_end;
    if (pos < n) ++pos;  // the ';'
  }
  return out;
}

const Tag* TagList::find(std::string_view name) const {
  for (const auto& t : tags_)
    if (t.name == name) return &t;
  return nullptr;
}

std::optional<std::string_view> TagList::get(std::string_view name) const {
  const Tag* t = find(name);
  if (!t) return std::nullopt;
  return std::string_view(t->value);
}

std::optional<CanonPair> parse_canon(std::string_view c) {
  auto one = [](std::string_view s) -> std::optional<Canon> {
    if (s == "simple") return Canon::Simple;
    if (s == "relaxed") return Canon::Relaxed;
    return std::nullopt;
  };
  size_t slash = c.find('/');
  auto h = one(c.substr(0, slash));
  if (!h) return std::nullopt;
  CanonPair p{*h, Canon::Simple};
  if (slash != std::string_view::npos) {
    auto b = one(c.substr(slash + 1));
    if (!b) return std::nullopt;
    p.body = *b;
  }
  return p;
}

std::string relaxed_value(std::string_view raw_value) {
  std::string out;
  out.reserve(raw_value.size());
  bool in_wsp = false;
  for (char c : raw_value) {
    if (c == '\r' || c == '\n') continue;
    if (is_wsp(c)) {
      in_wsp = true;
      continue;
    }
    if (in_wsp && !out.empty()) out.push_back(' ');
    in_wsp = false;
    out.push_back(c);
  }
  return out;
}

std::string canon_header(Canon c, std::string_view name, std::string_view raw_value,
                         std::string_view raw_field) {
  if (c == Canon::Simple) {
    std::string out(raw_field);
    if (out.size() >= 2 && out.ends_with("\r\n")) return out;
    if (!out.empty() && out.back() == '\n') out.pop_back();
    out += "\r\n";
    return out;
  }
  std::string out;
  out.reserve(name.size() + raw_value.size() + 3);
  for (char ch : name) out.push_back((ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch + 32) : ch);
  while (!out.empty() && is_wsp(out.back())) out.pop_back();
  out.push_back(':');
  out += relaxed_value(raw_value);
  out += "\r\n";
  return out;
}

std::string canon_body(Canon c, std::string_view body) {
  std::string out;
  out.reserve(body.size() + 2);
  size_t keep = 0;  // length of `out` up to the last non-empty line
  for_each_line(body, [&](std::string_view line) {
    size_t before = out.size();
    if (c == Canon::Simple) {
      out += line;
    } else {
      bool in_wsp = false;
      for (char ch : line) {
        if (is_wsp(ch)) {
          in_wsp = true;
          continue;
        }
        if (in_wsp) out.push_back(' ');
        in_wsp = false;
        out.push_back(ch);
      }
    }
    bool empty = out.size() == before;
    out += "\r\n";
    if (!empty) keep = out.size();
  });
  out.resize(keep);
  if (c == Canon::Simple && out.empty()) out = "\r\n";
  return out;
}

std::string strip_b_value(std::string_view raw_value, const TagList& tags) {
  const Tag* b = tags.find("b");
  if (!b) return std::string(raw_value);
  std::string out(raw_value.substr(0, b->value_begin));
  out += raw_value.substr(b->value_end);
  return out;
}

std::optional<std::string> base64_decode(std::string_view in) {
  static const std::array<int8_t, 256> table = [] {
    std::array<int8_t, 256> t{};
    t.fill(-1);
    const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(a[i])] = static_cast<int8_t>(i);
    return t;
  }();
  std::string out;
  out.reserve(in.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  size_t chars = 0;
  size_t pad = 0;
  for (char c : in) {
    if (is_fws(c)) continue;
    if (c == '=') {
      ++pad;
      continue;
    }
    if (pad > 0) return std::nullopt;  // data after padding
    int v = table[static_cast<unsigned char>(c)];
    if (v < 0) return std::nullopt;
    ++chars;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  if (pad > 2 || chars % 4 == 1 || (pad > 0 && (chars + pad) % 4 != 0)) return std::nullopt;
  return out;
}

std::string base64_encode(std::string_view in) {
  static const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (static_cast<unsigned char>(in[i]) << 16) |
                 (static_cast<unsigned char>(in[i + 1]) << 8) |
                 static_cast<unsigned char>(in[i + 2]);
    out += a[(v >> 18) & 63];
    out += a[(v >> 12) & 63];
    out += a[(v >> 6) & 63];
    out += a[v & 63];
  }
  if (i + 1 == in.size()) {
    uint32_t v = static_cast<unsigned char>(in[i]) << 16;
    out += a[(v >> 18) & 63];
    out += a[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    uint32_t v =
        (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out += a[(v >> 18) & 63];
    out += a[(v >> 12) & 63];
    out += a[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

bool valid_domain(std::string_view d) {
  if (d.empty() || d.size() > 253) return false;
  size_t pos = 0;
  while (pos <= d.size()) {
    size_t dot = d.find('.', pos);
    if (dot == std::string_view::npos) dot = d.size();
    std::string_view label = d.substr(pos, dot - pos);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-')
      return false;
    for (char c : label)
      if (!is_alpha(c) && !is_digit(c) && c != '-') return false;
    pos = dot + 1;
  }
  return true;
}

}  // namespace postern::auth::arc
