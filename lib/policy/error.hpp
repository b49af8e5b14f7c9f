// Error: a configuration or policy problem with its position.
//
// Contract: every problem postern finds in a file it reads names the file,
// line and column (1-based; 0 when the problem concerns the whole file) and
// what was expected. Loaders collect all problems of a load, not just the first.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace postern::policy {

struct Error {
  std::string file;
  uint32_t line = 0;
  uint32_t column = 0;
  std::string message;

  // "file:line:column: message"
  std::string to_string() const;
};

using Errors = std::vector<Error>;

std::string to_string(const Errors& errs);

}  // namespace postern::policy
