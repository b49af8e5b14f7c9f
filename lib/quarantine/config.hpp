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
//   [quarantine.web]                         postern-quarantined, the web page
//   listen = "127.0.0.1:8026"                ADDRESS:PORT
//   password_file = ""                       "user:hash" lines (`postern quarantine passwd`)
//   trusted_header = ""                      e.g. "X-Remote-User", set by the reverse proxy
//                                            (honoured only from a loopback peer)
//   session_minutes = 480                    a login lasts this long (5..10080)
//   threads = 4, timeout_s = 10              requests at once; read/write timeout
//   secure_cookie = true                     the session cookie is sent over HTTPS only
//   [quarantine.digest]                      `postern quarantine digest`, the end-user mail
//   url = ""                                 the web page as recipients reach it (https://...;
//                                            "" = no digest)
//   from = ""                                the digest's sender address (required with url)
//   link_days = 7                            how long its links work (1..90)
//   since_hours = 24                         it lists what was quarantined this long ago (1..720)
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

struct WebConfig {
  std::string listen = "127.0.0.1:8026";
  std::string password_file;   // "" = no password logins
  std::string trusted_header;  // "" = no proxy header
  int64_t session_minutes = 480;
  int threads = 4;
  int timeout_s = 10;
  bool secure_cookie = true;  // the session cookie is Secure (behind a TLS proxy)
  bool operator==(const WebConfig&) const = default;
};

struct DigestConfig {
  std::string url;
  std::string from;
  int64_t link_days = 7;
  int64_t since_hours = 24;
  bool operator==(const DigestConfig&) const = default;
};

struct QuarantineConfig {
  static constexpr const char* kSection = "quarantine";
  std::string dir = "/var/lib/postern/quarantine";
  uint64_t max_message_bytes = 64u << 20;
  std::string release_key = "/var/lib/postern/release.key";
  int64_t release_max_age = 3600;
  std::vector<std::string> sendmail{"/usr/sbin/sendmail", "-G", "-i"};
  WebConfig web;
  DigestConfig digest;
  bool operator==(const QuarantineConfig&) const = default;
};

void read_quarantine_config(policy::TomlSection& s, policy::Config& c, const std::string& dir);
const QuarantineConfig& quarantine_config(const policy::Config& c);

}  // namespace postern::quarantine
