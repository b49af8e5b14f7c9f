// `postern sandbox list|run`: the messages held for the external sandbox.
//
// Contract: loads the config (`config_path`, default /etc/postern/postern.toml)
// and needs its [sandbox] section. `list` prints one line per held message:
// queue id, held since (UTC), scan id, and each file with its cached verdict or
// "waiting". `run` does one release pass now, as the daemon's release worker
// does every [sandbox] interval (sandbox.hpp: passes are serialised across
// processes), and prints what it ended. Run as the daemon's user or root (files
// root creates take the state directory's owner). Returns 0, 1 on a config error
// or, for `run`, when a command failed.
#pragma once

#include <string>

namespace postern::tools {

int run_sandbox(const std::string& config_path, bool run_pass);

}  // namespace postern::tools
