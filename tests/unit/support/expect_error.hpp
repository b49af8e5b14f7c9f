// Test helpers for policy and config errors: "this load fails with exactly this error".
//
// Contract: test-only; include after <catch2/catch.hpp>. `check_policy_errors` runs a
// table of policy texts that must each fail with exactly one error.
#pragma once

#include <string>
#include <vector>

#include "policy/error.hpp"
#include "policy/policy.hpp"

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

// One policy text that must fail, with the one error it must give (file "p.toml").
struct PolicyErrorRow {
  std::string text;
  uint32_t line;
  uint32_t column;
  std::string contains;
};

// Checks that each row's text, parsed as one policy file "p.toml", fails with exactly its error.
inline void check_policy_errors(const std::vector<PolicyErrorRow>& rows) {
  for (const auto& r : rows) {
    CAPTURE(r.text);
    auto p = policy::parse_policy(r.text, "p.toml");
    REQUIRE_FALSE(p);
    check_single_error(p.error(), {"p.toml", r.line, r.column, r.contains});
  }
}

}  // namespace postern::test
