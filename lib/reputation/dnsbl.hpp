// Dnsbl: DNS blocklist lookups of a client address, with a result cache; and
// DnsblStage ("dnsbl"), which turns them into findings at connect.
//
// Contract: `Dnsbl::check(address, budget)` asks every zone at once for
// `<reversed address>.<zone>` A (IPv4: the four octets reversed; IPv6: the 32
// nibbles reversed) through the caller's dns::Budget, then waits for each
// zone's answer until that zone's `timeout_ms` from the start; only for a
// listed address it asks TXT for the listing text (all listed zones at once,
// again bounded by each zone's timeout). So one check blocks the calling thread
// for at most twice the largest zone timeout, and asks at most two queries per
// zone. An answer in 127.0.0.0/8 is a listing code, except 127.255.255.0/24
// (Spamhaus: query refused, public resolver, over the limit); those and answers
// outside 127.0.0.0/8 are Error results, never listings. NXDOMAIN / no data is
// NotListed; timeout, servfail, budget spent and resolver errors are
// TempError. Listed, NotListed and Error results are cached per zone and
// address for the answer's TTL (clamped to kMinTtl..kMaxTtl); the cache holds
// at most its capacity's entries (least recently used go first) and is
// thread-safe; TempError is never cached. Dnsbl is shared by all connection
// threads of a snapshot.
//
// DnsblCache lifecycle (the "reputation.dnsbl_cache" service, see
// reputation/registration.cpp): created with the first snapshot, sized by the
// policy's [reputation] dnsbl_cache; kept across reloads (a policy edit does not
// forget what the lists said), remade empty only when that size changes.
// Entries are keyed by zone name and address, so a zone the new policy drops
// is simply never asked again (its entries age out).
//
// DnsblStage: at connect, skips unknown clients, outbound clients (internal
// networks) and local addresses (is_local_address). Per zone it adds, for a
// listing, the symbol of each code from the zone's `codes` map (an unmapped
// code: the zone's own symbol and score), each symbol once, with the detail
// "<ip> listed by <zone> (<codes>): <TXT text>"; DNSBL_ERROR (0) for an
// Error result and DNSBL_TEMPERROR (0) for a TempError result. A temperror is
// a finding, not Step::error: the policy decides (a rule DNSBL_TEMPERROR =
// "tempfail", or nothing). Immutable apart from the cache; shared by threads.
#pragma once

#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/ip.hpp"
#include "core/stage.hpp"
#include "dns/resolver.hpp"
#include "policy/policy.hpp"

namespace postern::reputation {

// "2.0.0.127" for 127.0.0.2; the 32 nibbles of an IPv6 address, last first.
std::string reversed_name(const core::IpAddress& a);

// Addresses no public list knows: loopback, unspecified, RFC 1918, 100.64.0.0/10,
// 169.254.0.0/16, fc00::/7, fe80::/10.
bool is_local_address(const core::IpAddress& a);

struct DnsblResult {
  enum class Kind { NotListed, Listed, Error, TempError };
  const policy::DnsblZone* zone = nullptr;  // owned by the Dnsbl
  Kind kind = Kind::NotListed;
  std::vector<std::string> codes;  // Listed: the listing codes, in answer order
  std::string text;                // Listed: the TXT listing text, "" when there is none
  std::string detail;              // Error / TempError: what went wrong
  bool cached = false;             // answered from the cache, no query made
};

// One name to look up: `query` is put before each zone ("2.0.0.127", "example.com");
// `id` keys the cache (with the zone's name): the address, the domain.
struct DnsblName {
  std::string query;
  std::string id;
};

class DnsblCache {
 public:
  explicit DnsblCache(size_t capacity);
  ~DnsblCache();
  size_t capacity() const;
  // `r`'s kind, codes, text and detail from a live entry for `key` (r.cached set).
  bool get(const std::string& key, DnsblResult& r);
  void put(const std::string& key, const DnsblResult& r, uint32_t ttl);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class Dnsbl {
 public:
  static constexpr std::chrono::seconds kMinTtl{60};
  static constexpr std::chrono::seconds kMaxTtl{3600};
  static constexpr size_t kMaxCodes = 16;  // listing codes kept per answer
  static constexpr size_t kMaxText = 300;  // bytes of listing text kept

  Dnsbl(std::vector<policy::DnsblZone> zones, std::shared_ptr<DnsblCache> cache);
  ~Dnsbl();
  Dnsbl(const Dnsbl&) = delete;
  Dnsbl& operator=(const Dnsbl&) = delete;

  // One result per zone, in zone order.
  std::vector<DnsblResult> check(const core::IpAddress& a, dns::Budget& budget) const;
  // The same for many names at once (lib/url's URIBL lookups: domains, reversed
  // addresses): every query is asked before any answer is waited for, so the call
  // blocks at most twice the largest zone timeout whatever the number of names.
  // One vector of results (one per zone) per name, in name order.
  std::vector<std::vector<DnsblResult>> check_names(std::span<const DnsblName> names,
                                                    dns::Budget& budget) const;
  const std::vector<policy::DnsblZone>& zones() const { return zones_; }

 private:
  std::vector<policy::DnsblZone> zones_;
  std::shared_ptr<DnsblCache> cache_;
};

class DnsblStage final : public core::Stage {
 public:
  DnsblStage(std::shared_ptr<dns::Resolver> resolver, size_t max_queries,
             std::vector<policy::DnsblZone> zones, std::shared_ptr<DnsblCache> cache)
      : resolver_(std::move(resolver)),
        max_queries_(max_queries),
        dnsbl_(std::move(zones), std::move(cache)) {}
  std::string_view name() const override { return "dnsbl"; }
  core::Step on_connect(core::Transaction& tx) const override;

 private:
  std::shared_ptr<dns::Resolver> resolver_;
  size_t max_queries_;
  Dnsbl dnsbl_;
};

}  // namespace postern::reputation
