// lib/dns: the [dns] section and the resolver service.
#include "dns/registration.hpp"

#include "dns/config.hpp"
#include "policy/config.hpp"

namespace postern::dns {

const core::Registration& registration() {
  static const core::Registration r{
      .folder = "dns",
      .config_sections = {{Config::kSection, read_config}},
      // The resolver outlives policy snapshots: remade only when [dns] is added,
      // removed, or a resolver option or file changed. See dns/resolver.hpp.
      .services = {{.name = "dns.resolver",
                    .make = [](const policy::Config& c, const policy::Policy&,
                               std::string& error) -> std::shared_ptr<void> {
                      if (!c.has_section(Config::kSection)) return nullptr;
                      auto r = Resolver::create(options(config_of(c)));
                      if (!r) {
                        error = "[dns]: " + r.error();
                        return nullptr;
                      }
                      return *r;
                    },
                    .changed =
                        [](const void*, const policy::Config& old_config,
                           const policy::Config& config, const policy::Policy&) {
                          return old_config.has_section(Config::kSection) !=
                                     config.has_section(Config::kSection) ||
                                 resolver_changed(config_of(old_config), config_of(config));
                        }}},
  };
  return r;
}

}  // namespace postern::dns
