// Snapshot assembly: the one place that knows every stage and its order.
#include "scan/snapshot.hpp"

#include <unistd.h>

#include <filesystem>

#include "auth/dkim_sign.hpp"
#include "auth/dkim_stage.hpp"
#include "auth/spf_stage.hpp"
#include "content/header_sanity.hpp"
#include "limits/stage.hpp"
#include "mime/stage.hpp"
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

postern::expected<DkimParts, policy::Error> make_dkim(const policy::Config& config, bool verify) {
  DkimParts parts;
  if (!verify && config.dkim.sign.empty()) return parts;
  auth::DkimOptions o;
  o.allow_rsa_sha1 = config.dkim.allow_rsa_sha1;
  o.min_key_bits = static_cast<unsigned>(config.dkim.min_key_bits);
  o.max_signatures = static_cast<size_t>(config.dkim.max_signatures);
  auto lib = auth::DkimLibrary::create(o);
  if (!lib) return postern::unexpected(policy::Error{config.path, 0, 0, "[dkim]: " + lib.error()});
  if (verify) parts.library = *lib;
  if (config.dkim.sign.empty()) return parts;
  std::vector<auth::DkimKeySpec> specs;
  for (const auto& k : config.dkim.sign) {
    specs.push_back(auth::DkimKeySpec{k.domain, k.selector,
                                      k.algorithm == "ed25519-sha256"
                                          ? auth::DkimAlgorithm::Ed25519Sha256
                                          : auth::DkimAlgorithm::RsaSha256,
                                      k.key, k.subdomains});
    // Each key on its own first, so an error is at its own [[dkim.sign]] entry.
    if (auto one = auth::DkimSigner::create(*lib, {specs.back()}); !one)
      return postern::unexpected(policy::Error{config.path, static_cast<uint32_t>(k.line),
                                               static_cast<uint32_t>(k.column),
                                               "[[dkim.sign]]: " + one.error()});
  }
  auto signer = auth::DkimSigner::create(*lib, specs);
  if (!signer)
    return postern::unexpected(policy::Error{config.path, 0, 0, "[dkim]: " + signer.error()});
  parts.signer = *signer;
  return parts;
}

SnapshotPtr make_snapshot(policy::Config config, policy::Policy pol,
                          std::shared_ptr<dns::Resolver> resolver) {
  std::string authserv = config.authserv_id;
  if (authserv.empty()) {
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) == 0) authserv = host;
    if (authserv.empty()) authserv = "localhost";
  }
  if (config.dns.configured && !resolver) {
    auto r = make_resolver(config);
    if (r)
      resolver = *r;
    else
      telemetry::log_warn("[dns]: {}; the DNS stages (spf) are off", r.error());
  }
  DkimParts dkim;
  if (auto d = make_dkim(config, resolver != nullptr))
    dkim = *d;
  else
    telemetry::log_warn("{}; DKIM verification and signing are off", d.error().to_string());
  std::vector<std::unique_ptr<core::Stage>> stages;
  stages.push_back(std::make_unique<limits::LimitsStage>());
  stages.push_back(std::make_unique<reputation::ListsStage>(pol.lists));
  if (resolver)
    stages.push_back(std::make_unique<auth::SpfStage>(resolver,
                                                      static_cast<size_t>(config.dns.max_queries),
                                                      auth::SpfOptions{.receiver = authserv}));
  stages.push_back(std::make_unique<content::HeaderSanityStage>());
  stages.push_back(std::make_unique<mime::MimeStage>());
  if (dkim.library)
    stages.push_back(std::make_unique<auth::DkimStage>(
        dkim.library, resolver, static_cast<size_t>(config.dns.max_queries)));
  std::vector<std::shared_ptr<const core::Finisher>> finishers;
  // Signing is the last finisher: it signs the message as every other step left it.
  if (dkim.signer) finishers.push_back(std::make_shared<auth::DkimSignFinisher>(dkim.signer));
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
  // Signing keys are checked here: a bad one is a config error (make_snapshot only logs).
  if (auto d = make_dkim(*cfg, false); !d) return postern::unexpected(policy::Errors{d.error()});
  return make_snapshot(std::move(*cfg), std::move(*pol), std::move(resolver));
}

}  // namespace postern::scan
