// lib/auth: the [arc] and [dkim] sections, the public suffix list service, the
// spf, dkim, arc and dmarc stages, the Authentication-Results, ARC seal and
// DKIM signature finishers, the event's postern.auth, the SPF_/DKIM_/ARC_/DMARC_
// symbols.
#include "auth/registration.hpp"

#include <nlohmann/json.hpp>

#include "auth/arc_stage.hpp"
#include "auth/auth_results.hpp"
#include "auth/config.hpp"
#include "auth/dkim_sign.hpp"
#include "auth/dkim_stage.hpp"
#include "auth/dmarc_stage.hpp"
#include "auth/signature.hpp"
#include "auth/spf_stage.hpp"
#include "auth/symbols.hpp"
#include "dns/config.hpp"
#include "policy/config.hpp"
#include "policy/error.hpp"
#include "policy/policy.hpp"

namespace postern::auth {
namespace {

using Made = std::unique_ptr<core::Stage>;
using MadeFinisher = std::shared_ptr<const core::Finisher>;

size_t max_queries(const core::StageContext& ctx) {
  return static_cast<size_t>(dns::config_of(ctx.config).max_queries);
}

std::shared_ptr<dns::Resolver> resolver(const core::StageContext& ctx) {
  return ctx.services.get<dns::Resolver>("dns.resolver");
}

void error(const core::StageContext& ctx, std::string message, int line = 0, int column = 0) {
  ctx.errors.push_back(policy::Error{ctx.config.path, static_cast<uint32_t>(line),
                                     static_cast<uint32_t>(column), std::move(message)});
}

Made make_dkim_stage(const core::StageContext& ctx) {
  const DkimConfig& c = dkim_config(ctx.config);
  DkimOptions o;
  o.allow_rsa_sha1 = c.allow_rsa_sha1;
  o.min_key_bits = static_cast<unsigned>(c.min_key_bits);
  o.max_signatures = static_cast<size_t>(c.max_signatures);
  o.verifier =
      c.verifier == "libopendkim" ? DkimVerifierKind::LibOpenDkim : DkimVerifierKind::Native;
  auto lib = DkimVerifier::create(o);
  if (!lib) {
    error(ctx, "[dkim]: " + lib.error());
    return nullptr;
  }
  return std::make_unique<DkimStage>(*lib, resolver(ctx), max_queries(ctx));
}

// The signer [[dkim.sign]] asks for; each key loaded and checked on its own first,
// so an error is at its own entry and names the file.
MadeFinisher make_dkim_sign(const core::StageContext& ctx) {
  const DkimConfig& c = dkim_config(ctx.config);
  if (c.sign.empty()) return nullptr;
  std::vector<DkimKeySpec> specs;
  for (const auto& k : c.sign) {
    specs.push_back(DkimKeySpec{
        k.domain, k.selector,
        k.algorithm == "ed25519-sha256" ? DkimAlgorithm::Ed25519Sha256 : DkimAlgorithm::RsaSha256,
        k.key, k.subdomains});
    if (auto one = DkimSigner::create({specs.back()}); !one) {
      error(ctx, "[[dkim.sign]]: " + one.error(), k.line, k.column);
      return nullptr;
    }
  }
  auto signer = DkimSigner::create(specs);
  if (!signer) {
    error(ctx, "[dkim]: " + signer.error());
    return nullptr;
  }
  return std::make_shared<const DkimSignFinisher>(*signer);
}

// The ARC sealer [arc] asks for, or null (sealing off, or a domain or key in error).
MadeFinisher make_arc_seal(const core::StageContext& ctx) {
  const ArcConfig& c = arc_config(ctx.config);
  if (c.seal == ArcConfig::Seal::Off) return nullptr;
  if (!valid_domain(c.domain)) {
    error(ctx, "[arc] domain: '" + c.domain + "' is not a domain name");
    return nullptr;
  }
  auto key = SignatureKey::load_private_pem_file(c.key);
  if (!key) {
    error(ctx, "[arc] key " + key.error());
    return nullptr;
  }
  ArcSealer sealer;
  sealer.domain = c.domain;
  sealer.selector = c.selector;
  sealer.key = std::make_shared<const SignatureKey>(std::move(*key));
  sealer.max_instances = static_cast<unsigned>(c.max_instances);
  return std::make_shared<const ArcSealFinisher>(
      std::move(sealer), c.seal == ArcConfig::Seal::Always, ctx.authserv_id);
}

void write_event(const core::Transaction& tx, nlohmann::json& e) {
  if (nlohmann::json auth = auth_json(tx); !auth.empty()) e["postern"]["auth"] = std::move(auth);
}

}  // namespace

const core::Registration& registration() {
  using core::Event;
  static const core::Registration r{
      .folder = "auth",
      .symbols = symbols(),
      .config_sections = {{"arc", read_arc_config}, {"dkim", read_dkim_config}},
      .services = {{.name = "auth.psl",
                    .make = [](const policy::Config&, const policy::Policy&,
                               std::string&) -> std::shared_ptr<void> {
                      return std::const_pointer_cast<PublicSuffix>(PublicSuffix::load());
                    },
                    .changed =
                        [](const void* current, const policy::Config&, const policy::Config&,
                           const policy::Policy&) {
                          return !current ||
                                 static_cast<const PublicSuffix*>(current)->source_mtime() !=
                                     PublicSuffix::system_list_mtime();
                        }}},
      .stages = {{.name = "spf",
                  .provides = {"spf"},
                  .needs = {"limits"},
                  .services = {"dns.resolver"},
                  .first_event = Event::MailFrom,
                  .make = [](const core::StageContext& ctx) -> Made {
                    return std::make_unique<SpfStage>(resolver(ctx), max_queries(ctx),
                                                      SpfOptions{.receiver = ctx.authserv_id});
                  }},
                 {.name = "dkim",
                  .provides = {"dkim"},
                  .needs = {"limits"},
                  .services = {"dns.resolver"},
                  .make = make_dkim_stage},
                 {.name = "arc",
                  .provides = {"arc"},
                  .needs = {"limits"},
                  .services = {"dns.resolver"},
                  .make = [](const core::StageContext& ctx) -> Made {
                    return std::make_unique<ArcStage>(
                        resolver(ctx), max_queries(ctx),
                        ArcVerifyOptions{.max_instances = static_cast<unsigned>(
                                             arc_config(ctx.config).max_instances)});
                  }},
                 {.name = "dmarc",
                  .provides = {"dmarc"},
                  .needs = {"spf", "dkim", "arc"},
                  .services = {"dns.resolver", "auth.psl"},
                  .make = [](const core::StageContext& ctx) -> Made {
                    return std::make_unique<DmarcStage>(
                        resolver(ctx), ctx.policy.trusted_arc_sealers,
                        ctx.services.get<const PublicSuffix>("auth.psl"));
                  }}},
      // Authentication-Results first; the ARC seal covers it; the DKIM signature
      // last, over the message as every other step left it.
      .finishers = {{.name = "authentication-results",
                     .provides = {"auth-results"},
                     .services = {"dns.resolver"},
                     .make = [](const core::StageContext& ctx) -> MadeFinisher {
                       return std::make_shared<const AuthResultsFinisher>(ctx.authserv_id);
                     }},
                    {.name = "arc-seal",
                     .provides = {"arc-seal"},
                     .needs = {"auth-results"},
                     .make = make_arc_seal},
                    {.name = "dkim-sign",
                     .provides = {"dkim-sign"},
                     .needs = {"auth-results", "arc-seal"},
                     .make = make_dkim_sign}},
      .event_writers = {write_event},
  };
  return r;
}

}  // namespace postern::auth
