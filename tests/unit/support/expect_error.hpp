// Test helpers for policy and config errors: "this load fails with exactly this error".
//
// Contract: test-only; include after <catch2/catch.hpp>.
#pragma once

#include <string>

#include "policy/error.hpp"

namespace postern::test {

struct WantError {
  std::string file;  // full path
  uint32_t line;
  uint32_t column;
  std::string contains;  // a substring of the message
};

// Checks that `errs` holds exactly one error and that it is `want`.
inline void check_single_error(const policy::Errors& errs, const WantError& want) {
  INFO(policy::to_string(errs));
  REQUIRE(errs.size() == 1);
  CHECK(errs[0].file == want.file);
  CHECK(errs[0].line == want.line);
  CHECK(errs[0].column == want.column);
  CHECK(errs[0].message.find(want.contains) != std::string::npos);
  CHECK(errs[0].to_string().rfind(
            want.file + ":" + std::to_string(want.line) + ":" + std::to_string(want.column) + ": ",
            0) == 0);
}

}  // namespace postern::test
