// postern-milter: the daemon. Loads config and policy, opens the socket, drops
// privileges, runs libmilter, reloads on SIGHUP, drains on SIGTERM.
// Started as root it chowns the socket and switches to the configured user;
// started unprivileged (the systemd unit: User=postern, SupplementaryGroups=
// postfix) it keeps its user and gives the socket socket_group as a member.
//
// Reload: SIGHUP loads config and policy again and builds a new snapshot off to
// the side on the same scan::Services (a service is remade only when its own
// config changed: the resolver when [dns] did); the snapshot and the services
// are swapped in only when everything loaded.
//
// Signals: libmilter's own signal thread treats SIGHUP as "stop". So smfi_main
// runs on a second thread (libmilter blocks HUP/TERM/INT there and in every
// thread it starts), while the main thread keeps those signals unblocked with
// handlers: Linux hands a process-directed signal to the main thread first when
// it does not block it, so SIGHUP reloads and SIGTERM drains under our control.
//
// Exit codes: 0 normal stop, 78 (EX_CONFIG) bad config or policy, 71
// (EX_OSERR) socket or privilege failure.
#include <fcntl.h>
#include <grp.h>
#include <libmilter/mfapi.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <fmt/format.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>

#include "attach/sandbox.hpp"
#include "core/version.hpp"
#include "milter/metrics_http.hpp"
#include "milter/shim.hpp"
#include "policy/config.hpp"
#include "quarantine/config.hpp"
#include "quarantine/store.hpp"
#include "scan/snapshot.hpp"
#include "state/config.hpp"
#include "state/store.hpp"
#include "telemetry/log.hpp"
#include "telemetry/metrics.hpp"
#include "telemetry/metrics_config.hpp"

namespace {

using namespace postern;
constexpr int kExConfig = 78;
constexpr int kExOsErr = 71;

int g_sigpipe[2] = {-1, -1};

void on_signal(int sig) {
  unsigned char b = static_cast<unsigned char>(sig);
  [[maybe_unused]] auto n = ::write(g_sigpipe[1], &b, 1);
}

void usage() {
  std::fprintf(stderr,
               "usage: postern-milter [-c CONFIG] [-f] [-t] [-p SOCKET] [-V]\n"
               "  -c CONFIG  daemon config (default %s)\n"
               "  -f         stay in the foreground\n"
               "  -t         check config and policy, then exit\n"
               "  -p SOCKET  override the socket (unix:PATH or inet:PORT@HOST)\n"
               "  -V         print the version\n",
               policy::kDefaultConfigPath);
}

// Removes a stale unix socket: only a socket nobody listens on. Refuses anything else.
bool prepare_unix_socket(const std::string& path) {
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
    return true;
  }
  if (!S_ISSOCK(st.st_mode)) {
    telemetry::log_fatal("{} exists and is not a socket; refusing to remove it", path);
    return false;
  }
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::strncpy(sa.sun_path, path.c_str(), sizeof sa.sun_path - 1);
  bool live = fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
  if (fd >= 0) ::close(fd);
  if (live) {
    telemetry::log_fatal("{}: another milter is listening on this socket", path);
    return false;
  }
  if (::unlink(path.c_str()) != 0) {
    telemetry::log_fatal("cannot remove stale socket {}: {}", path, std::strerror(errno));
    return false;
  }
  telemetry::log_info("removed stale socket {}", path);
  return true;
}

// Accepted sockets inherit TCP_NODELAY from the listening socket on Linux, so
// replies (end of message above all) never wait for a delayed ACK.
void set_nodelay_on_listeners() {
  for (int fd = 3; fd < 1024; ++fd) {
    int listening = 0;
    socklen_t len = sizeof listening;
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || !listening) continue;
    sockaddr_storage ss{};
    socklen_t sl = sizeof ss;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &sl) != 0) continue;
    if (ss.ss_family != AF_INET && ss.ss_family != AF_INET6) continue;
    int one = 1;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0)
      telemetry::log_warn("TCP_NODELAY on the listening socket: {}", std::strerror(errno));
  }
}

