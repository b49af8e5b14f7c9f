// Reload (SIGHUP): the daemon calls scan::load_snapshot and swaps the result in only
// when it loads; these tests drive that function with hostile policy and config files.
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "scan/snapshot.hpp"
#include "support/expect_error.hpp"
#include "support/temp_dir.hpp"

using namespace postern;

namespace {

std::string dotted(size_t n) {
  std::string s = "a";
  for (size_t i = 1; i < n; ++i) s += ".a";
  return s;
}

}  // namespace

TEST_CASE(
    "a reload with a hostile or non-finite policy or config fails with its position and "
    "leaves the serving snapshot as it was",
    "[reload]") {
  test::TempDir d;
  const std::string good_policy = "[inbound]\ntag = 4\n[scores]\nHEADER_MISSING_DATE = 2\n";
  const std::string policy_path = d.write("policies/10-local.toml", good_policy);
  const std::string good_config = "[policy]\ndirs = [\"" + d.str() + "/policies\"]\n";
  const std::string config_path = d.write("postern.toml", good_config);

  auto serving = scan::load_snapshot(config_path);
  INFO((serving ? std::string() : policy::to_string(serving.error())));
  REQUIRE(serving);
  scan::SnapshotPtr current = *serving;
  REQUIRE(current->policy.inbound.thresholds.tag == 4.0);

  struct Row {
    std::string name;
    bool in_config;  // else in the policy file
    std::string text;
    uint32_t line, column;
    std::string contains;
  };
  const std::vector<Row> rows = {
      {"a policy table header with 40,000 dotted parts", false,
       good_policy + "[" + dotted(40000) + "]\n", 5, 1, "table header with 40000 dotted parts"},
      {"a policy array nested 100,000 deep", false,
       good_policy + "[network]\ninternal_networks = " + std::string(100000, '[') +
           std::string(100000, ']') + "\n",
       6, 53, "nested more than 32 deep"},
      {"a nan score", false, "[scores]\nHEADER_MISSING_DATE = nan\n", 2, 23,
       "score HEADER_MISSING_DATE: expected a finite number, got nan"},
      {"an infinite threshold", false, "[inbound]\nreject = -inf\n", 2, 10,
       "'reject' in [inbound]: expected a finite number, got -inf"},
      {"a config table header with 40,000 dotted parts", true,
       good_config + "[" + dotted(40000) + "]\n", 3, 1, "table header with 40000 dotted parts"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.name);
    std::string path = r.in_config ? config_path : policy_path;
    d.write(r.in_config ? "postern.toml" : "policies/10-local.toml", r.text);
    auto fresh = scan::load_snapshot(config_path);
    REQUIRE_FALSE(fresh);
    test::check_single_error(fresh.error(), {path, r.line, r.column, r.contains});
    // The snapshot in service is untouched; the daemon keeps it (milter/main.cpp).
    CHECK(current->policy.inbound.thresholds.tag == 4.0);
    CHECK(current->policy.score_for("HEADER_MISSING_DATE", 0) == 2.0);
    // Once the files are fixed, the next reload succeeds.
    d.write("policies/10-local.toml", good_policy);
    d.write("postern.toml", good_config);
    auto again = scan::load_snapshot(config_path);
    REQUIRE(again);
    CHECK((*again)->policy.inbound.thresholds.tag == 4.0);
  }
}

