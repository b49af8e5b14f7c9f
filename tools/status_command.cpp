// `postern status` (see status_command.hpp).
#include "tools/status_command.hpp"

#include <fmt/format.h>
#include <httplib.h>

#include <algorithm>
#include <map>

#include "scan/registry.hpp"
#include "telemetry/metrics_config.hpp"

namespace postern::tools {
namespace {

using telemetry::metrics::kSecondsBuckets;
using telemetry::metrics::ParsedSample;

std::string count(double v) {
  return fmt::format("{}", static_cast<uint64_t>(v));
}

}  // namespace

std::string format_status(const std::vector<ParsedSample>& samples, size_t top) {
  std::string out;
  std::map<std::string, double> total;  // by name, labels summed
  for (const auto& s : samples) total[s.name] += s.value;
  for (const auto& s : samples)
    if (s.name == "postern_build_info") out += fmt::format("postern {}\n", s.label("version"));

  out += fmt::format("\n{:<44} {:>12}\n", "messages (action direction group)",
                     count(total["postern_messages_total"]));
  for (const auto& s : samples)
    if (s.name == "postern_messages_total")
      out += fmt::format(
          "  {:<42} {:>12}\n",
          fmt::format("{} {} {}", s.label("action"), s.label("direction"), s.label("group")),
          count(s.value));

  std::vector<const ParsedSample*> findings;
  for (const auto& s : samples)
    if (s.name == "postern_findings_total") findings.push_back(&s);
  std::stable_sort(findings.begin(), findings.end(),
                   [](const auto* a, const auto* b) { return a->value > b->value; });
  out += fmt::format(
      "\n{:<44} {:>12}\n",
      fmt::format("findings (top {} of {})", std::min(top, findings.size()), findings.size()),
      count(total["postern_findings_total"]));
  for (size_t i = 0; i < findings.size() && i < top; ++i)
    out +=
        fmt::format("  {:<42} {:>12}\n", findings[i]->label("symbol"), count(findings[i]->value));

  // Stage time: count, mean, and the smallest bucket bound with 95 % of the messages.
  std::map<std::string, std::vector<std::pair<double, double>>> buckets;  // stage -> (le, n)
  std::map<std::string, double> sums, counts;
  for (const auto& s : samples) {
    if (s.name == "postern_stage_seconds_bucket") {
      std::string le(s.label("le"));
      double bound = le == "+Inf" ? 1e300 : std::strtod(le.c_str(), nullptr);
      buckets[std::string(s.label("stage"))].push_back({bound, s.value});
    } else if (s.name == "postern_stage_seconds_sum") {
      sums[std::string(s.label("stage"))] = s.value;
    } else if (s.name == "postern_stage_seconds_count") {
      counts[std::string(s.label("stage"))] = s.value;
    }
  }
  if (!counts.empty()) {
    out +=
        fmt::format("\n{:<24} {:>10} {:>10} {:>10}\n", "stage", "messages", "mean ms", "p95 <= ms");
    for (const auto& [stage, n] : counts) {
      auto& b = buckets[stage];
      std::sort(b.begin(), b.end());
      std::string p95 = "-";
      for (const auto& [le, c] : b)
        if (n > 0 && c >= 0.95 * n) {
          p95 = le >= 1e300 ? fmt::format("> {}", kSecondsBuckets.back() * 1000)
                            : fmt::format("{}", le * 1000);
          break;
        }
      out += fmt::format("  {:<22} {:>10} {:>10.3f} {:>10}\n", stage, count(n),
                         n > 0 ? sums[stage] / n * 1000 : 0.0, p95);
    }
  }
  out += fmt::format("\n{:<44} {:>12}\n", "DNS queries", count(total["postern_dns_queries_total"]));
  out += fmt::format("{:<44} {:>12}\n", "DNS failures", count(total["postern_dns_failures_total"]));
  for (const auto& s : samples)
    if (s.name == "postern_reloads_total")
      out += fmt::format("{:<44} {:>12}\n", fmt::format("reloads {}", s.label("result")),
                         count(s.value));
  out += fmt::format("{:<44} {:>12}\n", "state store errors",
                     count(total["postern_state_errors_total"]));
  if (total.contains("postern_quarantine_messages"))
    out += fmt::format("{:<44} {:>12}\n", "quarantine messages",
                       count(total["postern_quarantine_messages"]));
  if (total.contains("postern_quarantine_bytes"))
    out += fmt::format("{:<44} {:>12}\n", "quarantine bytes",
                       count(total["postern_quarantine_bytes"]));
  return out;
}

int run_status(const StatusOptions& o) {
  std::string url = o.url;
  if (url.empty()) {
    auto cfg = scan::load_config(o.config_path, !o.config_explicit);
    if (!cfg) {
      for (const auto& e : cfg.error()) fmt::print(stderr, "{}\n", e.to_string());
      return 2;
    }
    const auto& mc = telemetry::metrics_config(*cfg);
    if (mc.host.empty()) {
      fmt::print(stderr, "{}: [metrics] listen = \"\": the daemon serves no metrics\n",
                 o.config_path);
      return 1;
    }
    const bool v6 = mc.host.find(':') != std::string::npos;
    url = fmt::format("http://{}{}{}:{}/metrics", v6 ? "[" : "", mc.host, v6 ? "]" : "", mc.port);
  }
  // http://host:port/path
  constexpr std::string_view kScheme = "http://";
  if (url.rfind(kScheme, 0) != 0) {
    fmt::print(stderr, "status: {}: only http:// URLs\n", url);
    return 2;
  }
  size_t slash = url.find('/', kScheme.size());
  std::string origin = url.substr(0, slash);
  std::string path = slash == std::string::npos ? "/metrics" : url.substr(slash);
  httplib::Client cli(origin);
  cli.set_connection_timeout(3, 0);
  cli.set_read_timeout(5, 0);
  auto res = cli.Get(path);
  if (!res || res->status != 200) {
    fmt::print(stderr, "status: {}: {}\n", url,
               res ? fmt::format("HTTP {}", res->status) : httplib::to_string(res.error()));
    return 1;
  }
  fmt::print("{} ({})\n{}", url, "postern-milter",
             format_status(telemetry::metrics::parse_text(res->body), o.top));
  return 0;
}

}  // namespace postern::tools
