// `postern sandbox` (see sandbox_command.hpp).
#include "tools/sandbox_command.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <ctime>

#include "attach/sandbox.hpp"
#include "policy/config.hpp"
#include "scan/registry.hpp"

namespace postern::tools {

int run_sandbox(const std::string& config_path, bool run_pass) {
  auto cfg = scan::load_config(config_path.empty() ? policy::kDefaultConfigPath : config_path);
  if (!cfg) {
    for (const auto& e : cfg.error()) fmt::print(stderr, "{}\n", e.to_string());
    return 1;
  }
  if (!cfg->has_section("sandbox")) {
    fmt::print(stderr, "{}: no [sandbox] section\n", cfg->path);
    return 1;
  }
  auto sb = attach::Sandbox::make(cfg->section<attach::SandboxSettings>("sandbox"));
  if (!sb) {
    fmt::print(stderr, "{}\n", sb.error());
    return 1;
  }
  const auto now = std::chrono::system_clock::now();
  if (run_pass) {
    attach::PassReport r = (*sb)->release_pass(now);
    for (const auto& d : r.done) fmt::print("{} {}: {}\n", d.queue_id, to_string(d.end), d.why);
    for (const auto& e : r.errors) fmt::print(stderr, "error: {}\n", e);
    fmt::print("{} ended, {} waiting\n", r.done.size(), r.waiting);
    return r.errors.empty() ? 0 : 1;
  }
  for (const auto& rec : (*sb)->pending()) {
    std::time_t t = static_cast<std::time_t>(rec.held_at);
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    fmt::print("{} held since {:%Y-%m-%dT%H:%M:%SZ} scan {}\n", rec.queue_id, tm, rec.scan_id);
    for (const auto& f : rec.files) {
      auto v = (*sb)->cached(f.sha256, now);
      fmt::print("  {} {} {}{}\n", f.sha256.substr(0, 16), f.name,
                 v ? to_string(v->kind) : std::string_view("waiting"),
                 v && !v->detail.empty() ? ": " + v->detail : std::string());
    }
  }
  return 0;
}

}  // namespace postern::tools
