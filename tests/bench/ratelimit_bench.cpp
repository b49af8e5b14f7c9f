// ratelimit_bench: the per-message CPU cost of the metrics and of rate limits,
// side by side with the whole scan of the same message. Outbound messages from
// one SASL user (a 2 KiB text message, the shipped policies, no DNS) through
// scan::Session, measured in this thread's CPU time (what the milter's
// connection thread spends; a redis-server's own CPU is its process's, shown
// by the wall time):
//   baseline     no rate limit rule (the shipped one disabled)
//   +1 sqlite    one rule (sasl, messages) on a SQLite store
//   +3 sqlite    three rules (sasl, sender, rcpt_domain by recipients)
//   +1 redis     one rule on a real redis-server on loopback
//   +3 redis
// and the metrics alone: what Session adds per message (one message count, 10
// findings, 16 stage times) — measured by calling the same functions.
//
//   build/tests/bench/ratelimit_bench [--messages N]   (default 3000 per row)
#include <fmt/format.h>

#include <chrono>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "policy/policy.hpp"
#include "scan/registry.hpp"
#include "scan/session.hpp"
#include "scan/snapshot.hpp"
#include "state/config.hpp"
#include "state/redis_store.hpp"
#include "state/sqlite_store.hpp"
#include "support/redis_server.hpp"
#include "support/temp_dir.hpp"
#include "telemetry/metrics.hpp"

using namespace postern;

namespace {

double thread_cpu() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

scan::SnapshotPtr snapshot(const test::TempDir& d, const std::string& name,
                           std::shared_ptr<state::Store> store, const std::string& rules) {
  d.write(name + "/90-bench.toml", "[ratelimit.sasl_recipients]\nenabled = false\n" + rules);
  auto pol = policy::load_policy({POSTERN_SOURCE_DIR "/policies", d.str() + "/" + name},
                                 scan::policy_sections());
  if (!pol) throw std::runtime_error(policy::to_string(pol.error()));
  auto services = std::make_shared<core::ServiceSet>();
  services->put(std::string(state::kStateService), std::move(store));
  return scan::make_snapshot(policy::Config{}, *pol, services);
}

struct Measure {
  double cpu_ms = 0, wall_ms = 0;  // per message
};

Measure run(const scan::SnapshotPtr& snap, int n) {
  std::string body;
  for (int i = 0; i < 30; ++i)
    body += "The quarterly figures are attached to the shared folder as before, see you.\r\n";
  const double c0 = thread_cpu();
  const auto w0 = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) {
    scan::Session s([&] { return snap; }, nullptr);
    s.connection().client_address = "198.51.100.7";
    s.connection().sasl_user = "user" + std::to_string(i % 50) + "@example.com";
    s.connect();
    s.helo("laptop.example.com");
    s.mail_from("<user" + std::to_string(i % 50) + "@example.com>");
    s.rcpt("<a@example.net>");
    s.rcpt("<b@example.org>");
    s.header("From", "User <user@example.com>");
    s.header("To", "a@example.net, b@example.org");
    s.header("Subject", "figures");
    s.header("Date", "Thu, 26 Nov 2026 10:00:00 +0000");
    s.header("Message-ID", fmt::format("<{}@example.com>", i));
    s.body(body);
    s.end_of_message("Q");
  }
  Measure m;
  m.cpu_ms = (thread_cpu() - c0) * 1000 / n;
  m.wall_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - w0).count() / n;
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  int n = 3000;
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], "--messages") == 0) n = std::max(1, std::atoi(argv[i + 1]));
  test::TempDir dir;
  test::RedisServer redis;
  auto sqlite = state::SqliteStore::open(state::SqliteOptions{.path = dir.str() + "/state.db"});
  auto rs = state::RedisStore::open(state::RedisOptions{.url = redis.url()});
  if (!sqlite || !rs) {
    fmt::print(stderr, "ratelimit_bench: cannot open the stores\n");
    return 1;
  }
  // Limits far above what the run sends: every message is checked and counted.
  const std::string one = "[ratelimit.b1]\nkey = \"sasl\"\nlimit = 1000000\nwindow = \"1h\"\n";
  const std::string three =
      one +
      "[ratelimit.b2]\nkey = \"sender\"\nlimit = 1000000\nwindow = \"1d\"\n"
      "[ratelimit.b3]\nkey = \"rcpt_domain\"\ncount = \"recipients\"\ndirection = \"outbound\"\n"
      "limit = 1000000\nwindow = \"10m\"\n";
  struct Row {
    const char* name;
    scan::SnapshotPtr snap;
  };
  const std::vector<Row> rows{
      {"baseline (no rate limit)", snapshot(dir, "p0", *sqlite, "")},
      {"+1 rule, SQLite", snapshot(dir, "p1", *sqlite, one)},
      {"+3 rules, SQLite", snapshot(dir, "p2", *sqlite, three)},
      {"+1 rule, Redis", snapshot(dir, "p3", *rs, one)},
      {"+3 rules, Redis", snapshot(dir, "p4", *rs, three)},
  };
  run(rows[0].snap, std::min(n, 300));  // warm up
  fmt::print("{} messages per row (outbound, SASL, 2 recipients, 2.4 KiB)\n\n", n);
  fmt::print("| {:<26} | {:>12} | {:>8} | {:>13} |\n", "row", "CPU ms/msg", "ratio", "wall ms/msg");
  fmt::print("|{:-<28}|{:->14}|{:->10}|{:->15}|\n", "", "", "", "");
  double base = 0;
  for (const auto& r : rows) {
    Measure m = run(r.snap, n);
    if (base == 0) base = m.cpu_ms;
    fmt::print("| {:<26} | {:>12.4f} | {:>8.3f} | {:>13.4f} |\n", r.name, m.cpu_ms, m.cpu_ms / base,
               m.wall_ms);
  }
  // The metrics Session records per message, alone.
  namespace mx = telemetry::metrics;
  const char* symbols[] = {"SPF_NONE",  "DKIM_NONE",      "DMARC_NONE",        "HEADER_NO_LIST",
                           "URL_COUNT", "CLASSIFIER_HAM", "BEC_FIRST_CONTACT", "RULE_A",
                           "RULE_B",    "HTML_ONLY"};
  const char* stages[] = {"limits",     "lists",      "spf", "ratelimit", "header_sanity", "mime",
                          "attach",     "dkim",       "arc", "dmarc",     "url",           "rules",
                          "heuristics", "classifier", "bec", "composites"};
  const int m = n * 20;
  const double c0 = thread_cpu();
  for (int i = 0; i < m; ++i) {
    mx::count_message("accept", "outbound", "default");
    for (const char* s : symbols) mx::count_finding(s);
    for (const char* s : stages) mx::observe_stage(s, 0.0001 * (i % 7));
  }
  const double metrics_ms = (thread_cpu() - c0) * 1000 / m;
  fmt::print("| {:<26} | {:>12.4f} | {:>8.3f} | {:>13} |\n", "metrics alone (per msg)", metrics_ms,
             metrics_ms / base, "-");
  return 0;
}
