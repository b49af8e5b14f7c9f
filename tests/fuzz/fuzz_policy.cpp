// Fuzz harness: a policy file's text (bounds pre-scan, TOML parsing, validation, error
// positions). A policy that loads must hold only finite scores and thresholds: a nan
// or an infinity that got through would switch the thresholds off, so it traps.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "policy/policy.hpp"

namespace {

void require_finite(double v) {
  if (!std::isfinite(v)) __builtin_trap();
}

void require_finite(const std::optional<double>& v) {
  if (v) require_finite(*v);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto p = postern::policy::parse_policy(
      std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.toml");
  if (p) {
    std::vector<const postern::policy::DirectionPolicy*> dirs = {
        &p->inbound, &p->outbound, &p->default_group.inbound, &p->default_group.outbound};
    for (const auto& g : p->groups) dirs.insert(dirs.end(), {&g.inbound, &g.outbound});
    for (const auto* d : dirs) {
      require_finite(d->thresholds.tag);
      require_finite(d->thresholds.quarantine);
      require_finite(d->thresholds.reject);
    }
    for (const auto& [sym, score] : p->scores) require_finite(score);
    for (const auto& l : p->lists) require_finite(l.score);
    for (const auto& z : p->dnsbl) {
      require_finite(z.score);
      for (const auto& [code, c] : z.codes) require_finite(c.score);
    }
    // A policy that validates must also decide: exercise the disposition with its own symbols.
    std::vector<postern::core::Finding> f;
    for (const auto& [sym, rule] : p->inbound.rules) f.push_back({sym, 1.0, ""});
    (void)postern::policy::decide(*p, postern::core::Direction::Inbound, f,
                                  postern::policy::When::EndOfMessage);
    for (const auto& g : p->groups)
      (void)postern::policy::decide(*p, g, postern::core::Direction::Outbound, f,
                                    postern::policy::When::EndOfMessage);
    for (const auto& l : p->lists) (void)l.match_address("user@example.com");
    (void)p->group_for("user@example.com");
  } else {
    for (const auto& e : p.error()) (void)e.to_string();
  }
  return 0;
}
