// `postern status`: what postern-milter's metrics endpoint says, for a person.
//
// Contract: fetches http://HOST:PORT/metrics ([metrics] listen of the config,
// or `url`), reads it (telemetry::metrics::parse_text) and prints a short table:
// messages by action, direction and group; the most frequent findings; stage
// time (messages, mean and the bucket under which 95 % fell); DNS queries and
// failures; reloads; state errors; the quarantine when its gauges are there.
// `format_status` is that table from samples (pure). Returns 0, 1 when the
// endpoint cannot be read, 2 for a bad config.
#pragma once

#include <string>
#include <vector>

#include "telemetry/metrics.hpp"

namespace postern::tools {

struct StatusOptions {
  std::string config_path;
  bool config_explicit = false;
  std::string url;  // http://127.0.0.1:9187/metrics; "" = from the config
  size_t top = 10;  // findings shown
};

std::string format_status(const std::vector<telemetry::metrics::ParsedSample>& samples, size_t top);
int run_status(const StatusOptions& o);

}  // namespace postern::tools
