// MetricsHttp: /metrics over cpp-httplib (see metrics_http.hpp).
#include "milter/metrics_http.hpp"

#include <httplib.h>

#include <chrono>

#include "telemetry/metrics.hpp"

namespace postern::milter {

MetricsHttp::MetricsHttp() = default;

MetricsHttp::~MetricsHttp() {
  stop();
}

bool MetricsHttp::start(const std::string& host, uint16_t port) {
  stop();
  svr_ = std::make_unique<httplib::Server>();
  svr_->new_task_queue = [] { return new httplib::ThreadPool(2); };
  svr_->set_read_timeout(5, 0);
  svr_->set_write_timeout(5, 0);
  svr_->set_payload_max_length(1024);
  svr_->Get("/metrics", [](const httplib::Request&, httplib::Response& res) {
    res.set_header("Cache-Control", "no-store");
    res.set_content(telemetry::metrics::global().render(),
                    "text/plain; version=0.0.4; charset=utf-8");
  });
  auto not_allowed = [](const httplib::Request&, httplib::Response& res) { res.status = 405; };
  svr_->Post(".*", not_allowed);
  svr_->Put(".*", not_allowed);
  svr_->Delete(".*", not_allowed);
  svr_->Patch(".*", not_allowed);
  if (!svr_->bind_to_port(host.c_str(), port)) {
    svr_.reset();
    return false;
  }
  thread_ = std::thread([s = svr_.get()] { s->listen_after_bind(); });
  // stop() before the thread listens would leave it in accept(): wait until it runs.
  for (int i = 0; i < 200 && !svr_->is_running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  return true;
}

void MetricsHttp::stop() {
  if (!svr_) return;
  svr_->stop();
  if (thread_.joinable()) thread_.join();
  svr_.reset();
}

}  // namespace postern::milter
