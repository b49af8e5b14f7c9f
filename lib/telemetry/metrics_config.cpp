// [metrics] of postern.toml (see metrics_config.hpp).
#include "telemetry/metrics_config.hpp"

#include <charconv>

#include "core/ip.hpp"
#include "policy/config.hpp"
#include "policy/toml_reader.hpp"

namespace postern::telemetry {
namespace {

void read_metrics_config(policy::TomlSection& s, policy::Config& c, const std::string& /*dir*/) {
  MetricsConfig m;
  if (auto v = s.string("listen")) {
    if (v->empty()) {
      m.host.clear(), m.port = 0;
    } else if (auto l = parse_listen(*v)) {
      m.host = l->host, m.port = l->port;
    } else {
      s.error(*s.node("listen"),
              "'listen' in [metrics]: \"IP:PORT\" (\"127.0.0.1:9187\", \"[::1]:9187\"), or \"\" "
              "for no endpoint");
    }
  }
  s.finish();
  c.set_section(std::string(MetricsConfig::kSection), std::move(m));
}

}  // namespace

std::optional<Listen> parse_listen(std::string_view v) {
  size_t colon = v.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  std::string_view host = v.substr(0, colon), port = v.substr(colon + 1);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return std::nullopt;
    host = host.substr(1, host.size() - 2);
    if (host.find(':') == std::string_view::npos) return std::nullopt;
  } else if (host.find(':') != std::string_view::npos) {
    return std::nullopt;  // IPv6 goes in brackets
  }
  if (!core::IpAddress::parse(host)) return std::nullopt;
  unsigned p = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (port.empty() || ec != std::errc{} || end != port.data() + port.size() || p < 1 || p > 65535)
    return std::nullopt;
  return Listen{std::string(host), static_cast<uint16_t>(p)};
}

const MetricsConfig& metrics_config(const policy::Config& c) {
  return c.section<MetricsConfig>(MetricsConfig::kSection);
}

const core::Registration& registration() {
  static const core::Registration r{
      .folder = "telemetry",
      .config_sections = {{MetricsConfig::kSection, read_metrics_config}},
  };
  return r;
}

}  // namespace postern::telemetry
