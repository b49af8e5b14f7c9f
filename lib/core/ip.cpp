// IP and CIDR parsing with inet_pton; prefix matching byte by byte.
#include "core/ip.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace postern::core {

std::optional<IpAddress> IpAddress::parse(std::string_view s) {
  if (s.size() >= 2 && s.front() == '[' && s.back() == ']') s = s.substr(1, s.size() - 2);
  if (s.size() > 5 && (s.substr(0, 5) == "IPv6:" || s.substr(0, 5) == "ipv6:")) s.remove_prefix(5);
  if (s.empty() || s.size() > 64) return std::nullopt;
  std::string z(s);
  IpAddress a;
  if (inet_pton(AF_INET, z.c_str(), a.bytes.data()) == 1) return a;
  if (inet_pton(AF_INET6, z.c_str(), a.bytes.data()) == 1) {
    static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(a.bytes.data(), kMapped, 12) == 0) {
      std::memmove(a.bytes.data(), a.bytes.data() + 12, 4);
      std::memset(a.bytes.data() + 4, 0, 12);
      return a;
    }
    a.v6 = true;
    return a;
  }
  return std::nullopt;
}

std::string IpAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), buf, sizeof buf);
  return buf;
}

std::optional<Cidr> Cidr::parse(std::string_view s) {
  size_t slash = s.find('/');
  auto addr = IpAddress::parse(s.substr(0, slash));
  if (!addr) return std::nullopt;
  int max = addr->v6 ? 128 : 32;
  int prefix = max;
  if (slash != std::string_view::npos) {
    auto p = s.substr(slash + 1);
    auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), prefix);
    if (ec != std::errc{} || ptr != p.data() + p.size() || prefix < 0 || prefix > max)
      return std::nullopt;
  }
  return Cidr{*addr, prefix};
}

bool Cidr::contains(const IpAddress& a) const {
  if (a.v6 != network.v6) return false;
  int full = prefix / 8, rest = prefix % 8;
  if (std::memcmp(a.bytes.data(), network.bytes.data(), static_cast<size_t>(full)) != 0)
    return false;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (a.bytes[full] & mask) == (network.bytes[full] & mask);
}

}  // namespace postern::core
