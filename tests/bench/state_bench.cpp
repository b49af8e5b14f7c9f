// state_bench: operations per second of the two state backends (lib/state),
// side by side in one run: counter adds (hit), key/value put and get, with 1 and
// 2 threads. SQLite is a WAL file in a temp dir; Redis is a real redis-server
// started on a free loopback port (tests/unit/support/redis_server.hpp).
//
//   build/tests/bench/state_bench [--ops N]     (default 20000 per thread and row)
#include <fmt/format.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "state/redis_store.hpp"
#include "state/sqlite_store.hpp"
#include "support/redis_server.hpp"
#include "support/temp_dir.hpp"

using namespace postern;
using namespace std::chrono_literals;

namespace {

// ops/s of `threads` threads each running op(thread, i) for i < n; errors counted.
double rate(int threads, int n, const std::function<bool(int, int)>& op, size_t& errors) {
  std::vector<size_t> errs(static_cast<size_t>(threads), 0);
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t)
    ts.emplace_back([&, t] {
      for (int i = 0; i < n; ++i)
        if (!op(t, i)) ++errs[static_cast<size_t>(t)];
    });
  for (auto& t : ts) t.join();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (size_t e : errs) errors += e;
  return threads * n / s;
}

}  // namespace

int main(int argc, char** argv) {
  int ops = 20000;
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], "--ops") == 0) ops = std::max(1, std::atoi(argv[i + 1]));
  test::TempDir dir;
  test::RedisServer redis;
  auto sqlite = state::SqliteStore::open(state::SqliteOptions{.path = dir.str() + "/state.db"});
  auto rs = state::RedisStore::open(state::RedisOptions{.url = redis.url()});
  if (!sqlite || !rs) {
    fmt::print(stderr, "state_bench: cannot open the stores\n");
    return 1;
  }
  std::vector<std::pair<std::string, std::shared_ptr<state::Store>>> stores{{"sqlite", *sqlite},
                                                                            {"redis", *rs}};
  const std::string value(100, 'v');
  struct Row {
    const char* name;
    std::function<bool(state::Store&, int, int)> op;
  };
  const std::vector<Row> rows{
      {"counter add (1 key per thread, window 60 s)",
       [](state::Store& s, int t, int i) {
         return s.hit("rate", "user" + std::to_string(t), 1, 60s, 1000000 + i / 100).has_value();
       }},
      {"kv put (100-byte values, ttl 1 day)",
       [&](state::Store& s, int t, int i) {
         return s.put("kv", fmt::format("k{}-{}", t, i % 5000), value, 86400s).has_value();
       }},
      {"kv get (hits)",
       [](state::Store& s, int t, int i) {
         auto r = s.get("kv", fmt::format("k{}-{}", t, i % 5000));
         return r && r->has_value();
       }},
  };
  fmt::print("state_bench: {} ops per thread and row\n", ops);
  fmt::print("{:<45} {:>8} {:>14} {:>14}\n", "operation", "threads", "sqlite ops/s", "redis ops/s");
  size_t errors = 0;
  for (const auto& r : rows)
    for (int threads : {1, 2}) {
      std::vector<double> rates;
      for (auto& [name, store] : stores)
        rates.push_back(rate(
            threads, ops, [&](int t, int i) { return r.op(*store, t, i); }, errors));
      fmt::print("{:<45} {:>8} {:>14.0f} {:>14.0f}\n", r.name, threads, rates[0], rates[1]);
    }
  fmt::print("errors: {}\n", errors);
  return errors == 0 ? 0 : 1;
}
