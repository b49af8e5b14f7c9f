// Config loading: the common sections [milter], [policy], [scan], [log]; the
// folders' sections through their registered readers.
#include "policy/config.hpp"

#include <fmt/format.h>

#include <filesystem>

#include "policy/toml_reader.hpp"
#include "telemetry/event_log.hpp"

namespace postern::policy {

std::string resolve_path(const std::string& base_dir, const std::string& p) {
  if (p.empty() || p == "-" || p.front() == '/' || base_dir.empty()) return p;
  return (std::filesystem::path(base_dir) / p).lexically_normal().string();
}

namespace {

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
    for (auto& d : *v) c.policy_dirs.push_back(resolve_path(dir, d));
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

void read_log(TomlSection s, Config& c, const std::string& dir) {
  if (auto v = s.string("target")) {
    if (*v == "syslog" || *v == "stderr")
      c.log_target = *v;
    else
      s.error(*s.node("target"), "'target': expected \"syslog\" or \"stderr\"");
  }
  if (auto v = s.string("event_log")) c.event_log = resolve_path(dir, *v);
  if (auto v = s.string("event_syslog")) {
    const size_t colon = v->find(':');
    const std::string socket = colon == std::string::npos ? "/dev/log" : v->substr(colon + 1);
    if (v->empty())
      c.event_syslog.clear();
    else if (!telemetry::syslog_facility(std::string_view(*v).substr(0, colon)))
      s.error(*s.node("event_syslog"),
              "'event_syslog': expected a facility (mail, daemon, user, local0..local7), "
              "optionally followed by :SOCKET");
    else if (socket.empty() || socket.front() != '/')
      s.error(*s.node("event_syslog"), "'event_syslog': the socket must be an absolute path");
    else
      c.event_syslog = *v;
  }
  s.finish();
}

}  // namespace

postern::expected<Config, Errors> load_config(const std::string& path, bool missing_ok,
                                              std::span<const core::ConfigSection> readers) {
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
  for (const auto& r : readers) {
    if (const auto* t = top.table(r.name)) {
      TomlSection s(*t, std::string(r.name), path, errs);
      r.read(s, c, dir);
    }
  }
  if (const auto* l = top.table("log")) read_log(TomlSection(*l, "log", path, errs), c, dir);
  top.finish();
  if (!errs.empty()) return postern::unexpected(errs);
  return c;
}

}  // namespace postern::policy
