// `postern symbols`: the registry's symbols with the policy's scores.
#include "tools/symbols_command.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "policy/config.hpp"
#include "scan/registry.hpp"
#include "scan/verdict_headers.hpp"

namespace postern::tools {

int run_symbols(const SymbolsOptions& o) {
  bool explicit_config = !o.config_path.empty();
  auto cfg = scan::load_config(explicit_config ? o.config_path : policy::kDefaultConfigPath,
                               !explicit_config);
  if (!cfg) {
    for (const auto& e : cfg.error()) fmt::print(stderr, "{}\n", e.to_string());
    return 1;
  }
  std::vector<std::string> dirs = o.policy_dirs.empty() ? cfg->policy_dirs : o.policy_dirs;
  if (o.policy_dirs.empty() && cfg->path.empty())
    std::erase_if(dirs, [](const std::string& d) { return !std::filesystem::is_directory(d); });
  auto pol = scan::load_checked_policy(dirs);
  if (!pol) {
    for (const auto& e : pol.error()) fmt::print(stderr, "{}\n", e.to_string());
    return 1;
  }
  if (o.markdown) {
    fmt::print("| symbol | default score | scope | meaning |\n|---|---|---|---|\n");
    for (const auto& s : scan::builtin_symbols())
      fmt::print("| `{}` | {}{} | {} | {} |\n", s.name, s.graded ? "graded, up to " : "",
                 scan::format_score(s.score), core::to_string(s.scope), s.description);
    return 0;
  }
  nlohmann::json out = nlohmann::json::array();
  auto row = [&](std::string_view name, double def, core::Scope scope, std::string_view source,
                 std::string_view description) {
    double score = pol->score_for(name, def);
    const core::SymbolInfo* info = source == "built-in" ? scan::find_builtin_symbol(name) : nullptr;
    if (o.json) {
      out.push_back({{"symbol", name},
                     {"score", score},
                     {"default", def},
                     {"scope", core::to_string(scope)},
                     {"source", source},
                     {"graded", info != nullptr && info->graded},
                     {"description", description}});
      return;
    }
    std::string shown = scan::format_score(score);
    if (score != def)
      shown += fmt::format(" (default {})", scan::format_score(def));
    else if (info && info->graded)
      shown = "up to " + shown;
    fmt::print("{:<34} {:>16}  {:<11}  {}\n", name, shown, core::to_string(scope), description);
  };
  for (const auto& s : scan::builtin_symbols())
    row(s.name, s.score, s.scope, "built-in", s.description);
  for (const auto& s : scan::policy_symbols(*pol))
    row(s.name, s.score, s.scope, "policy", s.description);
  if (o.json) std::cout << out.dump() << '\n';
  return 0;
}

}  // namespace postern::tools
