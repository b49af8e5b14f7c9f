// lib/quarantine: [quarantine], its symbols, stage and disposer (see registration.hpp).
#include "quarantine/registration.hpp"

#include <filesystem>

#include "policy/config.hpp"
#include "quarantine/config.hpp"
#include "quarantine/release.hpp"
#include "quarantine/stage.hpp"
#include "quarantine/symbols.hpp"
#include "state/config.hpp"
#include "state/store.hpp"
#include "telemetry/log.hpp"

namespace postern::quarantine {

const core::Registration& registration() {
  static const core::Registration r{
      .folder = "quarantine",
      .symbols = symbols(),
      .config_sections = {{QuarantineConfig::kSection, read_quarantine_config}},
      .stages = {{.name = "quarantine_release",
                  .make = [](const core::StageContext& c) -> std::unique_ptr<core::Stage> {
                    const QuarantineConfig& q = quarantine_config(c.config);
                    // No directory for the key (`postern scan` on a host without
                    // /var/lib/postern): no release is honoured, quietly.
                    const auto dir = std::filesystem::path(q.release_key).parent_path();
                    if (!std::filesystem::is_directory(dir)) return nullptr;
                    auto key = load_or_create_key(q.release_key);
                    if (!key) {
                      // No key (a user who may not read it): no release is honoured;
                      // the header is still removed as X-Postern-*.
                      telemetry::log_warn("quarantine: release key: {}; releases are not honoured",
                                          key.error());
                      return nullptr;
                    }
                    return std::make_unique<ReleaseStage>(std::move(*key), q.release_max_age);
                  }}},
      .disposers = {{.name = "quarantine",
                     .services = {state::kStateService},
                     .make =
                         [](const core::StageContext& c) -> std::shared_ptr<const core::Disposer> {
                       auto st = c.services.get<state::Store>(state::kStateService);
                       if (!st) return nullptr;
                       const QuarantineConfig& q = quarantine_config(c.config);
                       return std::make_shared<QuarantineDisposer>(
                           std::make_shared<const Store>(q.dir, std::move(st)),
                           q.max_message_bytes);
                     }}},
  };
  return r;
}

}  // namespace postern::quarantine
