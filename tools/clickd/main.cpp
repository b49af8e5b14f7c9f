// postern-clickd: the click-time URL service. Serves https://<click host>/v1/<token>
// over plain HTTP behind the site's reverse proxy (TLS is the proxy's job): verifies
// the token, checks the URL against the current feeds of the same policy as the
// milter, and redirects, warns or blocks (url/click_service.hpp); writes one JSON
// click event per request.
//
// Call order: load postern.toml and the policy (the same files as the milter, so the
// same feeds; no other engine is loaded), the [click] key file, listen, serve. SIGHUP loads
// everything again and swaps it in only when it all loaded (a bad key file keeps the old one,
// logged); the feed files reload themselves when they change. SIGTERM and SIGINT stop. Limits:
// [click] threads (requests served at once), timeout_s (read/write), request bodies of at most 1
// KiB, paths of at most url::kMaxPath, keep-alive bounded. Exit codes: 0 normal stop, 78 bad config
// or policy, 71 cannot listen.
#include <httplib.h>

#include <CLI/CLI.hpp>

#include <atomic>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>

#include "core/version.hpp"
#include "policy/config.hpp"
#include "scan/registry.hpp"
#include "telemetry/log.hpp"
#include "tools/http_serve.hpp"
#include "url/click.hpp"
#include "url/click_service.hpp"
#include "url/feeds.hpp"
#include "url/url_policy.hpp"

namespace {

using namespace postern;
constexpr int kExConfig = 78;

// One JSON line per event to a file or stdout, whole lines only.
class EventSink {
 public:
  explicit EventSink(const std::string& path) {
    if (path.empty() || path == "-") {
      f_ = stdout;
    } else {
      f_ = std::fopen(path.c_str(), "a");
      own_ = f_ != nullptr;
    }
  }
  ~EventSink() {
    if (own_) std::fclose(f_);
  }
  bool ok() const { return f_ != nullptr; }
  void write(const nlohmann::json& e) {
    std::string line = e.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    std::lock_guard lock(mu_);
    std::fwrite(line.data(), 1, line.size(), f_);
    std::fflush(f_);
  }

 private:
  std::FILE* f_ = nullptr;
  bool own_ = false;
  std::mutex mu_;
};

struct Loaded {
  std::shared_ptr<const core::ServiceSet> services;  // keeps the feeds' watcher alive
  std::shared_ptr<const url::ClickService> service;
  url::ClickConfig config;
};

// Config, policy, keys and feeds (the policy's [[url.feed]], as the milter has them; no
// other engine is loaded); the errors, each file:line:column, when any fails.
postern::expected<Loaded, std::string> load(const std::string& config_path) {
  auto config = scan::load_config(config_path);
  if (!config) return postern::unexpected(policy::to_string(config.error()));
  auto pol = scan::load_checked_policy(config->policy_dirs);
  if (!pol) return postern::unexpected(policy::to_string(pol.error()));
  if (auto errs = scan::check_sections(*pol); !errs.empty())
    return postern::unexpected(policy::to_string(errs));
  const url::ClickConfig& cfg = url::click_config(*config);
  if (cfg.keys.empty())
    return postern::unexpected(config_path +
                               ": [click] keys and host are required by postern-clickd");
  auto ring = url::KeyRing::load(cfg.keys);
  if (!ring) return postern::unexpected(policy::to_string(ring.error()));
  auto services = std::make_shared<core::ServiceSet>();
  url::UrlFeedsConfig feeds_cfg = url::feeds_config(*pol);
  if (!feeds_cfg.feeds.empty()) {
    auto feeds = url::UrlFeeds::start(std::move(feeds_cfg));
    if (!feeds) return postern::unexpected("[url] " + feeds.error());
    services->put(std::string(url::kFeedsService), std::static_pointer_cast<void>(*feeds));
  } else {
    telemetry::log_warn("no [[url.feed]] in the policy: every valid link is redirected");
  }
  const url::ClickPolicy& cp = url::click_policy(*pol);
  auto service = std::make_shared<const url::ClickService>(
      std::make_shared<const url::KeyRing>(std::move(*ring)),
      std::chrono::seconds(cp.max_age_days * 24 * 3600), cp.on_listed, url::feed_check(*services));
  return Loaded{services, std::move(service), cfg};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"postern-clickd: the click-time URL service"};
  std::string config_path = policy::kDefaultConfigPath;
  bool test_only = false;
  app.add_option("-c,--config", config_path, "postern.toml");
  app.add_flag("-t,--test", test_only, "check config, policy and key file, then exit");
  app.set_version_flag("-V,--version", std::string("postern-clickd ") + postern::kVersion);
  CLI11_PARSE(app, argc, argv);
  telemetry::log_init("postern-clickd", false);

  // Signals go to a thread of their own: blocked here, before any thread starts (the
  // feeds' watcher, the server's pool), so every thread inherits the mask.
  tools::block_daemon_signals();

  auto loaded = load(config_path);
  if (!loaded) {
    telemetry::log_error("{}", loaded.error());
    return kExConfig;
  }
  if (test_only) {
    std::printf("postern-clickd: config, policy and click keys OK\n");
    return 0;
  }
  const url::ClickConfig cfg = loaded->config;
  EventSink events(cfg.events);
  if (!events.ok()) {
    telemetry::log_error("cannot open the click event log {}", cfg.events);
    return kExConfig;
  }
  std::shared_ptr<const url::ClickService> current = loaded->service;
  [[maybe_unused]] std::shared_ptr<const core::ServiceSet> services = loaded->services;
  std::mutex current_mu;

  httplib::Server svr;
  auto handler = [&](const httplib::Request& req, httplib::Response& res) {
    std::shared_ptr<const url::ClickService> service;
    {
      std::lock_guard lock(current_mu);
      service = current;
    }
    url::ClickRequest cr{req.method, req.path, req.get_header_value("User-Agent"), req.remote_addr};
    nlohmann::json event;
    url::ClickResponse out = service->handle(cr, event);
    res.status = out.status;
    if (!out.location.empty()) res.set_header("Location", out.location);
    res.set_header("Cache-Control", "no-store");
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("Referrer-Policy", "no-referrer");
    res.set_header("Content-Security-Policy",
                   "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; "
                   "form-action 'none'; base-uri 'none'");
    res.set_content(out.body, out.content_type.c_str());
    if (out.status != 200 || req.path != "/healthz") events.write(event);
  };
  tools::configure(svr, {cfg.threads, cfg.timeout_s, 1024, 20}, handler);

  return tools::serve(
      svr, cfg.listen,
      [&] {
        auto again = load(config_path);
        if (!again) {
          telemetry::log_error("reload refused, keeping the running config: {}", again.error());
          return;
        }
        std::lock_guard lock(current_mu);
        current = again->service;
        services = again->services;
        telemetry::log_info("reloaded config, policy and click keys");
      },
      "postern-clickd");
}
