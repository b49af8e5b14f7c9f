// log: syslog(3) or stderr with a level prefix.
#include "telemetry/log.hpp"

#include <syslog.h>

#include <cstdio>
#include <mutex>

namespace postern::telemetry {
namespace {
std::mutex g_mu;
bool g_syslog = false;
std::string g_ident = "postern";
}  // namespace

void log_init(std::string_view ident, bool to_syslog) {
  std::lock_guard lk(g_mu);
  g_ident = std::string(ident);
  if (g_syslog) closelog();
  g_syslog = to_syslog;
  if (g_syslog) openlog(g_ident.c_str(), LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void log_line(LogLevel level, std::string_view message) {
  static constexpr const char* kNames[] = {"info", "warning", "error", "fatal"};
  static constexpr int kPrio[] = {LOG_INFO, LOG_WARNING, LOG_ERR, LOG_CRIT};
  int i = static_cast<int>(level);
  std::lock_guard lk(g_mu);
  if (g_syslog) {
    syslog(kPrio[i], "%s: %.*s", kNames[i], static_cast<int>(message.size()), message.data());
  } else {
    std::fprintf(stderr, "%s: %s: %.*s\n", g_ident.c_str(), kNames[i],
                 static_cast<int>(message.size()), message.data());
    std::fflush(stderr);
  }
}

}  // namespace postern::telemetry
