// Little-endian field readers and ASCII case helpers shared by the Office, RTF
// and OneNote parsers. Callers check bounds first: every reader reads exactly
// the bytes it names at `at`. Header-only, constexpr-free, thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace postern::attach::le {

inline uint16_t u16(std::string_view d, size_t at) {
  return static_cast<uint16_t>(static_cast<unsigned char>(d[at]) |
                               static_cast<unsigned char>(d[at + 1]) << 8);
}
inline uint32_t u32(std::string_view d, size_t at) {
  return static_cast<uint32_t>(u16(d, at)) | static_cast<uint32_t>(u16(d, at + 2)) << 16;
}
inline uint64_t u64(std::string_view d, size_t at) {
  return static_cast<uint64_t>(u32(d, at)) | static_cast<uint64_t>(u32(d, at + 4)) << 32;
}

inline char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c;
}

inline std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

// True when `s` starts with `lower_prefix` (given in lower case), ignoring ASCII case.
inline bool istarts(std::string_view s, std::string_view lower_prefix) {
  if (s.size() < lower_prefix.size()) return false;
  for (size_t i = 0; i < lower_prefix.size(); ++i)
    if (ascii_lower(s[i]) != lower_prefix[i]) return false;
  return true;
}

inline bool iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

}  // namespace postern::attach::le
