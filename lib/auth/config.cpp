// [arc] and [dkim]: lib/auth's sections of postern.toml.
#include "auth/config.hpp"

#include <fmt/format.h>

#include "core/address.hpp"

namespace postern::auth {
namespace {

void read_dkim_key(policy::TomlSection s, const toml::table& t, DkimConfig& c,
                   const std::string& dir) {
  DkimKeyConfig k;
  k.line = static_cast<int>(t.source().begin.line);
  k.column = static_cast<int>(t.source().begin.column);
  auto domain = s.string("domain");
  auto selector = s.string("selector");
  auto key = s.string("key");
  if (auto v = s.string("algorithm")) {
    if (*v == "rsa-sha256" || *v == "ed25519-sha256")
      k.algorithm = *v;
    else
      s.error(*s.node("algorithm"), "'algorithm': expected \"rsa-sha256\" or \"ed25519-sha256\"");
  }
  if (auto v = s.boolean("subdomains")) k.subdomains = *v;
  bool ok = true;
  for (auto [v, name] : {std::pair{&domain, "domain"}, {&selector, "selector"}, {&key, "key"}}) {
    if (!*v || (*v)->empty()) {
      s.error_here(fmt::format("[[dkim.sign]]: '{}' is required", name));
      ok = false;
    }
  }
  if (ok) {
    k.domain = core::to_lower(*domain);
    if (k.domain.ends_with('.')) k.domain.pop_back();
    k.selector = *selector;
    k.key = policy::resolve_path(dir, *key);
    c.sign.push_back(std::move(k));
  }
  s.finish();
}

}  // namespace

void read_arc_config(policy::TomlSection& s, policy::Config& c, const std::string& dir) {
  ArcConfig a;
  if (auto v = s.string("seal")) {
    if (*v == "off")
      a.seal = ArcConfig::Seal::Off;
    else if (*v == "modified")
      a.seal = ArcConfig::Seal::Modified;
    else if (*v == "always")
      a.seal = ArcConfig::Seal::Always;
    else
      s.error(*s.node("seal"), "'seal' in [arc]: expected \"off\", \"modified\" or \"always\"");
  }
  if (auto v = s.string("domain")) a.domain = *v;
  if (auto v = s.string("selector")) a.selector = *v;
  if (auto v = s.string("key")) a.key = policy::resolve_path(dir, *v);
  if (auto v = s.integer("max_instances", 1, 50)) a.max_instances = static_cast<int>(*v);
  if (a.seal != ArcConfig::Seal::Off) {
    for (auto [key, value] : {std::pair{"domain", &a.domain}, std::pair{"selector", &a.selector},
                              std::pair{"key", &a.key}})
      if (value->empty()) s.error_here(fmt::format("[arc]: sealing needs '{}'", key));
  }
  s.finish();
  c.set_section(std::string(ArcConfig::kSection), std::move(a));
}

void read_dkim_config(policy::TomlSection& s, policy::Config& c, const std::string& dir) {
  DkimConfig k;
  if (auto v = s.boolean("allow_rsa_sha1")) k.allow_rsa_sha1 = *v;
  if (auto v = s.integer("min_key_bits", 512, 16384)) k.min_key_bits = static_cast<int>(*v);
  if (auto v = s.integer("max_signatures", 1, 100)) k.max_signatures = static_cast<int>(*v);
  if (auto v = s.string("verifier")) {
    if (*v == "native" || *v == "libopendkim")
      k.verifier = *v;
    else
      s.error(*s.node("verifier"), "'verifier' in [dkim]: expected \"native\" or \"libopendkim\"");
  }
  if (const toml::node* n = s.node("sign")) {
    const toml::array* arr = n->as_array();
    if (!arr) {
      s.error(*n, "'sign' in [dkim]: expected [[dkim.sign]] tables");
    } else {
      for (const auto& e : *arr) {
        if (const toml::table* t = e.as_table())
          read_dkim_key(policy::TomlSection(*t, "dkim.sign", s.file(), s.errors()), *t, k, dir);
        else
          s.error(e, "'sign' in [dkim]: expected [[dkim.sign]] tables");
      }
    }
  }
  s.finish();
  c.set_section(std::string(DkimConfig::kSection), std::move(k));
}

}  // namespace postern::auth
