// lib/state: [state] and the "state" service (see registration.hpp).
#include "state/registration.hpp"

#include <array>

#include "policy/config.hpp"
#include "state/config.hpp"
#include "state/store.hpp"

namespace postern::state {
namespace {

constexpr std::array kSymbols{
    core::SymbolInfo{"STATE_UNAVAILABLE", 0.0, core::Scope::Transaction,
                     "the state store did not answer (Redis down, the file locked): a check "
                     "that needs it was skipped (its on_error is accept)"},
};

}  // namespace

const core::Registration& registration() {
  static const core::Registration r{
      .folder = "state",
      .symbols = kSymbols,
      .config_sections = {{StateConfig::kSection, read_state_config}},
      .services = {{.name = kStateService,
                    .make = [](const policy::Config& c, const policy::Policy&,
                               std::string& error) -> std::shared_ptr<void> {
                      auto s = open_store(c);
                      if (!s) {
                        error = s.error();
                        return nullptr;
                      }
                      return *s;
                    },
                    // Remade only when [state] (or the default file's availability) changes.
                    .changed =
                        [](const void* current, const policy::Config& old_config,
                           const policy::Config& c, const policy::Policy&) {
                          if (!(state_config(old_config) == state_config(c))) return true;
                          if (state_config(c).backend == Backend::Redis) return !current;
                          const std::string path = sqlite_path(c);
                          if (!current) return !path.empty();
                          return static_cast<const Store*>(current)->describe() != "sqlite:" + path;
                        }}},
  };
  return r;
}

}  // namespace postern::state
