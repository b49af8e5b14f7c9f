// Tests for core/ip.hpp: IPv4/IPv6 addresses and CIDR networks.
#include "core/ip.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using postern::core::Cidr;
using postern::core::IpAddress;

TEST_CASE("a CIDR network contains exactly the addresses under its prefix", "[ip]") {
  struct Row {
    std::string network;
    std::string address;
    bool contains;
  };
  const std::vector<Row> rows = {
      {"192.0.2.0/24", "192.0.2.77", true},
      {"192.0.2.0/24", "192.0.2.0", true},
      {"192.0.2.0/24", "192.0.2.255", true},
      {"192.0.2.0/24", "192.0.3.1", false},
      {"192.0.2.0/25", "192.0.2.127", true},
      {"192.0.2.0/25", "192.0.2.128", false},
      {"192.0.2.77/24", "192.0.2.1", true},  // host bits in the network are ignored
      {"10.0.0.0/8", "10.255.255.255", true},
      {"10.0.0.0/8", "11.0.0.0", false},
      {"172.16.0.0/12", "172.31.255.255", true},
      {"172.16.0.0/12", "172.32.0.0", false},
      {"0.0.0.0/0", "203.0.113.9", true},
      {"192.0.2.1", "192.0.2.1", true},  // a single address: /32
      {"192.0.2.1", "192.0.2.2", false},
      {"192.0.2.1/32", "192.0.2.1", true},
      {"2001:db8::/32", "2001:db8:ffff::1", true},
      {"2001:db8::/32", "2001:db9::1", false},
      {"2001:db8::/33", "2001:db8:7fff::1", true},
      {"2001:db8::/33", "2001:db8:8000::1", false},
      {"::1/128", "::1", true},
      {"::1", "::2", false},
      {"::/0", "2001:db8::1", true},
      {"2001:DB8::/32", "2001:db8::1", true},
      // IPv4-mapped IPv6 clients are IPv4 clients
      {"192.0.2.0/24", "::ffff:192.0.2.5", true},
      {"192.0.2.0/24", "::FFFF:192.0.2.5", true},
      {"192.0.2.0/24", "::ffff:198.51.100.5", false},
      {"127.0.0.0/8", "::ffff:127.0.0.1", true},
      // families never mix
      {"0.0.0.0/0", "2001:db8::1", false},
      {"::/0", "192.0.2.1", false},
      {"::/0", "::ffff:192.0.2.1", false},
      // forms MTAs use for the client address
      {"2001:db8::/32", "[2001:db8::1]", true},
      {"2001:db8::/32", "IPv6:2001:db8::1", true},
      {"192.0.2.0/24", "[192.0.2.1]", true},
  };
  for (const auto& r : rows) {
    CAPTURE(r.network, r.address);
    auto c = Cidr::parse(r.network);
    auto a = IpAddress::parse(r.address);
    REQUIRE(c);
    REQUIRE(a);
    CHECK(c->contains(*a) == r.contains);
  }
}

TEST_CASE("bad networks and addresses are rejected", "[ip]") {
  const std::vector<std::string> bad_networks = {
      "1.2.3.4/33",
      "2001:db8::/129",
      "1.2.3.4/-1",
      "1.2.3.4/",
      "1.2.3.4/8x",
      "1.2.3.4/ 8",
      "1.2.3.4//8",
      "1.2.3",
      "1.2.3.4.5",
      "256.1.1.1",
      "garbage",
      "",
      "/24",
      "1.2.3.4 /24",
      "::ffff:192.0.2.0/120",  // a mapped address is IPv4: its prefix is at most 32
  };
  for (const auto& s : bad_networks) {
    CAPTURE(s);
    CHECK_FALSE(Cidr::parse(s));
  }
  const std::vector<std::string> bad_addresses = {
      "1.2.3", "1.2.3.4.5",  "256.0.0.1",           "garbage",
      "",      "1.2.3.4/24", "2001:db8::g",         ":::",
      "[]",    "unknown",    std::string(100, '1'),
  };
  for (const auto& s : bad_addresses) {
    CAPTURE(s);
    CHECK_FALSE(IpAddress::parse(s));
  }
}

TEST_CASE("addresses print in their canonical form", "[ip]") {
  const std::vector<std::pair<std::string, std::string>> rows = {
      {"192.0.2.1", "192.0.2.1"},
      {"2001:DB8:0:0:0:0:0:1", "2001:db8::1"},
      {"::ffff:192.0.2.1", "192.0.2.1"},
      {"[::1]", "::1"},
  };
  for (const auto& [in, want] : rows) {
    CAPTURE(in);
    auto a = IpAddress::parse(in);
    REQUIRE(a);
    CHECK(a->to_string() == want);
  }
  CHECK_FALSE(IpAddress::parse("192.0.2.1")->v6);
  CHECK(IpAddress::parse("2001:db8::1")->v6);
  CHECK(*IpAddress::parse("::ffff:192.0.2.1") == *IpAddress::parse("192.0.2.1"));
}
