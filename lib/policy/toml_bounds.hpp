// TOML bounds: a cheap scan of a policy or config file's text before toml++ parses it.
//
// Contract (internal to lib/policy): `check_toml_bounds(text, file)` returns the
// first bound the text breaks, as an Error at its file:line:column (column in
// characters, as toml++ counts), or nullopt. toml++ builds one nested table per
// part of a dotted key and one nested node per array or inline table, and both
// its parser and its destructors recurse on that nesting: 40,000 parts
// overflow the stack. So, before parsing: the text is at most kMaxTomlBytes
// (the error is at the first byte past it); a key or table header has at most kMaxKeyParts
// dotted parts; arrays and inline tables nest at most kMaxValueNesting deep.
// The scan knows TOML's lexical rules (the four string forms, comments, keys
// against values) so it never counts a bracket or a dot inside a string; text
// that is not TOML is left to toml++ to report. Linear time, no recursion, no
// allocation; pure and thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "policy/error.hpp"

namespace postern::policy {

inline constexpr size_t kMaxTomlBytes = 8 * 1024 * 1024;
inline constexpr size_t kMaxKeyParts = 64;
inline constexpr size_t kMaxValueNesting = 32;

std::optional<Error> check_toml_bounds(std::string_view text, const std::string& file);

}  // namespace postern::policy
