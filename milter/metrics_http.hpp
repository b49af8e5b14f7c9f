// MetricsHttp: postern-milter's Prometheus endpoint ([metrics] listen of
// postern.toml): GET /metrics answers telemetry::metrics::global().render() in
// the text exposition format 0.0.4; every other path is 404, every other method
// 405.
//
// Contract: `start` binds (false, and nothing runs, when it cannot: the caller
// logs it; mail keeps flowing without metrics) and serves on two threads of its
// own; `stop` (and the destructor) ends them. Requests are small: at most 1 KiB
// of body, 5 s read and write timeouts. Not copyable; start and stop from one
// thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <thread>

namespace httplib {
class Server;
}

namespace postern::milter {

class MetricsHttp {
 public:
  MetricsHttp();
  ~MetricsHttp();
  MetricsHttp(const MetricsHttp&) = delete;
  MetricsHttp& operator=(const MetricsHttp&) = delete;

  bool start(const std::string& host, uint16_t port);
  void stop();

 private:
  std::unique_ptr<httplib::Server> svr_;
  std::thread thread_;
};

}  // namespace postern::milter
