// The serving loop of postern's HTTP daemons (see http_serve.hpp).
#include "tools/http_serve.hpp"

#include <signal.h>
#include <unistd.h>

#include <thread>

#include "core/version.hpp"
#include "telemetry/log.hpp"

namespace postern::tools {
namespace {

sigset_t daemon_signals() {
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGHUP);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  return sigs;
}

}  // namespace

void block_daemon_signals() {
  sigset_t sigs = daemon_signals();
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

void configure(httplib::Server& svr, const ServerLimits& limits, httplib::Server::Handler handler) {
  const auto threads = static_cast<size_t>(limits.threads);
  svr.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  svr.set_read_timeout(limits.timeout_s, 0);
  svr.set_write_timeout(limits.timeout_s, 0);
  svr.set_keep_alive_max_count(limits.keep_alive);
  svr.set_keep_alive_timeout(5);
  svr.set_payload_max_length(limits.max_body);
  svr.Get(".*", handler);
  svr.Post(".*", handler);
  svr.Put(".*", handler);
  svr.Delete(".*", handler);
  svr.Patch(".*", handler);
  svr.Options(".*", handler);
}

int serve(httplib::Server& svr, const std::string& listen, const std::function<void()>& on_hup,
          std::string_view name) {
  std::string host = listen.substr(0, listen.rfind(':'));
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  int port = std::stoi(listen.substr(listen.rfind(':') + 1));
  if (!svr.bind_to_port(host.c_str(), port)) {
    telemetry::log_error("cannot listen on {}", listen);
    return kExOsErr;
  }
  const sigset_t sigs = daemon_signals();
  std::thread signals([&] {
    while (true) {
      int sig = 0;
      if (sigwait(&sigs, &sig) != 0) continue;
      if (sig == SIGHUP) {
        on_hup();
        continue;
      }
      svr.stop();
      return;
    }
  });
  telemetry::log_info("{} {} listening on {}", name, postern::kVersion, listen);
  svr.listen_after_bind();
  if (signals.joinable()) {
    // listen returned without a signal (an error): wake the signal thread to end it.
    ::kill(::getpid(), SIGTERM);
    signals.join();
  }
  return 0;
}

}  // namespace postern::tools
