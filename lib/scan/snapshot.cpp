// Snapshot assembly: the one place that knows every stage and its order.
#include "scan/snapshot.hpp"

#include <unistd.h>

#include <filesystem>

#include "auth/spf_stage.hpp"
#include "content/header_sanity.hpp"
#include "core/address.hpp"
#include "limits/stage.hpp"
#include "mime/stage.hpp"
#include "reputation/dnsbl.hpp"
#include "reputation/helo.hpp"
#include "reputation/lists_stage.hpp"
#include "telemetry/log.hpp"

namespace postern::scan {

postern::expected<std::shared_ptr<dns::Resolver>, std::string> make_resolver(
    const policy::Config& config) {
  dns::Options o;
  o.forwarders = config.dns.forwarders;
  o.trust_anchor_file = config.dns.trust_anchor;
  o.local_data_file = config.dns.local_data;
  o.timeout = std::chrono::milliseconds(config.dns.timeout_ms);
  return dns::Resolver::create(o);
}

SnapshotPtr make_snapshot(policy::Config config, policy::Policy pol,
                          std::shared_ptr<dns::Resolver> resolver) {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  std::string authserv = config.authserv_id;
  if (authserv.empty()) authserv = host[0] ? host : "localhost";
  if (config.dns.configured && !resolver) {
    auto r = make_resolver(config);
    if (r)
      resolver = *r;
    else
      telemetry::log_warn("[dns]: {}; the DNS stages (dnsbl, helo, spf) are off", r.error());
  }
  std::vector<std::unique_ptr<core::Stage>> stages;
  stages.push_back(std::make_unique<limits::LimitsStage>());
  stages.push_back(std::make_unique<reputation::ListsStage>(pol.lists));
  if (resolver && !pol.dnsbl.empty())
    stages.push_back(std::make_unique<reputation::DnsblStage>(
        resolver, static_cast<size_t>(config.dns.max_queries), pol.dnsbl, pol.dnsbl_cache));
  if (resolver) {
    reputation::HeloOptions helo{{core::to_lower(authserv)}, reputation::host_addresses()};
    if (host[0] && core::to_lower(host) != helo.our_names.front())
      helo.our_names.push_back(core::to_lower(host));
    stages.push_back(std::make_unique<reputation::HeloStage>(
        resolver, static_cast<size_t>(config.dns.max_queries), std::move(helo)));
  }
  if (resolver)
    stages.push_back(std::make_unique<auth::SpfStage>(resolver,
                                                      static_cast<size_t>(config.dns.max_queries),
                                                      auth::SpfOptions{.receiver = authserv}));
  stages.push_back(std::make_unique<content::HeaderSanityStage>());
  stages.push_back(std::make_unique<mime::MimeStage>());
  std::vector<std::shared_ptr<const core::Finisher>> finishers;
  core::Pipeline pipeline(std::move(stages), config.on_error, config.stage_on_error);
  return std::make_shared<const Snapshot>(Snapshot{std::move(config), std::move(pol),
                                                   std::move(pipeline), std::move(authserv),
                                                   std::move(resolver), std::move(finishers)});
}

postern::expected<SnapshotPtr, policy::Errors> load_snapshot(const std::string& config_path,
                                                             bool missing_ok) {
  auto cfg = policy::load_config(config_path, missing_ok);
  if (!cfg) return postern::unexpected(cfg.error());
  if (cfg->path
          .empty()) {  // built-in defaults (no config file): use the default policy dirs that exist
    std::erase_if(cfg->policy_dirs,
                  [](const std::string& d) { return !std::filesystem::is_directory(d); });
  }
  auto pol = policy::load_policy(cfg->policy_dirs);
  if (!pol) return postern::unexpected(pol.error());
  std::shared_ptr<dns::Resolver> resolver;
  if (cfg->dns.configured) {
    auto r = make_resolver(*cfg);
    if (!r)
      return postern::unexpected(
          policy::Errors{policy::Error{cfg->path, 0, 0, "[dns]: " + r.error()}});
    resolver = *r;
  }
  return make_snapshot(std::move(*cfg), std::move(*pol), std::move(resolver));
}

}  // namespace postern::scan
