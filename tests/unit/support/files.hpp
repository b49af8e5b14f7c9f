// Test helpers shared by the unit suites: files read whole, reproducible random bytes, hex.
//
// Contract: `slurp(path)` returns the bytes of the file ("" when it cannot be read:
// the caller checks). `random_bytes(n, seed)` returns n bytes from mt19937(seed),
// the same on every run; `hex(bytes)` lower-case hex. Header-only; no state.
#pragma once

#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <string_view>

namespace postern::test {

inline std::string slurp(const std::filesystem::path& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

inline std::string random_bytes(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> byte(0, 255);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(byte(rng));
  return s;
}

// Lower-case hex of every byte.
inline std::string hex(std::string_view bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

}  // namespace postern::test