bool drop_privileges(const policy::Config& cfg) {
  if (geteuid() != 0 || cfg.user.empty()) return true;
  const passwd* pw = getpwnam(cfg.user.c_str());
  if (!pw) {
    telemetry::log_fatal("user '{}' does not exist", cfg.user);
    return false;
  }
  gid_t gid = pw->pw_gid;
  if (!cfg.group.empty()) {
    const group* gr = getgrnam(cfg.group.c_str());
    if (!gr) {
      telemetry::log_fatal("group '{}' does not exist", cfg.group);
      return false;
    }
    gid = gr->gr_gid;
  }
  if (initgroups(pw->pw_name, gid) != 0 || setgid(gid) != 0 || setuid(pw->pw_uid) != 0) {
    telemetry::log_fatal("cannot switch to user {}: {}", cfg.user, std::strerror(errno));
    return false;
  }
  if (setuid(0) == 0) {
    telemetry::log_fatal("privileges were not dropped");
    return false;
  }
  return true;
}

bool apply_socket_permissions(const policy::Config& cfg, const std::string& path) {
  if (::chmod(path.c_str(), cfg.socket_mode) != 0) {
    telemetry::log_fatal("chmod {}: {}", path, std::strerror(errno));
    return false;
  }
  if (geteuid() == 0) {
    uid_t uid = static_cast<uid_t>(-1);
    gid_t gid = static_cast<gid_t>(-1);
    if (!cfg.user.empty())
      if (const passwd* pw = getpwnam(cfg.user.c_str())) uid = pw->pw_uid;
    if (!cfg.socket_group.empty()) {
      const group* gr = getgrnam(cfg.socket_group.c_str());
      if (!gr) {
        telemetry::log_fatal("socket_group '{}' does not exist", cfg.socket_group);
        return false;
      }
      gid = gr->gr_gid;
    }
    if (::chown(path.c_str(), uid, gid) != 0) {
      telemetry::log_fatal("chown {}: {}", path, std::strerror(errno));
      return false;
    }
  } else if (!cfg.socket_group.empty()) {
    // Started unprivileged (systemd: User=postern, SupplementaryGroups=postfix):
    // a member of socket_group may give the socket that group.
    const group* gr = getgrnam(cfg.socket_group.c_str());
    if (!gr) {
      telemetry::log_fatal("socket_group '{}' does not exist", cfg.socket_group);
      return false;
    }
    struct stat st {};
    bool regroup = ::stat(path.c_str(), &st) == 0 && st.st_gid != gr->gr_gid;
    if (regroup && ::chown(path.c_str(), static_cast<uid_t>(-1), gr->gr_gid) != 0) {
      telemetry::log_fatal("cannot give {} the group {}: {} (the daemon's user must be a member)",
                           path, cfg.socket_group, std::strerror(errno));
      return false;
    }
  }
  return true;
}

