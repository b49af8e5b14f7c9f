// Config loading: [milter], [policy], [scan], [limits], [dns], [dkim], [arc], [log].
#include "policy/config.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <unistd.h>

#include <filesystem>

#include "core/address.hpp"
#include "policy/toml_reader.hpp"

namespace postern::policy {
namespace {

std::string resolve(const std::string& base_dir, const std::string& p) {
  if (p.empty() || p == "-" || p.front() == '/' || base_dir.empty()) return p;
  return (std::filesystem::path(base_dir) / p).lexically_normal().string();
}

std::optional<core::Action> action_value(TomlSection& s, const toml::node& n,
                                         std::string_view what) {
  auto v = n.value_exact<std::string>();
  auto a = v ? core::parse_action(*v) : std::nullopt;
  if (!a)
    s.error(n, fmt::format("{}: expected one of accept, tag, quarantine, tempfail, discard, reject",
                           what));
  return a;
}

void read_milter(TomlSection s, Config& c) {
  if (auto v = s.string("socket")) {
    if (v->rfind("unix:", 0) == 0 || v->rfind("local:", 0) == 0 || v->rfind("inet:", 0) == 0 ||
        v->rfind("inet6:", 0) == 0)
      c.socket = *v;
    else
      s.error(*s.node("socket"), "'socket': expected unix:PATH, inet:PORT@HOST or inet6:PORT@HOST");
  }
  if (auto v = s.string("socket_mode")) {
    try {
      size_t used = 0;
      unsigned long m = std::stoul(*v, &used, 8);
      if (used != v->size() || m > 0777) throw std::invalid_argument("range");
      c.socket_mode = static_cast<unsigned>(m);
    } catch (const std::exception&) {
      s.error(*s.node("socket_mode"), "'socket_mode': expected an octal mode such as \"0660\"");
    }
  }
  if (auto v = s.string("socket_group")) c.socket_group = *v;
  if (auto v = s.string("user")) c.user = *v;
  if (auto v = s.string("group")) c.group = *v;
  if (auto v = s.integer("timeout", 1, 3600)) c.timeout = static_cast<int>(*v);
  s.finish();
}

void read_policy(TomlSection s, Config& c, const std::string& dir) {
  if (auto v = s.strings("dirs")) {
    c.policy_dirs.clear();
    for (auto& d : *v) c.policy_dirs.push_back(resolve(dir, d));
  }
  s.finish();
}

void read_scan(TomlSection s, Config& c) {
  if (auto v = s.string("authserv_id")) c.authserv_id = *v;
  if (const toml::node* n = s.node("on_error"))
    if (auto a = action_value(s, *n, "'on_error'")) c.on_error = *a;
  if (const toml::table* t = s.table("stage_on_error")) {
    for (auto&& [k, v] : *t)
      if (auto a = action_value(s, v, fmt::format("'stage_on_error.{}'", k.str())))
        c.stage_on_error[std::string(k.str())] = *a;
  }
  s.finish();
}

void read_limits(TomlSection s, Config& c) {
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

// "IP" or "IP@PORT" (unbound's forward-addr syntax).
bool forwarder_ok(const std::string& f) {
  std::string ip = f.substr(0, f.find('@'));
  if (f.find('@') != std::string::npos) {
    std::string port = f.substr(f.find('@') + 1);
    if (port.empty() || port.size() > 5 ||
        port.find_first_not_of("0123456789") != std::string::npos || std::stoul(port) == 0 ||
        std::stoul(port) > 65535)
      return false;
  }
  unsigned char buf[16];
  return inet_pton(AF_INET, ip.c_str(), buf) == 1 || inet_pton(AF_INET6, ip.c_str(), buf) == 1;
}

void read_dns(TomlSection s, Config& c, const std::string& dir) {
  c.dns.configured = true;
  if (auto v = s.strings("forwarders")) {
    const toml::array* arr = s.node("forwarders")->as_array();
    for (size_t i = 0; i < v->size(); ++i) {
      if (forwarder_ok((*v)[i]))
        c.dns.forwarders.push_back((*v)[i]);
      else
        s.error(*arr->get(i), "'forwarders' in [dns]: expected an IP address, optionally @PORT");
    }
  }
  if (auto v = s.string("trust_anchor")) c.dns.trust_anchor = resolve(dir, *v);
  if (auto v = s.string("local_data")) c.dns.local_data = resolve(dir, *v);
  if (auto v = s.integer("timeout_ms", 10, 60000)) c.dns.timeout_ms = static_cast<int>(*v);
  if (auto v = s.integer("max_queries", 1, 10000)) c.dns.max_queries = static_cast<int>(*v);
  s.finish();
}

void read_arc(TomlSection s, Config& c, const std::string& dir) {
  if (auto v = s.string("seal")) {
    if (*v == "off")
      c.arc.seal = Config::Arc::Seal::Off;
    else if (*v == "modified")
      c.arc.seal = Config::Arc::Seal::Modified;
    else if (*v == "always")
      c.arc.seal = Config::Arc::Seal::Always;
    else
      s.error(*s.node("seal"), "'seal' in [arc]: expected \"off\", \"modified\" or \"always\"");
  }
  if (auto v = s.string("domain")) c.arc.domain = *v;
  if (auto v = s.string("selector")) c.arc.selector = *v;
  if (auto v = s.string("key")) c.arc.key = resolve(dir, *v);
  if (auto v = s.integer("max_instances", 1, 50)) c.arc.max_instances = static_cast<int>(*v);
  if (c.arc.seal != Config::Arc::Seal::Off) {
    for (auto [key, value] : {std::pair{"domain", &c.arc.domain},
                              std::pair{"selector", &c.arc.selector}, std::pair{"key", &c.arc.key}})
      if (value->empty()) s.error_here(fmt::format("[arc]: sealing needs '{}'", key));
  }
  s.finish();
}

void read_dkim_key(TomlSection s, const toml::table& t, Config& c, const std::string& dir) {
  Config::DkimKey k;
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
    k.key = resolve(dir, *key);
    c.dkim.sign.push_back(std::move(k));
  }
  s.finish();
}

void read_dkim(TomlSection s, Config& c, const std::string& dir) {
  if (auto v = s.boolean("allow_rsa_sha1")) c.dkim.allow_rsa_sha1 = *v;
  if (auto v = s.integer("min_key_bits", 512, 16384)) c.dkim.min_key_bits = static_cast<int>(*v);
  if (auto v = s.integer("max_signatures", 1, 100)) c.dkim.max_signatures = static_cast<int>(*v);
  if (auto v = s.string("verifier")) {
    if (*v == "native" || *v == "libopendkim")
      c.dkim.verifier = *v;
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
          read_dkim_key(TomlSection(*t, "dkim.sign", s.file(), s.errors()), *t, c, dir);
        else
          s.error(e, "'sign' in [dkim]: expected [[dkim.sign]] tables");
      }
    }
  }
  s.finish();
}

