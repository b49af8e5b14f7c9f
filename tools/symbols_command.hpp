// `postern symbols`: every finding symbol, with the score the current policy
// gives it and what it means — what an admin reads before tuning.
//
// Contract: loads the config (a missing default config means the built-in
// defaults, as `postern scan` does) and its policy directories (or
// `policy_dirs`), checked as the daemon checks them. Prints one line per
// symbol: name, effective score (the policy's [scores] entry, else the
// default), "(default N)" when they differ, scope, description; the symbols
// the policy defines (lists, DNSBL zones) follow the built-in ones. `json`
// prints an array of {symbol, score, default, scope, source, description};
// `markdown` prints the README's table of the built-in symbols with their
// default scores. Returns 0, or 1 when the config or policy is bad.
#pragma once

#include <string>
#include <vector>

namespace postern::tools {

struct SymbolsOptions {
  std::string config_path;
  std::vector<std::string> policy_dirs;
  bool json = false;
  bool markdown = false;
};

int run_symbols(const SymbolsOptions& o);

}  // namespace postern::tools
