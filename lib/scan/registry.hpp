// Registry: every finding symbol postern knows, gathered from the folders'
// tables (lib/<folder>/symbols.cpp), and the policy checks that use it.
//
// Contract: `builtin_symbols()` is built once (thread-safe static) and sorted
// by name. `policy_symbols(p)` are the symbols a policy defines itself (its
// lists, DNSBL zones and return codes). `check_symbols(p)` returns one error
// per rule or score that names a symbol in neither, at its file:line:column,
// with the nearest known name. Pure functions otherwise.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"
#include "core/symbols.hpp"
#include "policy/policy.hpp"

namespace postern::scan {

const std::vector<core::SymbolInfo>& builtin_symbols();
const core::SymbolInfo* find_builtin_symbol(std::string_view name);

// What a policy defines: each list's symbol (its scope from the list's match),
// each DNSBL zone's and return code's. Descriptions name the list or zone.
struct DefinedSymbol {
  std::string name;
  double score = 0;
  core::Scope scope = core::Scope::Transaction;
  std::string description;
};
std::vector<DefinedSymbol> policy_symbols(const policy::Policy& p);

policy::Errors check_symbols(const policy::Policy& p);

// policy::load_policy, then check_symbols: what the daemon, `postern policy
// check` and `postern scan --policy-dir` load, so a typo is refused everywhere.
postern::expected<policy::Policy, policy::Errors> load_checked_policy(
    const std::vector<std::string>& dirs);

// The known name closest to `name` (edit distance), "" when none is close.
std::string nearest_symbol(std::string_view name, const std::vector<std::string>& known);

}  // namespace postern::scan
