// [quarantine] of postern.toml (see config.hpp).
#include "quarantine/config.hpp"

#include <fmt/format.h>

#include "policy/config.hpp"
#include "policy/toml_reader.hpp"

namespace postern::quarantine {

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
