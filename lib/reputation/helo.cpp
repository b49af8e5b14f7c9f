// HeloStage: HELO syntax, "claims to be us", and the HELO name against the client address.
#include "reputation/helo.hpp"

#include <ifaddrs.h>
#include <netinet/in.h>

#include <fmt/format.h>
#include <algorithm>
#include <cstring>

#include "core/address.hpp"
#include "dns/transaction_budget.hpp"

namespace postern::reputation {

std::vector<core::IpAddress> host_addresses() {
  std::vector<core::IpAddress> out;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return out;
  for (ifaddrs* i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr) continue;
    core::IpAddress a;
    if (i->ifa_addr->sa_family == AF_INET) {
      const auto* in = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
      std::memcpy(a.bytes.data(), &in->sin_addr, 4);
    } else if (i->ifa_addr->sa_family == AF_INET6) {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(i->ifa_addr);
      std::memcpy(a.bytes.data(), &in6->sin6_addr, 16);
      a.v6 = true;
    } else {
      continue;
    }
    if (std::find(out.begin(), out.end(), a) == out.end()) out.push_back(a);
  }
  freeifaddrs(list);
  return out;
}

namespace {

constexpr size_t kMaxHeloInDetail = 100;

// The HELO for a detail: printable ASCII, bounded.
std::string shown(std::string_view helo) {
  std::string s;
  for (unsigned char c : helo.substr(0, kMaxHeloInDetail))
    s.push_back(c > 0x20 && c < 0x7f ? static_cast<char>(c) : '?');
  if (helo.size() > kMaxHeloInDetail) s += "...";
  return s;
}

std::string without_final_dot(std::string_view s) {
  if (!s.empty() && s.back() == '.') s.remove_suffix(1);
  return core::to_lower(s);
}

}  // namespace

bool HeloStage::is_us(std::string_view name, const core::Transaction& tx) const {
  std::string n = without_final_dot(name);
  if (std::find(options_.our_names.begin(), options_.our_names.end(), n) !=
      options_.our_names.end())
    return true;
  const std::string& mta = tx.connection().mta_name;
  return !mta.empty() && without_final_dot(mta) == n;
}

core::Step HeloStage::on_helo(core::Transaction& tx) const {
  const auto& conn = tx.connection();
  const std::string& helo = conn.helo;
  if (helo.empty() || tx.direction() == core::Direction::Outbound) return core::Step::next();
  auto client = core::IpAddress::parse(conn.client_address);
  static const core::Cidr kLoop4 = *core::Cidr::parse("127.0.0.0/8");
  static const core::Cidr kLoop6 = *core::Cidr::parse("::1/128");
  if (!client || kLoop4.contains(*client) || kLoop6.contains(*client)) return core::Step::next();
  auto add = [&](const char* sym, double score, std::string detail) {
    if (!tx.has_finding(sym)) tx.add_finding(sym, score, std::move(detail));
  };
  const std::string h = shown(helo);

  // An address, bare or as an RFC 5321 literal.
  bool literal = helo.size() > 2 && helo.front() == '[' && helo.back() == ']';
  if (auto ip = core::IpAddress::parse(helo); ip || literal) {
    if (!literal)
      add("HELO_BARE_IP", 1.5, fmt::format("HELO {} is an address without brackets", h));
    if (ip && std::find(options_.our_addresses.begin(), options_.our_addresses.end(), *ip) !=
                  options_.our_addresses.end())
      add("HELO_CLAIMS_US", 3.0, fmt::format("HELO {} is one of our addresses", h));
    else if (!ip)
      add("HELO_NOT_FQDN", 1.0, fmt::format("HELO {} is not a valid address literal", h));
    return core::Step::next();
  }
  if (!core::is_hostname(helo, true)) {
    add("HELO_NOT_FQDN", 1.0, fmt::format("HELO {} is not a fully qualified host name", h));
    return core::Step::next();
  }
  if (is_us(helo, tx)) {
    add("HELO_CLAIMS_US", 3.0, fmt::format("HELO {} is our own name", h));
    return core::Step::next();
  }
  if (without_final_dot(helo) == without_final_dot(conn.client_name)) return core::Step::next();
  dns::Budget& budget = dns::transaction_budget(tx, resolver_, max_queries_);
  auto a = budget.query(helo, dns::Type::A);
  auto aaaa = budget.query(helo, dns::Type::AAAA);
  bool found = false, failed = false, exists = false;
  for (const auto* f : {&a, &aaaa}) {
    const dns::Answer& ans = f->get();
    switch (ans.status) {
      case dns::Status::Ok:
        exists = true;
        for (const auto& r : ans.records)
          if (auto ip = core::IpAddress::parse(r); ip && *ip == *client) found = true;
        break;
      case dns::Status::NoData:
        exists = true;
        break;
      case dns::Status::NxDomain:
        break;
      default:
        failed = true;
    }
  }
  if (found || failed) return core::Step::next();
  add("HELO_RDNS_MISMATCH", 0.5,
      fmt::format("HELO {} is not the client's reverse DNS name ({}) and {}", h,
                  shown(conn.client_name.empty() ? "none" : conn.client_name),
                  exists ? fmt::format("has no address {}", client->to_string())
                         : std::string("does not exist")));
  return core::Step::next();
}

}  // namespace postern::reputation
