// MetricsConfig: postern.toml's [metrics], where postern-milter serves its
// Prometheus metrics (telemetry/metrics.hpp), and lib/telemetry's registration.
//
// Contract: `read_metrics_config` is the [metrics] config reader: `listen` =
// "HOST:PORT" ("127.0.0.1:9187" by default; "[::1]:9187" for IPv6; "" = no
// endpoint). A host that is no IP address, a port outside 1..65535 or an unknown
// key is an error at file:line:column. `parse_listen` splits one value. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/registration.hpp"

namespace postern::policy {
struct Config;
}

namespace postern::telemetry {

inline constexpr std::string_view kDefaultMetricsListen = "127.0.0.1:9187";

struct MetricsConfig {
  static constexpr std::string_view kSection = "metrics";
  std::string host = "127.0.0.1";  // "" = no endpoint
  uint16_t port = 9187;
  bool operator==(const MetricsConfig&) const = default;
};

struct Listen {
  std::string host;
  uint16_t port = 0;
};
std::optional<Listen> parse_listen(std::string_view v);

const MetricsConfig& metrics_config(const policy::Config& c);

// [metrics] (the config section reader).
const core::Registration& registration();

}  // namespace postern::telemetry
