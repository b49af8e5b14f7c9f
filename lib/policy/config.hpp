// Config: the daemon configuration, /etc/postern/postern.toml.
//
// Contract: `load_config(path, missing_ok, readers)` reads and validates the
// file: the common sections itself, every other section through the reader a
// folder registered for it (core::ConfigSection; scan::load_config passes the
// registry's); every problem is an Error with file:line:column, unknown keys
// and unknown sections included; the file is read
// through the same bounded TOML reader as the policy (policy/toml_bounds,
// finite numbers only). A missing file is an
// error unless `missing_ok` (then built-in defaults apply, as `postern scan`
// does on a machine without /etc/postern). Relative paths in the file resolve
// against the file's directory. The result is an immutable value; reload builds
// a new one. Thread-safe (no shared state).
#pragma once

#include <any>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>
#include "core/expected.hpp"

#include "core/action.hpp"
#include "core/limits.hpp"
#include "core/registration.hpp"
#include "policy/error.hpp"
#include "policy/sections.hpp"

namespace postern::policy {

inline constexpr const char* kDefaultConfigPath = "/etc/postern/postern.toml";

struct Config {
  std::string path;  // the file this came from ("" = built-in defaults)

  // [milter]
  std::string socket = "unix:/var/spool/postfix/postern/postern.sock";
  unsigned socket_mode = 0660;
  std::string socket_group = "postfix";
  std::string user = "postern";
  std::string group = "postern";
  int timeout = 300;  // seconds the MTA may stay silent in a transaction

  // [policy]
  std::vector<std::string> policy_dirs = {"/usr/share/postern/policies", "/etc/postern/policies"};

  // [scan]
  std::string authserv_id;  // "" = this host's name
  core::Action on_error = core::Action::Tempfail;
  std::map<std::string, core::Action, std::less<>> stage_on_error;

  // [limits] (read by lib/limits): every transaction's bounds.
  core::Limits limits;

  // [log]
  std::string log_target = "syslog";  // syslog | stderr
  std::string event_log;              // path, "-" = stdout, "" = off
  std::string event_syslog;           // "FACILITY" or "FACILITY:SOCKET", "" = off

  // The folders' sections ([dns] in lib/dns, [arc] and [dkim] in lib/auth, ...), each
  // read by the reader its folder registers (core/registration.hpp), by name.
  Sections sections;
  bool has_section(std::string_view name) const { return sections.has_section(name); }
  template <class T>
  const T& section(std::string_view name) const {
    return sections.section<T>(name);
  }
  template <class T>
  void set_section(std::string name, T value) {
    sections.set_section(std::move(name), std::move(value));
  }
};

// `path` relative to `base_dir` (the config file's directory); "", "-" and absolute
// paths as they are.
std::string resolve_path(const std::string& base_dir, const std::string& path);

// Reads the common sections ([milter], [policy], [scan], [log]) itself and hands
// each of `readers`' sections ([limits], [dns], [dkim], ...) to its reader; any
// other top-level key is an unknown-key error. scan::load_config passes every
// folder's readers.
postern::expected<Config, Errors> load_config(const std::string& path, bool missing_ok,
                                              std::span<const core::ConfigSection> readers);

}  // namespace postern::policy
