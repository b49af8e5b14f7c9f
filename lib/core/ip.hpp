// IP addresses and CIDR networks (IPv4 and IPv6).
//
// Contract: pure value types; parsing returns nullopt on bad input. An
// IPv4-mapped IPv6 address (::ffff:192.0.2.1) is treated as the IPv4 address,
// so a v4 network matches a client that an MTA reports in mapped form.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace postern::core {

struct IpAddress {
  bool v6 = false;
  std::array<uint8_t, 16> bytes{};  // v4 uses the first 4
  static std::optional<IpAddress> parse(std::string_view s);
  std::string to_string() const;
  bool operator==(const IpAddress&) const = default;
};

struct Cidr {
  IpAddress network;
  int prefix = 0;
  // "192.0.2.0/24", "2001:db8::/32", or a single address ("/32" or "/128" implied).
  static std::optional<Cidr> parse(std::string_view s);
  bool contains(const IpAddress& a) const;
};

}  // namespace postern::core
