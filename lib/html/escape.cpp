// HTML escaping (see escape.hpp).
#include "html/escape.hpp"

#include <fmt/format.h>

#include <cstdint>

namespace postern::html {
namespace {

uint32_t next_code_point(std::string_view s, size_t& i) {
  unsigned char c = static_cast<unsigned char>(s[i++]);
  if (c < 0x80) return c;
  size_t n = (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : 3;
  uint32_t cp = c & (0x3f >> n);
  for (size_t k = 0; k < n && i < s.size(); ++k, ++i)
    cp = (cp << 6) | (static_cast<unsigned char>(s[i]) & 0x3f);
  return cp;
}

}  // namespace

std::string escape(std::string_view s, bool ascii_only) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    size_t start = i;
    uint32_t cp = ascii_only ? next_code_point(s, i) : static_cast<unsigned char>(s[i++]);
    switch (cp) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        if (cp < 0x20 || cp == 0x7f)
          out += "&#xFFFD;";
        else if (cp < 0x80 || !ascii_only)
          out.append(s.substr(start, i - start));
        else
          out += fmt::format("&#x{:X};", cp);
    }
  }
  return out;
}

}  // namespace postern::html
