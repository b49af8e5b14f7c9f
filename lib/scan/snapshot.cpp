// Snapshot assembly: the one place that knows every stage and its order.
#include "scan/snapshot.hpp"

#include <unistd.h>

#include <filesystem>

#include "content/header_sanity.hpp"
#include "limits/stage.hpp"
#include "mime/stage.hpp"
#include "reputation/lists_stage.hpp"

namespace postern::scan {

SnapshotPtr make_snapshot(policy::Config config, policy::Policy pol) {
  std::vector<std::unique_ptr<core::Stage>> stages;
  stages.push_back(std::make_unique<limits::LimitsStage>());
  stages.push_back(std::make_unique<reputation::ListsStage>(pol.lists));
  stages.push_back(std::make_unique<content::HeaderSanityStage>());
  stages.push_back(std::make_unique<mime::MimeStage>());
  core::Pipeline pipeline(std::move(stages), config.on_error, config.stage_on_error);
  std::string authserv = config.authserv_id;
  if (authserv.empty()) {
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) == 0) authserv = host;
    if (authserv.empty()) authserv = "localhost";
  }
  return std::make_shared<const Snapshot>(
      Snapshot{std::move(config), std::move(pol), std::move(pipeline), std::move(authserv)});
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
  return make_snapshot(std::move(*cfg), std::move(*pol));
}

}  // namespace postern::scan
