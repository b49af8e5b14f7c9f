// HeloStage ("helo"): what the client's HELO/EHLO name says about it.
//
// Contract: runs at HELO (every HELO/EHLO of the connection; each symbol is
// added once). Skipped for unknown, loopback and outbound clients (SASL-
// authenticated, when the front end knows it by then, or in internal networks).
// Findings, with default scores the policy's [scores] can override:
//   HELO_BARE_IP (1.5)       an IP address without the RFC 5321 brackets
//   HELO_NOT_FQDN (1.0)      not a valid host name with at least two labels
//                            (an address literal "[192.0.2.1]" is fine)
//   HELO_CLAIMS_US (3.0)     one of our names (authserv-id, host name, the MTA's
//                            $myhostname as the connection reports it) or one of
//                            our addresses, bare or as a literal
//   HELO_RDNS_MISMATCH (0.5) a valid FQDN that differs from the reverse DNS
//                            name the MTA reported, and whose A and AAAA records
//                            (asked at once through the resolver, with a
//                            connection's dns::transaction_budget) do not contain the
//                            client address; a DNS failure adds nothing
// The detail names the HELO (bounded, non-printable bytes replaced). Immutable,
// shared by threads; blocks the calling thread for the two lookups at most
// (bounded by the resolver's timeout).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/ip.hpp"
#include "core/stage.hpp"
#include "dns/resolver.hpp"

namespace postern::reputation {

struct HeloOptions {
  std::vector<std::string> our_names;  // lower case, no final dot
  std::vector<core::IpAddress> our_addresses;
};

// The addresses of this host's interfaces (getifaddrs), loopback included.
std::vector<core::IpAddress> host_addresses();

class HeloStage final : public core::Stage {
 public:
  HeloStage(std::shared_ptr<dns::Resolver> resolver, size_t max_queries, HeloOptions options)
      : resolver_(std::move(resolver)), max_queries_(max_queries), options_(std::move(options)) {}
  std::string_view name() const override { return "helo"; }
  core::Step on_helo(core::Transaction& tx) const override;

 private:
  bool is_us(std::string_view name, const core::Transaction& tx) const;
  std::shared_ptr<dns::Resolver> resolver_;
  size_t max_queries_;
  HeloOptions options_;
};

}  // namespace postern::reputation
