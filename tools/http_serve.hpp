// The serving loop of postern's HTTP daemons (postern-clickd, postern-quarantined):
// signals and the listening socket.
//
// Contract: call `block_daemon_signals()` first in main, before any thread starts
// (so every thread inherits the mask): it blocks SIGHUP, SIGTERM and SIGINT and
// ignores SIGPIPE. `serve(svr, listen, on_hup, name)` binds `svr` to `listen`
// (ADDRESS:PORT or [IPv6]:PORT), then serves until SIGTERM or SIGINT; a thread of its
// own waits for the signals and runs `on_hup` at each SIGHUP. Returns 0 after a
// signal, kExOsErr (71) when it cannot bind (logged). `configure(svr, limits, handler)`
// sets the thread pool, timeouts, keep-alive and body limits, and routes every method
// and path to `handler` (HEAD too: cpp-httplib answers it with the GET handler, no body).
#pragma once

#include <httplib.h>

#include <functional>
#include <string>
#include <string_view>

namespace postern::tools {

inline constexpr int kExOsErr = 71;

struct ServerLimits {
  int threads = 4;         // requests served at once
  int timeout_s = 10;      // read and write timeout
  size_t max_body = 1024;  // request body bytes
  size_t keep_alive = 20;  // requests per connection
};

void block_daemon_signals();
void configure(httplib::Server& svr, const ServerLimits& limits, httplib::Server::Handler handler);
int serve(httplib::Server& svr, const std::string& listen, const std::function<void()>& on_hup,
          std::string_view name);

}  // namespace postern::tools