TEST_CASE(
    "a reload remakes a service only when its own config changed: a policy-only reload keeps "
    "the resolver, the public suffix list and the DNSBL cache",
    "[reload][services]") {
  test::TempDir d;
  std::string zone = d.write("local.zone", "local-zone: \"example.\" static\n");
  auto config = [&](const std::string& dns) {
    return d.write("postern.toml", "[policy]\ndirs = [\"" + d.str() + "/policies\"]\n" + dns);
  };
  const std::string dns = "[dns]\nforwarders = [\"127.0.0.1@9\"]\nlocal_data = \"" + zone + "\"\n";
  const std::string path = config(dns);
  d.write("policies/10-local.toml", "[inbound]\ntag = 4\n");

  scan::Services services;
  auto first = scan::load_snapshot(path, false, &services);
  INFO((first ? std::string() : policy::to_string(first.error())));
  REQUIRE(first);
  REQUIRE((*first)->resolver() != nullptr);
  struct Ids {
    const void *resolver, *psl, *cache;
  };
  auto ids = [](const scan::SnapshotPtr& s) {
    return Ids{s->services->get<void>("dns.resolver").get(),
               s->services->get<void>("auth.psl").get(),
               s->services->get<void>("reputation.dnsbl_cache").get()};
  };
  Ids before = ids(*first);
  CHECK(before.psl != nullptr);
  CHECK(before.cache != nullptr);

  struct Row {
    std::string name;
    std::string dns;     // the [dns] section after the edit
    std::string policy;  // the policy file after the edit
    bool new_resolver, new_cache;
  };
  const std::vector<Row> rows = {
      {"nothing changed (systemctl reload)", dns, "[inbound]\ntag = 4\n", false, false},
      {"a policy edit", dns, "[inbound]\ntag = 5\n", false, false},
      {"the DNSBL cache size changed", dns, "[inbound]\ntag = 5\n[reputation]\ndnsbl_cache = 7\n",
       false, true},
      {"[dns] timeout_ms changed", dns + "timeout_ms = 700\n",
       "[inbound]\ntag = 5\n[reputation]\ndnsbl_cache = 7\n", true, false},
      {"[dns] max_queries changed (a per-message budget)",
       dns + "timeout_ms = 700\nmax_queries = 9\n",
       "[inbound]\ntag = 6\n[reputation]\ndnsbl_cache = 7\n", false, false},
      {"the local zone file was edited", dns + "timeout_ms = 700\nmax_queries = 9\n",
       "[inbound]\ntag = 6\n[reputation]\ndnsbl_cache = 7\n", true, false},
  };
  scan::SnapshotPtr serving = *first;
  for (const auto& r : rows) {
    CAPTURE(r.name);
    if (r.name.starts_with("the local zone file")) {
      d.write("local.zone", "local-zone: \"example.\" static\nexample. IN A 192.0.2.1\n");
      std::filesystem::last_write_time(
          zone, std::filesystem::last_write_time(zone) + std::chrono::seconds(2));
    }
    config(r.dns);
    d.write("policies/10-local.toml", r.policy);
    Ids was = ids(serving);
    auto fresh = scan::load_snapshot(path, false, &services);
    INFO((fresh ? std::string() : policy::to_string(fresh.error())));
    REQUIRE(fresh);
    Ids now = ids(*fresh);
    CHECK((now.resolver != was.resolver) == r.new_resolver);
    CHECK((now.cache != was.cache) == r.new_cache);
    CHECK(now.psl == was.psl);  // the list's file did not change
    CHECK(now.resolver != nullptr);
    CHECK(services.current()->get<void>("dns.resolver").get() == now.resolver);
    serving = *fresh;
  }
  CHECK(serving->policy.inbound.thresholds.tag == 6.0);

  // A reload that fails leaves the services as they were; one without [dns] drops the resolver.
  const void* kept = ids(serving).resolver;
  config("[dns]\nforwarders = [\"127.0.0.1@9\"]\nlocal_data = \"" + d.str() + "/missing.zone\"\n");
  auto broken = scan::load_snapshot(path, false, &services);
  REQUIRE_FALSE(broken);
  CHECK(policy::to_string(broken.error()).find("missing.zone") != std::string::npos);
  CHECK(services.current()->get<void>("dns.resolver").get() == kept);
  config("");
  auto without = scan::load_snapshot(path, false, &services);
  REQUIRE(without);
  CHECK((*without)->resolver() == nullptr);
  for (auto n : (*without)->pipeline.stage_names()) CHECK(n != "spf");
}
