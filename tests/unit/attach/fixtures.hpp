// Test helpers of unit_attach: fixture files read whole.
#pragma once

#include <fstream>
#include <iterator>
#include <string>

namespace postern::attach::test {

// The bytes of `path` ("" when it cannot be read: the caller WARNs and returns).
inline std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

}  // namespace postern::attach::test
