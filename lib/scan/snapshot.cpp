// Snapshot assembly: the one place that knows every stage and its order.
#include "scan/snapshot.hpp"

#include <unistd.h>

#include <filesystem>

#include "auth/arc_stage.hpp"
#include "auth/auth_results.hpp"
#include "auth/dkim_sign.hpp"
#include "auth/dkim_stage.hpp"
#include "auth/dmarc_stage.hpp"
#include "auth/signature.hpp"
#include "auth/spf_stage.hpp"
#include "content/banner.hpp"
#include "content/header_sanity.hpp"
#include "core/address.hpp"
#include "limits/stage.hpp"
#include "mime/stage.hpp"
#include "reputation/dnsbl.hpp"
#include "reputation/helo.hpp"
#include "reputation/lists_stage.hpp"
#include "scan/archive.hpp"
#include "scan/registry.hpp"
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

namespace {

// The arc-seal finisher [arc] asks for, or null (sealing off, or a key that
// cannot be loaded: logged; load_snapshot reports it as a config error instead).
std::shared_ptr<const core::Finisher> arc_seal_finisher(const policy::Config& config,
                                                        const std::string& authserv) {
  using Seal = policy::Config::Arc::Seal;
  if (config.arc.seal == Seal::Off) return nullptr;
  auto key = auth::SignatureKey::load_private_pem_file(config.arc.key);
  if (!key) {
    telemetry::log_warn("[arc] key {}; ARC sealing is off", key.error());
    return nullptr;
  }
  auth::ArcSealer sealer;
  sealer.domain = config.arc.domain;
  sealer.selector = config.arc.selector;
  sealer.key = std::make_shared<const auth::SignatureKey>(std::move(*key));
  sealer.max_instances = static_cast<unsigned>(config.arc.max_instances);
  return std::make_shared<const auth::ArcSealFinisher>(std::move(sealer),
                                                       config.arc.seal == Seal::Always, authserv);
}

}  // namespace

postern::expected<DkimParts, policy::Error> make_dkim(const policy::Config& config, bool verify) {
  DkimParts parts;
  if (!verify && config.dkim.sign.empty()) return parts;
  auth::DkimOptions o;
  o.allow_rsa_sha1 = config.dkim.allow_rsa_sha1;
  o.min_key_bits = static_cast<unsigned>(config.dkim.min_key_bits);
  o.max_signatures = static_cast<size_t>(config.dkim.max_signatures);
  o.verifier = config.dkim.verifier == "libopendkim" ? auth::DkimVerifierKind::LibOpenDkim
                                                     : auth::DkimVerifierKind::Native;
  auto lib = auth::DkimVerifier::create(o);
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
    if (auto one = auth::DkimSigner::create({specs.back()}); !one)
      return postern::unexpected(policy::Error{config.path, static_cast<uint32_t>(k.line),
                                               static_cast<uint32_t>(k.column),
                                               "[[dkim.sign]]: " + one.error()});
  }
  auto signer = auth::DkimSigner::create(specs);
  if (!signer)
    return postern::unexpected(policy::Error{config.path, 0, 0, "[dkim]: " + signer.error()});
  parts.signer = *signer;
  return parts;
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
      telemetry::log_warn("[dns]: {}; the DNS stages (dnsbl, helo, spf, dkim, arc, dmarc) are off",
                          r.error());
  }
  DkimParts dkim;
  if (auto d = make_dkim(config, resolver != nullptr))
    dkim = *d;
  else
    telemetry::log_warn("{}; DKIM verification and signing are off", d.error().to_string());
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
  if (dkim.library)
    stages.push_back(std::make_unique<auth::DkimStage>(
        dkim.library, resolver, static_cast<size_t>(config.dns.max_queries)));
  if (resolver)
    stages.push_back(std::make_unique<auth::ArcStage>(
        resolver, static_cast<size_t>(config.dns.max_queries),
        auth::ArcVerifyOptions{.max_instances = static_cast<unsigned>(config.arc.max_instances)}));
  if (resolver)
    stages.push_back(std::make_unique<auth::DmarcStage>(resolver, pol.trusted_arc_sealers));
  // Finishers, in this order: Authentication-Results writer, arc-seal, dkim-sign.
  std::vector<std::shared_ptr<const core::Finisher>> finishers;
  if (resolver) finishers.push_back(std::make_shared<auth::AuthResultsFinisher>(authserv));
  if (auto seal = arc_seal_finisher(config, authserv)) finishers.push_back(std::move(seal));
  // Signing is the last finisher: it signs the message as every other step left it.
  if (dkim.signer) finishers.push_back(std::make_shared<auth::DkimSignFinisher>(dkim.signer));
  // Modifiers, in this order: the banner (the body), the archive (the envelope).
  std::vector<std::shared_ptr<const core::Modifier>> modifiers;
  if (!pol.banner.text.empty())
    modifiers.push_back(std::make_shared<content::BannerModifier>(pol.banner));
  if (!pol.archive.recipient.empty())
    modifiers.push_back(std::make_shared<ArchiveModifier>(pol.archive));
  core::Pipeline pipeline(std::move(stages), config.on_error, config.stage_on_error);
  return std::make_shared<const Snapshot>(Snapshot{std::move(config),
                                                   std::move(pol),
                                                   std::move(pipeline),
                                                   std::move(authserv),
                                                   std::move(resolver),
                                                   std::move(finishers),
                                                   std::move(modifiers),
                                                   {}});
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
  // A rule or score for a symbol that does not exist would silently do nothing: refused.
  auto pol = load_checked_policy(cfg->policy_dirs);
  if (!pol) return postern::unexpected(pol.error());
  std::shared_ptr<dns::Resolver> resolver;
  if (cfg->dns.configured) {
    auto r = make_resolver(*cfg);
    if (!r)
      return postern::unexpected(
          policy::Errors{policy::Error{cfg->path, 0, 0, "[dns]: " + r.error()}});
    resolver = *r;
  }
  if (cfg->arc.seal != policy::Config::Arc::Seal::Off) {
    if (!auth::valid_domain(cfg->arc.domain))
      return postern::unexpected(policy::Errors{policy::Error{
          cfg->path, 0, 0, "[arc] domain: '" + cfg->arc.domain + "' is not a domain name"}});
    auto key = auth::SignatureKey::load_private_pem_file(cfg->arc.key);
    if (!key)
      return postern::unexpected(
          policy::Errors{policy::Error{cfg->path, 0, 0, "[arc] key " + key.error()}});
  }
  // Signing keys are checked here: a bad one is a config error (make_snapshot only logs).
  if (auto d = make_dkim(*cfg, false); !d) return postern::unexpected(policy::Errors{d.error()});
  return make_snapshot(std::move(*cfg), std::move(*pol), std::move(resolver));
}

}  // namespace postern::scan