void read_log(TomlSection s, Config& c, const std::string& dir) {
  if (auto v = s.string("target")) {
    if (*v == "syslog" || *v == "stderr")
      c.log_target = *v;
    else
      s.error(*s.node("target"), "'target': expected \"syslog\" or \"stderr\"");
  }
  if (auto v = s.string("event_log")) c.event_log = resolve(dir, *v);
  s.finish();
}

}  // namespace

postern::expected<Config, Errors> load_config(const std::string& path, bool missing_ok) {
  Config c;
  if (missing_ok && !std::filesystem::exists(path)) return c;
  Errors errs;
  auto t = parse_toml_file(path, errs);
  if (!t) return postern::unexpected(errs);
  c.path = path;
  std::string dir = std::filesystem::path(path).parent_path().string();
  TomlSection top(*t, "", path, errs);
  if (const auto* m = top.table("milter")) read_milter(TomlSection(*m, "milter", path, errs), c);
  if (const auto* p = top.table("policy"))
    read_policy(TomlSection(*p, "policy", path, errs), c, dir);
  if (const auto* s = top.table("scan")) read_scan(TomlSection(*s, "scan", path, errs), c);
  if (const auto* l = top.table("limits")) read_limits(TomlSection(*l, "limits", path, errs), c);
  if (const auto* d = top.table("dns")) read_dns(TomlSection(*d, "dns", path, errs), c, dir);
  if (const auto* a = top.table("arc")) read_arc(TomlSection(*a, "arc", path, errs), c, dir);
  if (const auto* k = top.table("dkim")) read_dkim(TomlSection(*k, "dkim", path, errs), c, dir);
  if (const auto* l = top.table("log")) read_log(TomlSection(*l, "log", path, errs), c, dir);
  top.finish();
  if (!errs.empty()) return postern::unexpected(errs);
  return c;
}

}  // namespace postern::policy
