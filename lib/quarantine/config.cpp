// [quarantine] of postern.toml (see config.hpp).
#include "quarantine/config.hpp"

#include <fmt/format.h>

#include "policy/config.hpp"
#include "policy/toml_reader.hpp"

namespace postern::quarantine {
namespace {

// ADDRESS:PORT (an IPv6 address in brackets).
bool web_listen_ok(std::string_view v) {
  size_t colon = v.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 >= v.size() ||
      v.size() - colon > 6 ||
      v.find_first_not_of("0123456789", colon + 1) != std::string_view::npos)
    return false;
  return std::stoul(std::string(v.substr(colon + 1))) <= 65535;
}

void read_web(policy::TomlSection& s, WebConfig& w, const std::string& dir) {
  if (auto v = s.string("listen")) {
    if (web_listen_ok(*v))
      w.listen = *v;
    else
      s.error(*s.node("listen"),
              "'listen' in [quarantine.web]: expected ADDRESS:PORT, such as 127.0.0.1:8026");
  }
  if (auto v = s.string("password_file"))
    w.password_file = v->empty() ? "" : policy::resolve_path(dir, *v);
  if (auto v = s.string("trusted_header")) {
    const bool ok =
        v->size() <= 64 &&
        v->find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-") ==
            std::string::npos;
    if (ok)
      w.trusted_header = *v;
    else
      s.error(*s.node("trusted_header"),
              "'trusted_header' in [quarantine.web]: a header name (letters, digits, '-')");
  }
  if (auto v = s.integer("session_minutes", 5, 7 * 24 * 60)) w.session_minutes = *v;
  if (auto v = s.integer("threads", 1, 256)) w.threads = static_cast<int>(*v);
  if (auto v = s.integer("timeout_s", 1, 300)) w.timeout_s = static_cast<int>(*v);
  if (auto v = s.boolean("secure_cookie")) w.secure_cookie = *v;
  s.finish();
}

void read_digest(policy::TomlSection& s, DigestConfig& d) {
  if (auto v = s.string("url")) {
    const bool ok = (v->rfind("https://", 0) == 0 || v->rfind("http://", 0) == 0) &&
                    v->size() <= 200 && v->back() != '/' &&
                    v->find_first_of(" \t\r\n\"<>") == std::string::npos;
    if (ok)
      d.url = *v;
    else
      s.error(*s.node("url"),
              "'url' in [quarantine.digest]: http(s)://host[:port][/path], no trailing '/'");
  }
  if (auto v = s.string("from")) {
    const bool ok = v->size() <= 254 && v->find('@') != std::string::npos &&
                    v->find_first_of(" \t\r\n\"<>,;") == std::string::npos;
    if (ok)
      d.from = *v;
    else
      s.error(*s.node("from"),
              "'from' in [quarantine.digest]: an address, such as postmaster@example.com");
  }
  if (auto v = s.integer("link_days", 1, 90)) d.link_days = *v;
  if (auto v = s.integer("since_hours", 1, 720)) d.since_hours = *v;
  if (d.url.empty() != d.from.empty())
    s.error_here("[quarantine.digest]: 'url' and 'from' go together");
  s.finish();
}

}  // namespace

void read_quarantine_config(policy::TomlSection& s, policy::Config& c, const std::string& dir) {
  QuarantineConfig q;
  auto path = [&](const char* key, std::string& out) {
    if (auto v = s.string(key)) {
      if (v->empty())
        s.error(*s.node(key), fmt::format("'{}' in [quarantine]: a path, not empty", key));
      else
        out = policy::resolve_path(dir, *v);
    }
  };
  path("dir", q.dir);
  path("release_key", q.release_key);
  if (auto v = s.integer("max_message_bytes", 1024, int64_t{1} << 34))
    q.max_message_bytes = uint64_t(*v);
  if (auto v = s.integer("release_max_age", 60, 86400)) q.release_max_age = *v;
  if (auto v = s.strings("sendmail")) {
    if (v->empty() || v->size() > 16 || (*v)[0].empty() || (*v)[0][0] != '/')
      s.error(*s.node("sendmail"),
              "'sendmail' in [quarantine]: the command as an array, an absolute path first, at "
              "most 16 words");
    else
      q.sendmail = *v;
  }
  if (const toml::table* web = s.table("web")) {
    policy::TomlSection ws(*web, "quarantine.web", s.file(), s.errors());
    read_web(ws, q.web, dir);
  }
  if (const toml::table* digest = s.table("digest")) {
    policy::TomlSection ds(*digest, "quarantine.digest", s.file(), s.errors());
    read_digest(ds, q.digest);
  }
  s.finish();
  c.set_section(QuarantineConfig::kSection, std::move(q));
}

const QuarantineConfig& quarantine_config(const policy::Config& c) {
  static const QuarantineConfig defaults;
  return c.has_section(QuarantineConfig::kSection)
             ? c.section<QuarantineConfig>(QuarantineConfig::kSection)
             : defaults;
}

}  // namespace postern::quarantine
