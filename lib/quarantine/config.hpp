// QuarantineConfig: postern.toml's [quarantine], where postern's quarantine store
// keeps message files and how a release is re-injected and verified.
//
// Contract: `read_quarantine_config` is the [quarantine] config reader
// (registered by lib/quarantine):
//   dir = "/var/lib/postern/quarantine"      message files (relative: to the config's dir)
//   max_message_bytes = 67108864             larger messages go to the hold queue instead
//   release_key = "/var/lib/postern/release.key"   HMAC key of X-Postern-Release
//                                            (created 0600 on first use)
//   release_max_age = 3600                   seconds a release header stays valid (60..86400)
//   sendmail = ["/usr/sbin/sendmail", "-G", "-i"]  release command; "-f SENDER -- RCPTS"
//                                            are appended
// Every value is checked, errors at file:line:column; unknown keys are errors.
// Without the section the defaults apply. `quarantine_config(c)` is the section
// (the defaults when absent). Pure.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace postern::policy {
struct Config;
class TomlSection;
}  // namespace postern::policy

namespace postern::quarantine {

struct QuarantineConfig {
  static constexpr const char* kSection = "quarantine";
  std::string dir = "/var/lib/postern/quarantine";
  uint64_t max_message_bytes = 64u << 20;
  std::string release_key = "/var/lib/postern/release.key";
  int64_t release_max_age = 3600;
  std::vector<std::string> sendmail{"/usr/sbin/sendmail", "-G", "-i"};
  bool operator==(const QuarantineConfig&) const = default;
};

void read_quarantine_config(policy::TomlSection& s, policy::Config& c, const std::string& dir);
const QuarantineConfig& quarantine_config(const policy::Config& c);

}  // namespace postern::quarantine
