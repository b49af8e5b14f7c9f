// [state] of postern.toml: the state files' paths (see state_config.hpp).
#include "reputation/state_config.hpp"

#include <unistd.h>

#include <filesystem>

#include "policy/config.hpp"
#include "policy/toml_reader.hpp"

namespace postern::reputation {

void read_state_config(policy::TomlSection& s, policy::Config& c, const std::string& dir) {
  StateConfig st;
  if (auto v = s.string("sender_history")) {
    st.sender_history = policy::resolve_path(dir, *v);
    st.sender_history_set = true;
  }
  s.finish();
  c.set_section(std::string(StateConfig::kSection), std::move(st));
}

std::string sender_history_path(const policy::Config& c) {
  const auto& st = c.section<StateConfig>(StateConfig::kSection);
  if (st.sender_history_set) return st.sender_history;
  std::string dir = std::filesystem::path(kDefaultHistoryPath).parent_path().string();
  return ::access(dir.c_str(), W_OK | X_OK) == 0 ? kDefaultHistoryPath : "";
}

}  // namespace postern::reputation
