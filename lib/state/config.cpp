// [state] of postern.toml and the store it names (see config.hpp).
#include "state/config.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>

#include "policy/config.hpp"
#include "policy/toml_reader.hpp"
#include "state/redis_store.hpp"
#include "state/sqlite_store.hpp"

namespace postern::state {

void read_state_config(policy::TomlSection& s, policy::Config& c, const std::string& dir) {
  StateConfig st;
  if (const toml::node* n = s.node("sender_history"))
    s.error(*n,
            "'sender_history' in [state]: the sender history is kept in the state store now "
            "([state] backend and path or url); remove this key");
  if (auto v = s.string("backend")) {
    if (*v == "sqlite")
      st.backend = Backend::Sqlite;
    else if (*v == "redis")
      st.backend = Backend::Redis;
    else
      s.error(*s.node("backend"),
              fmt::format("'backend' in [state]: \"sqlite\" or \"redis\", not \"{}\"", *v));
  }
  if (auto v = s.string("path")) {
    if (st.backend != Backend::Sqlite)
      s.error(*s.node("path"), "'path' in [state]: the SQLite file, for backend = \"sqlite\"");
    st.path = v->empty() ? "" : policy::resolve_path(dir, *v);
    st.path_set = true;
  }
  if (auto v = s.string("url")) {
    if (st.backend != Backend::Redis)
      s.error(*s.node("url"), "'url' in [state]: the Redis server, for backend = \"redis\"");
    else if (auto a = parse_redis_url(*v); !a)
      s.error(*s.node("url"), "'url' in [state]: " + a.error());
    st.url = *v;
  }
  if (auto v = s.string("prefix")) {
    const bool ok = v->size() <= 64 && std::all_of(v->begin(), v->end(),
                                                   [](char ch) { return ch > ' ' && ch < 0x7f; });
    if (!ok)
      s.error(*s.node("prefix"),
              "'prefix' in [state]: at most 64 printable characters without spaces");
    st.prefix = *v;
  }
  if (auto v = s.integer("timeout_ms", 1, 60000)) st.timeout_ms = *v;
  if (st.backend == Backend::Redis && st.url.empty())
    s.error_here(
        "[state] backend = \"redis\" needs url = \"tcp://host:port/db\" or \"unix:/path\"");
  s.finish();
  c.set_section(std::string(StateConfig::kSection), std::move(st));
}

const StateConfig& state_config(const policy::Config& c) {
  return c.section<StateConfig>(StateConfig::kSection);
}

std::string sqlite_path(const policy::Config& c) {
  const StateConfig& st = state_config(c);
  if (st.path_set) return st.path;
  std::string dir = std::filesystem::path(kDefaultStatePath).parent_path().string();
  return ::access(dir.c_str(), W_OK | X_OK) == 0 ? kDefaultStatePath : "";
}

postern::expected<std::shared_ptr<Store>, std::string> open_store(const policy::Config& c) {
  const StateConfig& st = state_config(c);
  if (st.backend == Backend::Redis) {
    auto r = RedisStore::open(RedisOptions{
        .url = st.url, .prefix = st.prefix, .timeout = std::chrono::milliseconds(st.timeout_ms)});
    if (!r) return postern::unexpected("[state] url: " + r.error().text);
    return std::shared_ptr<Store>(*r);
  }
  const std::string path = sqlite_path(c);
  if (path.empty()) return std::shared_ptr<Store>();
  auto s = SqliteStore::open(
      SqliteOptions{.path = path, .busy_timeout = std::chrono::milliseconds(st.timeout_ms)});
  if (!s) return postern::unexpected("[state] path: " + s.error().text);
  return std::shared_ptr<Store>(*s);
}

}  // namespace postern::state
