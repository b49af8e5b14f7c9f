// Fuzz harness: a policy file's text (TOML parsing, validation, error positions).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "policy/policy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto p = postern::policy::parse_policy(
      std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.toml");
  if (p) {
    // A policy that validates must also decide: exercise the disposition with its own symbols.
    std::vector<postern::core::Finding> f;
    for (const auto& [sym, rule] : p->inbound.rules) f.push_back({sym, 1.0, ""});
    (void)postern::policy::decide(*p, postern::core::Direction::Inbound, f,
                                  postern::policy::When::EndOfMessage);
    for (const auto& l : p->lists) (void)l.match_address("user@example.com");
  } else {
    for (const auto& e : p.error()) (void)e.to_string();
  }
  return 0;
}
