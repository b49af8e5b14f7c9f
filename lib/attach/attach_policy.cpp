// The [attachments] policy section reader (see attach_policy.hpp).
#include "attach/attach_policy.hpp"

#include <fmt/format.h>

#include <filesystem>

#include "core/address.hpp"
#include "policy/policy.hpp"
#include "policy/toml_reader.hpp"

namespace postern::attach {

void read_attach_policy(policy::TomlSection& s, policy::Policy& pol) {
  AttachPolicy a = pol.sections.section<AttachPolicy>("attachments");
  if (auto v = s.boolean("enabled")) a.enabled = *v;
  if (auto v = s.strings("banned_extensions")) {
    for (std::string e : *v) {
      if (!e.empty() && e.front() == '.') e.erase(0, 1);
      e = core::to_lower(e);
      if (e.empty() || e.size() > 20 || e.find_first_of(" ./\\") != std::string::npos) {
        s.error(*s.node("banned_extensions"),
                fmt::format("'banned_extensions': '{}' is not a file extension", e));
        continue;
      }
      a.banned_extensions.push_back(std::move(e));
    }
  }
  if (auto v = s.strings("banned_types")) {
    for (const auto& t : *v) {
      FileClass c;
      if (!parse_class(t, c) || c == FileClass::Unknown)
        s.error(*s.node("banned_types"),
                fmt::format("'banned_types': '{}' is not a file class (executable, script, "
                            "shortcut, disk-image, onenote, archive, html, ...)",
                            t));
      else
        a.banned_types.push_back(c);
    }
  }
  auto paths = [&](const char* key, std::vector<std::string>& out) {
    if (auto v = s.strings(key))
      for (const auto& p : *v) {
        if (p.empty()) {
          s.error(*s.node(key), fmt::format("'{}': expected file paths", key));
          continue;
        }
        std::filesystem::path fp(p);
        if (fp.is_relative()) fp = std::filesystem::path(s.file()).parent_path() / fp;
        out.push_back(fp.lexically_normal().string());
      }
  };
  paths("hash_feeds", a.hash_feeds);
  paths("known_good", a.known_good);
  if (auto v = s.integer("hash_feed_interval", 1, 86400)) a.hash_feed_interval = *v;
  if (auto v = s.integer("archive_max_depth", 1, 20)) a.archive.max_depth = unsigned(*v);
  if (auto v = s.integer("archive_max_entries", 1, 1000000)) a.archive.max_entries = size_t(*v);
  if (auto v = s.integer("archive_max_expanded", 1024, int64_t{16} << 30))
    a.archive.max_expanded_bytes = uint64_t(*v);
  if (auto v = s.integer("archive_max_member", 1024, int64_t{16} << 30))
    a.archive.max_member_bytes = uint64_t(*v);
  if (auto v = s.number("archive_max_ratio")) {
    if (*v < 2 || *v > 100000)
      s.error(*s.node("archive_max_ratio"), "'archive_max_ratio': expected 2 to 100000");
    else
      a.archive.max_ratio = *v;
  }
  if (auto v = s.boolean("archive_passwords")) a.archive_passwords = *v;
  if (a.banned_extensions.size() > kMaxBannedEntries || a.hash_feeds.size() > 100 ||
      a.known_good.size() > 100)
    s.error_here(
        fmt::format("[attachments]: at most {} banned extensions and 100 feeds of each kind",
                    kMaxBannedEntries));
  s.finish();
  pol.sections.set_section("attachments", std::move(a));
}

}  // namespace postern::attach