void print_errors(const policy::Errors& errs) {
  for (const auto& e : errs) telemetry::log_error("{}", e.to_string());
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path = policy::kDefaultConfigPath;
  std::string socket_override;
  bool foreground = false, test_only = false;
  int opt;
  while ((opt = getopt(argc, argv, "c:ftp:Vh")) != -1) {
    switch (opt) {
      case 'c':
        config_path = optarg;
        break;
      case 'f':
        foreground = true;
        break;
      case 't':
        test_only = true;
        break;
      case 'p':
        socket_override = optarg;
        break;
      case 'V':
        std::printf("postern-milter %s\n", kVersion);
        return 0;
      default:
        usage();
        return opt == 'h' ? 0 : 64;
    }
  }
  telemetry::log_init("postern-milter", false);

  // The resolver, the public suffix list, the caches: made once, kept across
  // reloads unless their own config changed (scan/services.hpp).
  scan::Services services;
  auto snap = scan::load_snapshot(config_path, false, &services);
  if (!snap) {
    print_errors(snap.error());
    telemetry::log_fatal("configuration not loaded; not starting");
    return kExConfig;
  }
  const policy::Config& cfg = (*snap)->config;
  if (test_only) {
    std::printf("%s: OK (%zu policy file(s) from %zu dir(s))\n", config_path.c_str(),
                (*snap)->policy.files.size(), cfg.policy_dirs.size());
    return 0;
  }
  std::string socket = socket_override.empty() ? cfg.socket : socket_override;
  telemetry::log_init("postern-milter", cfg.log_target == "syslog");
  if (!milter::event_log().open(cfg.event_log) ||
      !milter::event_log().open_syslog(cfg.event_syslog))
    return kExOsErr;
  milter::set_snapshot(*snap);

  if (!milter::register_filter()) {
    telemetry::log_fatal("smfi_register failed");
    return kExOsErr;
  }
  std::string unix_path;
  if (socket.rfind("unix:", 0) == 0)
    unix_path = socket.substr(5);
  else if (socket.rfind("local:", 0) == 0)
    unix_path = socket.substr(6);
  if (!unix_path.empty() && !prepare_unix_socket(unix_path)) return kExOsErr;
  if (smfi_setconn(socket.data()) != MI_SUCCESS || smfi_settimeout(cfg.timeout) != MI_SUCCESS ||
      smfi_opensocket(false) != MI_SUCCESS) {
    telemetry::log_fatal("cannot open milter socket {}", socket);
    return kExOsErr;
  }
  if (!unix_path.empty() && !apply_socket_permissions(cfg, unix_path)) return kExOsErr;
  set_nodelay_on_listeners();
  if (!drop_privileges(cfg)) return kExOsErr;

  if (!foreground && daemon(0, 0) != 0) {
    telemetry::log_fatal("daemon: {}", std::strerror(errno));
    return kExOsErr;
  }

  if (pipe2(g_sigpipe, O_CLOEXEC) != 0) return kExOsErr;
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  for (int s : {SIGHUP, SIGTERM, SIGINT}) sigaction(s, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);

  telemetry::log_info("postern-milter {} listening on {} ({} policy file(s))", kVersion, socket,
                      (*snap)->policy.files.size());
  // /metrics ([metrics] listen). Mail flows without it. A reload that changes `listen`
  // binds the new address first and only then lets the old one go, so a bad address
  // keeps the endpoint that works.
  std::unique_ptr<milter::MetricsHttp> metrics;
  std::string metrics_at;  // "host:port" served now, "" for none
  auto serve_metrics = [&](const policy::Config& c) {
    const auto& mc = telemetry::metrics_config(c);
    const bool v6 = mc.host.find(':') != std::string::npos;
    const std::string where =
        mc.host.empty() ? ""
                        : fmt::format("{}{}{}:{}", v6 ? "[" : "", mc.host, v6 ? "]" : "", mc.port);
    if (where == metrics_at) return;
    if (where.empty()) {
      metrics.reset();
      metrics_at.clear();
      telemetry::log_info("metrics endpoint closed");
      return;
    }
    auto next = std::make_unique<milter::MetricsHttp>();
    if (!next->start(mc.host, mc.port)) {
      telemetry::log_error("cannot serve metrics on {}; {}", where,
                           metrics ? "the endpoint stays on " + metrics_at : "running without");
      return;
    }
    metrics = std::move(next);
    metrics_at = where;
    telemetry::log_info("metrics on http://{}/metrics", where);
  };
  serve_metrics(cfg);
  std::thread runner([] {
    int rc = smfi_main();
    unsigned char b = rc == MI_SUCCESS ? 0 : 255;
    [[maybe_unused]] auto n = ::write(g_sigpipe[1], &b, 1);
  });

  // The sandbox's release worker (attach/sandbox.hpp): a pass at start (records a
  // previous run left) and every [sandbox] interval, with the sandbox of the
  // current services (a reload that adds, changes or removes [sandbox] applies).
  std::mutex release_mu;
  std::condition_variable release_cv;
  bool release_stop = false;
  std::thread releaser([&] {
    std::unique_lock lk(release_mu);
    while (!release_stop) {
      auto set = services.current();
      auto sb = set ? set->get<attach::Sandbox>("attach.sandbox") : nullptr;
      std::chrono::seconds wait{30};
      if (sb) {
        wait = sb->settings().interval;
        lk.unlock();
        try {
          attach::PassReport r = sb->release_pass(std::chrono::system_clock::now());
          for (const auto& e : r.errors) telemetry::log_warn("sandbox: {}", e);
        } catch (const std::exception& e) {
          telemetry::log_error("sandbox: release pass: {}", e.what());
        }
        lk.lock();
      }
      release_cv.wait_for(lk, wait, [&] { return release_stop; });
    }
  });

  // The quarantine sweep (quarantine/store.hpp): hourly, expired entries and the
  // files no entry names, with the state store and [quarantine] dir current then.
  // Its count of what is kept feeds the quarantine gauges (as of the last sweep).
  static std::atomic<double> kept_entries{0}, kept_bytes{0};
  telemetry::metrics::gauge_callback(
      "postern_quarantine_messages",
      "Messages in postern's quarantine store (at the last hourly sweep)",
      [] { return kept_entries.load(); });
  telemetry::metrics::gauge_callback(
      "postern_quarantine_bytes",
      "Bytes of the messages in postern's quarantine store (at the last "
      "hourly sweep)",
      [] { return kept_bytes.load(); });
  std::thread sweeper([&] {
    std::unique_lock lk(release_mu);
    auto wait = std::chrono::seconds(10);  // the first sweep soon after start, then hourly
    while (!release_cv.wait_for(lk, wait, [&] { return release_stop; })) {
      wait = std::chrono::hours(1);
      auto set = services.current();
      auto st = set ? set->get<state::Store>(state::kStateService) : nullptr;
      auto current = milter::snapshot();
      if (!st || !current) continue;
      lk.unlock();
      quarantine::Store store(quarantine::quarantine_config(current->config).dir, st);
      auto r = store.sweep(state::now_seconds());
      if (r) {
        kept_entries = static_cast<double>(r->kept);
        kept_bytes = static_cast<double>(r->kept_bytes);
      }
      if (!r)
        telemetry::log_error("quarantine: sweep: {}", r.error());
      else if (r->entries || r->files || !r->errors.empty())
        telemetry::log_info("quarantine: swept {} expired entries, {} files{}", r->entries,
                            r->files, r->errors.empty() ? "" : "; " + r->errors.front());
      lk.lock();
    }
  });

  int exit_code = 0;
  for (;;) {
    unsigned char sig = 0;
    ssize_t n = ::read(g_sigpipe[0], &sig, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (sig == SIGHUP) {
      auto fresh = scan::load_snapshot(config_path, false, &services);
      if (!fresh) {
        print_errors(fresh.error());
        telemetry::metrics::count_reload(false);
        telemetry::log_error("reload failed; the previous configuration keeps serving");
        continue;
      }
      if ((*fresh)->config.event_log != milter::event_log().path() ||
          (*fresh)->config.event_syslog != milter::event_log().syslog_spec()) {
        milter::event_log().open((*fresh)->config.event_log);
        milter::event_log().open_syslog((*fresh)->config.event_syslog);
      } else {
        milter::event_log().reopen();
      }
      milter::set_snapshot(*fresh);
      serve_metrics((*fresh)->config);
      telemetry::metrics::count_reload(true);
      telemetry::log_info("reloaded: {} policy file(s)", (*fresh)->policy.files.size());
      continue;
    }
    if (sig == SIGTERM || sig == SIGINT) {
      telemetry::log_info("stopping: no new connections, draining {} open",
                          milter::active_sessions());
      smfi_stop();
      break;
    }
    // smfi_main returned on its own
    exit_code = sig == 0 ? 0 : kExOsErr;
    if (exit_code) telemetry::log_error("smfi_main failed");
    break;
  }
  runner.join();
  metrics.reset();
  {
    std::lock_guard lk(release_mu);
    release_stop = true;
  }
  release_cv.notify_all();
  releaser.join();
  sweeper.join();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (milter::active_sessions() > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (milter::active_sessions() > 0)
    telemetry::log_warn("{} connection(s) still open after 30 s; exiting (the MTA retries them)",
                        milter::active_sessions());
  if (!unix_path.empty()) ::unlink(unix_path.c_str());
  telemetry::log_info("stopped");
  return exit_code;
}
