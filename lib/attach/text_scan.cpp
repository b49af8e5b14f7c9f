// Text helpers of lib/attach (see text_scan.hpp).
#include "attach/text_scan.hpp"

#include "core/utf8.hpp"

#include <fmt/format.h>

#include <cstdint>

namespace postern::attach {
namespace {

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c | 0x20) : c;
}

bool iequal_bytes(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

// Length of the valid UTF-8 sequence at s[i] (RFC 3629: no overlongs, no
// surrogates, nothing above U+10FFFF), or 0 when it is not one.
size_t utf8_len(std::string_view s, size_t i) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  if (c < 0x80) return 1;
  size_t n = c >= 0xC2 && c <= 0xDF   ? 2
             : c >= 0xE0 && c <= 0xEF ? 3
             : c >= 0xF0 && c <= 0xF4 ? 4
                                      : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k)
    if ((b(i + k) & 0xC0) != 0x80) return 0;
  if (c == 0xE0 && b(i + 1) < 0xA0) return 0;   // overlong
  if (c == 0xED && b(i + 1) >= 0xA0) return 0;  // surrogate
  if (c == 0xF0 && b(i + 1) < 0x90) return 0;   // overlong
  if (c == 0xF4 && b(i + 1) >= 0x90) return 0;  // above U+10FFFF
  return n;
}

// The code point of "#123" or "#x1F" (the text between & and ;), or -1.
long numeric_ref(std::string_view r) {
  if (r.size() < 2 || r[0] != '#') return -1;
  bool hex = r[1] == 'x' || r[1] == 'X';
  size_t i = hex ? 2 : 1;
  if (i >= r.size() || r.size() - i > 8) return -1;
  long v = 0;
  for (; i < r.size(); ++i) {
    char c = lower(r[i]);
    int d = c >= '0' && c <= '9' ? c - '0' : hex && c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) return -1;
    v = v * (hex ? 16 : 10) + d;
  }
  if (v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return -1;
  return v;
}

}  // namespace

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = lower(c);
  return out;
}

bool iends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && iequal_bytes(s.substr(s.size() - suffix.size()), suffix);
}

bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequal_bytes(s.substr(0, prefix.size()), prefix);
}

std::string_view utf8_prefix(std::string_view s, size_t max) {
  if (s.size() <= max) return s;
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

std::string sanitize_name(std::string_view raw, size_t max, bool& cut) {
  std::string out;
  cut = false;
  for (size_t i = 0; i < raw.size();) {
    size_t n = utf8_len(raw, i);
    unsigned char c = static_cast<unsigned char>(raw[i]);
    std::string piece = n == 0 || c < 0x20 || c == 0x7F ? fmt::format("\\x{:02X}", c)
                                                        : std::string(raw.substr(i, n));
    if (out.size() + piece.size() > max) {
      cut = true;
      break;
    }
    out += piece;
    i += n == 0 ? 1 : n;
  }
  return out;
}

std::string decode_xml(std::string_view in, bool& numeric) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size();) {
    if (in[i] != '&') {
      out += in[i++];
      continue;
    }
    size_t semi = in.find(';', i + 1);
    if (semi == std::string_view::npos || semi - i > 12) {
      out += in[i++];
      continue;
    }
    std::string_view r = in.substr(i + 1, semi - i - 1);
    long cp = numeric_ref(r);
    if (cp > 0) {
      numeric = true;
      core::append_utf8(out, static_cast<uint32_t>(cp));
    } else if (r == "lt") {
      out += '<';
    } else if (r == "gt") {
      out += '>';
    } else if (r == "amp") {
      out += '&';
    } else if (r == "quot") {
      out += '"';
    } else if (r == "apos") {
      out += '\'';
    } else {
      out += in[i++];
      continue;
    }
    i = semi + 1;
  }
  return out;
}

}  // namespace postern::attach
