// StateConfig: postern.toml's [state], where the daemon keeps what it learns from
// mail between runs (state files are the daemon's, not the policy's).
//
// Contract: `read_state_config` is the [state] config reader (registered by
// lib/reputation): `sender_history` is the sender history file of the BEC
// first-contact check (reputation/sender_history.hpp), relative to the config
// file's directory, "" for none; unknown keys are errors at file:line:column.
// `sender_history_path(c)` is the file to open: the one written in [state];
// without it, kDefaultHistoryPath when its directory exists and is writable
// (the package creates /var/lib/postern for the daemon's user), else "" (no
// first-contact check, e.g. `postern scan` run by another user). Pure.
#pragma once

#include <string>
#include <string_view>

namespace postern::policy {
struct Config;
class TomlSection;
}  // namespace postern::policy

namespace postern::reputation {

inline constexpr const char* kDefaultHistoryPath = "/var/lib/postern/senders";

struct StateConfig {
  static constexpr std::string_view kSection = "state";
  std::string sender_history;       // as resolved; "" = none
  bool sender_history_set = false;  // written in [state] (else the default applies)
};

void read_state_config(policy::TomlSection& s, policy::Config& c, const std::string& dir);

std::string sender_history_path(const policy::Config& c);

}  // namespace postern::reputation
