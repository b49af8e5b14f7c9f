// UTF-8 encoding of one code point, for the readers that decode references and
// UTF-16 (HTML, XML document parts, excerpts, attachment text).
//
// Contract: `append_utf8(out, cp)` appends cp's UTF-8 bytes; the caller decides
// what an invalid code point becomes (surrogates and values above U+10FFFF are
// encoded as given: pass U+FFFD for them). Pure; thread-safe.
#pragma once

#include <cstdint>
#include <string>

namespace postern::core {

inline void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

}  // namespace postern::core
