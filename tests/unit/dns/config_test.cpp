// Tests for dns/config.hpp: the [dns] section, read by lib/dns's registered reader.
#include "dns/config.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "scan/registry.hpp"
#include "support/temp_dir.hpp"

using namespace postern;

TEST_CASE("the [dns] section: resolver settings, relative files against the config directory",
          "[config]") {
  test::TempDir d;
  auto none = scan::load_config(d.write("etc/a.toml", "[log]\ntarget = \"stderr\"\n"));
  REQUIRE(none);
  CHECK_FALSE(none->has_section("dns"));
  auto c = scan::load_config(
      d.write("etc/postern.toml",
              "[dns]\nforwarders = [\"192.0.2.53\", \"2001:db8::53@5353\"]\n"
              "trust_anchor = \"/usr/share/dns/root.key\"\nlocal_data = \"dns/local.zone\"\n"
              "timeout_ms = 1500\nmax_queries = 30\n"));
  REQUIRE(c);
  CHECK(c->has_section("dns"));
  CHECK(dns::config_of(*c).forwarders ==
        std::vector<std::string>{"192.0.2.53", "2001:db8::53@5353"});
  CHECK(dns::config_of(*c).trust_anchor == "/usr/share/dns/root.key");
  CHECK(dns::config_of(*c).local_data == (d.path() / "etc/dns/local.zone").string());
  CHECK(dns::config_of(*c).timeout_ms == 1500);
  CHECK(dns::config_of(*c).max_queries == 30);
}

TEST_CASE("a resolver is remade for a resolver setting or file, not for the query budget",
          "[config]") {
  test::TempDir d;
  std::string zone = d.write("local.zone", "local-zone: \"example.\" static\n");
  dns::Config base;
  base.local_data = zone;
  struct Row {
    std::string what;
    void (*edit)(dns::Config&);
    bool changed;
  };
  const std::vector<Row> rows = {
      {"nothing", [](dns::Config&) {}, false},
      {"max_queries", [](dns::Config& c) { c.max_queries = 3; }, false},
      {"timeout_ms", [](dns::Config& c) { c.timeout_ms = 10; }, true},
      {"forwarders", [](dns::Config& c) { c.forwarders = {"192.0.2.1"}; }, true},
      {"trust_anchor", [](dns::Config& c) { c.trust_anchor = "/x"; }, true},
      {"the local data file's mtime", [](dns::Config& c) { c.local_data_mtime += 1; }, true},
  };
  for (const auto& r : rows) {
    CAPTURE(r.what);
    dns::Config edited = base;
    r.edit(edited);
    CHECK(dns::resolver_changed(base, edited) == r.changed);
  }
}
