// lib/limits: the [limits] section, the limits stage, the LIMIT_* symbols.
#include "limits/registration.hpp"

#include "limits/stage.hpp"
#include "limits/symbols.hpp"
#include "policy/config.hpp"
#include "policy/toml_reader.hpp"

namespace postern::limits {
namespace {

// [limits]: the bounds of every transaction (Config::limits, core::Limits).
void read_limits(policy::TomlSection& s, policy::Config& c, const std::string& /*dir*/) {
  constexpr int64_t kMax = int64_t{1} << 40;
  if (auto v = s.integer("message_size", 1024, kMax))
    c.limits.message_size = static_cast<size_t>(*v);
  if (auto v = s.integer("header_count", 1, 1000000))
    c.limits.header_count = static_cast<size_t>(*v);
  if (auto v = s.integer("header_line_length", 78, 1000000))
    c.limits.header_line_length = static_cast<size_t>(*v);
  if (auto v = s.integer("received_hops", 1, 1000))
    c.limits.received_hops = static_cast<size_t>(*v);
  if (auto v = s.integer("findings", 10, 100000)) c.limits.findings = static_cast<size_t>(*v);
  if (auto v = s.integer("mime_depth", 2, 1000)) c.limits.mime_depth = static_cast<size_t>(*v);
  if (auto v = s.integer("mime_parts", 2, 1000000)) c.limits.mime_parts = static_cast<size_t>(*v);
  if (auto v = s.integer("mime_header_bytes", 1024, kMax))
    c.limits.mime_header_bytes = static_cast<size_t>(*v);
  if (auto v = s.integer("mime_part_decoded", 1024, kMax))
    c.limits.mime_part_decoded = static_cast<size_t>(*v);
  if (auto v = s.integer("mime_total_decoded", 1024, kMax))
    c.limits.mime_total_decoded = static_cast<size_t>(*v);
  if (auto v = s.integer("scan_time_ms", 10, 600000))
    c.limits.scan_time_ms = static_cast<size_t>(*v);
  s.finish();
}

}  // namespace

const core::Registration& registration() {
  static const core::Registration r{
      .folder = "limits",
      .symbols = symbols(),
      .config_sections = {{"limits", read_limits}},
      .stages = {{.name = "limits",
                  .provides = {"limits"},
                  .make = [](const core::StageContext&) -> std::unique_ptr<core::Stage> {
                    return std::make_unique<LimitsStage>();
                  }}},
  };
  return r;
}

}  // namespace postern::limits
