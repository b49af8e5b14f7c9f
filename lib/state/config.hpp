// StateConfig: postern.toml's [state], which Store (state/store.hpp) the daemon
// keeps what it learns in, and the "state" service that holds it.
//
// Contract: `read_state_config` is the [state] config reader (registered by
// lib/state): `backend` "sqlite" (default) or "redis"; `path`, the SQLite file
// (relative to the config file's directory; "" = no state store); `url`, the
// Redis server (tcp://host:port/db or unix:/path; required with redis);
// `prefix` of every Redis key (default "postern:"); `timeout_ms` (1..60000,
// default 500: Redis connect and command timeout, SQLite busy timeout). A key
// of the other backend, a bad url or value, an unknown key, and the retired
// `sender_history` (the history lives in the store now) are errors at
// file:line:column. `sqlite_path(c)` is the file to open: the one written in
// [state]; without it, kDefaultStatePath when its directory exists and is
// writable (the package creates /var/lib/postern for the daemon's user), else ""
// (no store: e.g. `postern scan` run by another user). `open_store(c)` opens
// the store the config names (null when none; an error is one line naming the
// [state] key). Pure, except open_store.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/expected.hpp"

namespace postern::policy {
struct Config;
class TomlSection;
}  // namespace postern::policy

namespace postern::state {

class Store;

inline constexpr const char* kDefaultStatePath = "/var/lib/postern/state.db";
inline constexpr std::string_view kStateService = "state";

enum class Backend { Sqlite, Redis };

struct StateConfig {
  static constexpr std::string_view kSection = "state";
  Backend backend = Backend::Sqlite;
  std::string path;       // as resolved; "" = none
  bool path_set = false;  // written in [state] (else the default applies)
  std::string url;
  std::string prefix = "postern:";
  int64_t timeout_ms = 500;
  bool operator==(const StateConfig&) const = default;
};

void read_state_config(policy::TomlSection& s, policy::Config& c, const std::string& dir);
const StateConfig& state_config(const policy::Config& c);
std::string sqlite_path(const policy::Config& c);
postern::expected<std::shared_ptr<Store>, std::string> open_store(const policy::Config& c);

}  // namespace postern::state
