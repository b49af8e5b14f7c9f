// [state] of postern.toml (lib/state/config.hpp): what it accepts, its errors at
// file:line:column, and the "state" service it makes, kept across reloads
// unless [state] changes.
#include <catch2/catch.hpp>

#include "backends.hpp"
#include "scan/registry.hpp"
#include "scan/snapshot.hpp"
#include "state/config.hpp"
#include "support/expect_error.hpp"

using postern::state::Backend;
using postern::state::StateConfig;

TEST_CASE("[state] selects the backend and its settings", "[state][config]") {
  postern::test::TempDir d;
  struct Row {
    std::string text;
    Backend backend;
    std::string path, url, prefix;
    int64_t timeout_ms;
  };
  const std::vector<Row> rows{
      {"[state]\n", Backend::Sqlite, "", "", "postern:", 500},
      {"[state]\nbackend = \"sqlite\"\npath = \"var/state.db\"\ntimeout_ms = 2000\n",
       Backend::Sqlite, d.str() + "/var/state.db", "", "postern:", 2000},
      {"[state]\npath = \"/abs/state.db\"\n", Backend::Sqlite, "/abs/state.db", "",
       "postern:", 500},
      {"[state]\nbackend = \"redis\"\nurl = \"tcp://10.0.0.5:6379/3\"\nprefix = \"mx:\"\n",
       Backend::Redis, "", "tcp://10.0.0.5:6379/3", "mx:", 500},
      {"[state]\nbackend = \"redis\"\nurl = \"unix:/run/redis/redis.sock\"\ntimeout_ms = 100\n",
       Backend::Redis, "", "unix:/run/redis/redis.sock", "postern:", 100},
  };
  for (const auto& r : rows) {
    INFO(r.text);
    auto c = postern::scan::load_config(d.write("postern.toml", r.text), false);
    if (!c) FAIL(postern::policy::to_string(c.error()));
    const StateConfig& st = postern::state::state_config(*c);
    CHECK(st.backend == r.backend);
    CHECK(st.path == r.path);
    CHECK(st.url == r.url);
    CHECK(st.prefix == r.prefix);
    CHECK(st.timeout_ms == r.timeout_ms);
  }
}

TEST_CASE("[state] mistakes are errors at their position", "[state][config]") {
  postern::test::TempDir d;
  struct Row {
    std::string text;
    uint32_t line, column;
    std::string contains;
  };
  const std::vector<Row> rows{
      {"[state]\nbackend = \"mysql\"\n", 2, 11, "\"sqlite\" or \"redis\""},
      {"[state]\nbackend = \"redis\"\nurl = \"redis://x\"\n", 3, 7, "tcp://host:port/db"},
      {"[state]\nbackend = \"redis\"\nurl = \"tcp://x:70000\"\n", 3, 7, "port"},
      {"[state]\nbackend = \"redis\"\n", 1, 1, "needs url"},
      {"[state]\nurl = \"tcp://127.0.0.1:6379\"\n", 2, 7, "for backend = \"redis\""},
      {"[state]\nbackend = \"redis\"\nurl = \"tcp://h\"\npath = \"x.db\"\n", 4, 8,
       "for backend = \"sqlite\""},
      {"[state]\ntimeout_ms = 0\n", 2, 14, "timeout_ms"},
      {"[state]\nprefix = \"has space\"\n", 2, 10, "printable"},
      // The old history file: the history lives in the store now.
      {"[state]\nsender_history = \"/var/lib/postern/senders\"\n", 2, 18,
       "kept in the state store"},
      {"[state]\nsender_histroy = \"x\"\n", 2, 1, "sender_histroy"},
  };
  for (const auto& r : rows) {
    INFO(r.text);
    const std::string path = d.write("postern.toml", r.text);
    auto c = postern::scan::load_config(path, false);
    REQUIRE_FALSE(c);
    postern::test::check_single_error(c.error(), {path, r.line, r.column, r.contains});
  }
}

TEST_CASE("the state service is kept across reloads until [state] changes",
          "[state][config][services]") {
  postern::test::TempDir d;
  d.write("policies/10-local.toml", "[inbound]\ntag = 4\n");
  auto config = [&](const std::string& state, const std::string& policy_tag) {
    d.write("policies/10-local.toml", "[inbound]\ntag = " + policy_tag + "\n");
    return d.write("postern.toml",
                   "[policy]\ndirs = [\"" + d.str() + "/policies\"]\n[state]\n" + state);
  };
  postern::scan::Services services;
  auto load = [&](const std::string& path) -> const void* {
    auto s = postern::scan::load_snapshot(path, false, &services);
    if (!s) FAIL(postern::policy::to_string(s.error()));
    return (*s)->services->get<void>(postern::state::kStateService).get();
  };
  const std::string sqlite = "path = \"" + d.str() + "/state.db\"\n";
  const void* first = load(config(sqlite, "4"));
  REQUIRE(first);
  struct Row {
    std::string what, state, tag;
    bool remade;
  };
  auto& redis = postern::test::shared_redis();
  const std::vector<Row> rows{
      {"nothing changed", sqlite, "4", false},
      {"a policy edit", sqlite, "5", false},
      {"another file", "path = \"" + d.str() + "/other.db\"\n", "5", true},
      {"the same again", "path = \"" + d.str() + "/other.db\"\n", "6", false},
      {"redis", "backend = \"redis\"\nurl = \"" + redis.url() + "\"\n", "6", true},
      {"redis, a policy edit", "backend = \"redis\"\nurl = \"" + redis.url() + "\"\n", "7", false},
      {"another prefix", "backend = \"redis\"\nurl = \"" + redis.url() + "\"\nprefix = \"b:\"\n",
       "7", true},
  };
  const void* current = first;
  for (const auto& r : rows) {
    INFO(r.what);
    const void* now = load(config(r.state, r.tag));
    REQUIRE(now);
    CHECK((now != current) == r.remade);
    current = now;
  }
}
