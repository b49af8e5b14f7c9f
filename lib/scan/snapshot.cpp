// Snapshot assembly: walks the registry's stages and finishers in their order.
#include "scan/snapshot.hpp"

#include <unistd.h>

#include <filesystem>
#include <stdexcept>

#include "core/disposer.hpp"
#include "core/modifier.hpp"
#include "scan/registry.hpp"
#include "telemetry/log.hpp"

namespace postern::scan {

std::shared_ptr<dns::Resolver> Snapshot::resolver() const {
  return services ? services->get<dns::Resolver>("dns.resolver") : nullptr;
}

namespace {

template <class E>
bool services_present(const E& e, const core::ServiceSet& s) {
  return std::all_of(e.services.begin(), e.services.end(),
                     [&](std::string_view n) { return s.has(n); });
}

// The products of `order`'s entries whose services are present and that are configured.
template <class E, class Out>
void build(const postern::expected<std::vector<const E*>, std::string>& order,
           const core::StageContext& ctx, Out& out) {
  if (!order) throw std::logic_error(order.error());
  for (const E* e : *order) {
    if (!services_present(*e, ctx.services)) continue;
    if (auto made = e->make(ctx)) out.push_back(std::move(made));
  }
}

SnapshotPtr assemble(policy::Config config, policy::Policy pol,
                     std::shared_ptr<const core::ServiceSet> services, policy::Errors& errs) {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  std::string authserv = config.authserv_id;
  if (authserv.empty()) authserv = host[0] ? host : "localhost";
  core::StageContext ctx{config, pol, *services, authserv, host, errs};
  std::vector<std::unique_ptr<core::Stage>> stages;
  build(stage_order(), ctx, stages);
  std::vector<std::shared_ptr<const core::Finisher>> finishers;
  build(finisher_order(), ctx, finishers);
  std::vector<std::shared_ptr<const core::Modifier>> modifiers;
  build(modifier_order(), ctx, modifiers);
  std::vector<std::shared_ptr<const core::Disposer>> disposers;
  build(disposer_order(), ctx, disposers);
  std::vector<core::EventWriter> writers;
  for (const auto* r : registrations())
    writers.insert(writers.end(), r->event_writers.begin(), r->event_writers.end());
  core::Pipeline pipeline(std::move(stages), config.on_error, config.stage_on_error);
  return std::make_shared<const Snapshot>(
      Snapshot{std::move(config), std::move(pol), std::move(pipeline), std::move(authserv),
               std::move(services), std::move(finishers), std::move(modifiers),
               std::move(disposers), std::move(writers)});
}

void log_errors(const policy::Errors& errs) {
  for (const auto& e : errs) telemetry::log_warn("{}; what needs it is off", e.to_string());
}

}  // namespace

SnapshotPtr make_snapshot(policy::Config config, policy::Policy pol,
                          std::shared_ptr<const core::ServiceSet> services) {
  if (!services) {
    auto prepared = Services().prepare(config, pol);
    log_errors(prepared.errors);
    services = std::move(prepared.set);
  }
  policy::Errors errs;
  auto snap = assemble(std::move(config), std::move(pol), std::move(services), errs);
  log_errors(errs);
  return snap;
}

postern::expected<SnapshotPtr, policy::Errors> load_snapshot(
    const std::string& config_path, bool missing_ok, Services* services,
    const std::function<void(policy::Config&)>& adjust) {
  auto cfg = load_config(config_path, missing_ok);
  if (!cfg) return postern::unexpected(cfg.error());
  if (cfg->path
          .empty()) {  // built-in defaults (no config file): use the default policy dirs that exist
    std::erase_if(cfg->policy_dirs,
                  [](const std::string& d) { return !std::filesystem::is_directory(d); });
  }
  if (adjust) adjust(*cfg);
  // A rule or score for a symbol that does not exist would silently do nothing: refused.
  auto pol = load_checked_policy(cfg->policy_dirs);
  if (!pol) return postern::unexpected(pol.error());
  for (const auto* order_error : {stage_order() ? nullptr : &stage_order().error(),
                                  finisher_order() ? nullptr : &finisher_order().error(),
                                  modifier_order() ? nullptr : &modifier_order().error(),
                                  disposer_order() ? nullptr : &disposer_order().error()})
    if (order_error)
      return postern::unexpected(policy::Errors{policy::Error{cfg->path, 0, 0, *order_error}});
  Services local;
  Services& svc = services ? *services : local;
  auto prepared = svc.prepare(*cfg, *pol);
  if (!prepared.errors.empty()) return postern::unexpected(std::move(prepared.errors));
  policy::Config config = *cfg;
  policy::Errors errs;
  auto snap = assemble(std::move(*cfg), std::move(*pol), prepared.set, errs);
  if (!errs.empty()) return postern::unexpected(std::move(errs));
  svc.commit(std::move(prepared.set), config);
  return snap;
}

}  // namespace postern::scan
