// quarantine_bench: the latency of one quarantine write (lib/quarantine Store::put:
// the message file written, fsync'd, renamed, the directory fsync'd, then the index
// entry), p50 / p99 / max, for the SQLite and the Redis state store. The files go to
// a temp dir under --dir (default /var/tmp: a disk, not a tmpfs, so fsync costs what
// it costs); every message is distinct (no content-addressed shortcut).
//
//   build/tests/bench/quarantine_bench [--n N] [--size BYTES] [--dir DIR]
//   (defaults: 500 writes of 50 000-byte messages)
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "quarantine/store.hpp"
#include "state/redis_store.hpp"
#include "state/sqlite_store.hpp"
#include "support/redis_server.hpp"

using namespace postern;

int main(int argc, char** argv) {
  int n = 500;
  size_t size = 50000;
  std::string base = "/var/tmp";
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--n") == 0) n = std::max(1, std::atoi(argv[i + 1]));
    if (std::strcmp(argv[i], "--size") == 0) size = std::max(100, std::atoi(argv[i + 1]));
    if (std::strcmp(argv[i], "--dir") == 0) base = argv[i + 1];
  }
  const std::string dir = fmt::format("{}/postern-qbench-{}", base, ::getpid());
  std::filesystem::create_directories(dir);
  test::RedisServer redis;
  auto sqlite = state::SqliteStore::open(state::SqliteOptions{.path = dir + "/state.db"});
  auto rs = state::RedisStore::open(state::RedisOptions{.url = redis.url()});
  if (!sqlite || !rs) {
    fmt::print(stderr, "quarantine_bench: cannot open the stores\n");
    return 1;
  }
  fmt::print("{} writes of {}-byte messages under {}\n", n, size, base);
  fmt::print("| state store | p50 ms | p99 ms | max ms | writes/s |\n|---|---|---|---|---|\n");
  for (auto [name, st] :
       {std::pair<const char*, std::shared_ptr<state::Store>>{"sqlite", *sqlite}, {"redis", *rs}}) {
    quarantine::Store store(dir + "/" + name, st);
    std::string msg = "Subject: bench\r\n\r\n" + std::string(size, 'x');
    std::vector<double> ms;
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < n; ++i) {
      std::string stamp = fmt::format("{:08}", i);
      std::copy(stamp.begin(), stamp.end(), msg.end() - 8);  // every message distinct
      quarantine::Entry e;
      e.time = state::now_seconds();
      e.sender = "alice@sender.example";
      e.recipients = {"bob@feas.test"};
      e.subject = "bench";
      e.symbols = {"LIST_SENDER_QUARANTINE"};
      e.expires = e.time + 86400;
      auto t0 = std::chrono::steady_clock::now();
      auto r = store.put(e, msg);
      ms.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
      if (!r) {
        fmt::print(stderr, "put: {}\n", r.error());
        return 1;
      }
    }
    const double total =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::sort(ms.begin(), ms.end());
    auto pct = [&](double p) { return ms[std::min(ms.size() - 1, size_t(p * ms.size()))]; };
    fmt::print("| {} | {:.2f} | {:.2f} | {:.2f} | {:.0f} |\n", name, pct(0.50), pct(0.99),
               ms.back(), n / total);
  }
  std::filesystem::remove_all(dir);
  return 0;
}
