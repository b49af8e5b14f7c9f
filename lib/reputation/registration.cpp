// lib/reputation: the lists, dnsbl and helo stages, the DNSBL result cache, the
// DNSBL_* and HELO_* symbols.
#include "reputation/registration.hpp"

#include "core/address.hpp"
#include "dns/config.hpp"
#include "policy/config.hpp"
#include "policy/policy.hpp"
#include "reputation/dnsbl.hpp"
#include "reputation/helo.hpp"
#include "reputation/lists_stage.hpp"
#include "reputation/symbols.hpp"

namespace postern::reputation {
namespace {

size_t max_queries(const core::StageContext& ctx) {
  return static_cast<size_t>(dns::config_of(ctx.config).max_queries);
}

}  // namespace

const core::Registration& registration() {
  using core::Event;
  using Made = std::unique_ptr<core::Stage>;
  static const core::Registration r{
      .folder = "reputation",
      .symbols = symbols(),
      .services = {{.name = "reputation.dnsbl_cache",
                    .make = [](const policy::Config&, const policy::Policy& p,
                               std::string&) -> std::shared_ptr<void> {
                      return std::make_shared<DnsblCache>(p.dnsbl_cache);
                    },
                    .changed =
                        [](const void* current, const policy::Config&, const policy::Config&,
                           const policy::Policy& p) {
                          return !current || static_cast<const DnsblCache*>(current)->capacity() !=
                                                 p.dnsbl_cache;
                        }}},
      .stages = {{.name = "lists",
                  .provides = {"lists"},
                  .needs = {"limits"},
                  .first_event = Event::Connect,
                  .make = [](const core::StageContext& ctx) -> Made {
                    return std::make_unique<ListsStage>(ctx.policy.lists);
                  }},
                 {.name = "dnsbl",
                  .provides = {"dnsbl"},
                  .needs = {"limits"},
                  .services = {"dns.resolver", "reputation.dnsbl_cache"},
                  .first_event = Event::Connect,
                  .make = [](const core::StageContext& ctx) -> Made {
                    if (ctx.policy.dnsbl.empty()) return nullptr;
                    return std::make_unique<DnsblStage>(
                        ctx.services.get<dns::Resolver>("dns.resolver"), max_queries(ctx),
                        ctx.policy.dnsbl, ctx.services.get<DnsblCache>("reputation.dnsbl_cache"));
                  }},
                 {.name = "helo",
                  .provides = {"helo"},
                  .needs = {"limits"},
                  .services = {"dns.resolver"},
                  .first_event = Event::Helo,
                  .make = [](const core::StageContext& ctx) -> Made {
                    HeloOptions helo{{core::to_lower(ctx.authserv_id)}, host_addresses()};
                    if (!ctx.hostname.empty() &&
                        core::to_lower(ctx.hostname) != helo.our_names.front())
                      helo.our_names.push_back(core::to_lower(ctx.hostname));
                    return std::make_unique<HeloStage>(
                        ctx.services.get<dns::Resolver>("dns.resolver"), max_queries(ctx),
                        std::move(helo));
                  }}},
  };
  return r;
}

}  // namespace postern::reputation
