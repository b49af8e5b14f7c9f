// AttachPolicy: the [attachments] policy section: what a site bans and where
// its hash feeds are.
//
// Contract: `read_attach_policy` is the PolicySection reader. Lists add up over
// the policy files (a later file appends to an earlier one's); scalars are
// replaced. Extensions are stored lower case without a dot; classes are the
// names of attach::FileClass ("executable", "disk-image", ...). Feed paths are
// made absolute against the policy file's directory. Errors are file:line:column.
//
//   [attachments]
//   enabled = true
//   banned_extensions = ["exe", "scr", ...]   also inside archives
//   banned_types = ["executable", "shortcut"] by detected class, whatever the name
//   hash_feeds = ["feeds/malwarebazaar.csv"]  known-bad SHA-256 lists
//   known_good = ["feeds/good.txt"]           files on these skip the other checks
//   hash_feed_interval = 60                   seconds between checks for changed feeds
//   archive_max_depth = 5                     archives in archives (the attachment is 1)
//   archive_max_entries = 2000                members of all archives of one message
//   archive_max_expanded = 268435456          bytes expanded from all of them
//   archive_max_member = 67108864             bytes of one member
//   archive_max_ratio = 200                   expanded/compressed, members over 1 MiB
//   archive_passwords = true                  try passwords the mail's text gives
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "attach/archive.hpp"
#include "attach/filetype.hpp"

namespace postern::policy {
class TomlSection;
struct Policy;
}  // namespace postern::policy

namespace postern::attach {

inline constexpr size_t kMaxBannedEntries = 1000;

struct AttachPolicy {
  bool enabled = true;
  std::vector<std::string> banned_extensions;
  std::vector<FileClass> banned_types;
  std::vector<std::string> hash_feeds, known_good;
  int64_t hash_feed_interval = 60;
  ArchiveLimits archive;
  bool archive_passwords = true;
};

void read_attach_policy(policy::TomlSection& s, policy::Policy& p);

}  // namespace postern::attach
