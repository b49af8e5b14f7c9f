// Engines: the scanners the attach stage asks about each file, made from
// postern.toml and kept as long-lived services: ClamAV (in process, or a
// clamd) and YARA rules.
//
// Contract: `read_clamav_config` / `read_yara_config` are the [clamav] and
// [yara] config readers; a section that is absent leaves the engine out.
//
//   [clamav]                              in-process libclamav
//   database_dirs = ["/var/lib/clamav", "/etc/postern/clamav"]
//   check_interval = 60                   seconds between checks for changed databases
//   clamd = "unix:/run/clamav/clamd.ctl"  ask this clamd instead (tcp:HOST:PORT too)
//   max_filesize, max_scansize (bytes), max_recursion, max_files, max_scantime (ms)
//   all_matches = false
//   heuristics = { macros = true, encrypted_archives = true, encrypted_documents = true,
//                  broken_executables = true, phishing = true, structured = false }
//
//   [yara]
//   dir = "/etc/postern/yara"             every *.yar / *.yara, compiled once
//   timeout = 5                           seconds per file
//
// The services: "attach.clamav" is an AvScanner (ClamService's engine, reloaded
// in the background when freshclam changes the files, or a clamd client);
// "attach.yara" the compiled YaraRules, remade at reload when a rule file
// changed. A service that cannot be made (no signatures, a rule that does not
// compile) is a config error: the daemon refuses to start, a reload keeps the
// old snapshot. Thread-safe once made.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "attach/clamav.hpp"
#include "attach/clamd.hpp"
#include "attach/yara.hpp"
#include "core/registration.hpp"

namespace postern::policy {
class TomlSection;
struct Config;
}  // namespace postern::policy

namespace postern::attach {

struct ClamavSettings {
  ClamConfig engine;
  std::chrono::seconds check_interval{60};
  std::optional<ClamdConfig> clamd;  // set: use this clamd, not the in-process engine
  bool operator==(const ClamavSettings& o) const;
};

struct YaraSettings {
  std::string dir{kDefaultYaraDir};
  int timeout_s = 5;
  bool operator==(const YaraSettings&) const = default;
};

void read_clamav_config(policy::TomlSection& s, policy::Config& c, const std::string& dir);
void read_yara_config(policy::TomlSection& s, policy::Config& c, const std::string& dir);

// ClamAV as the stage sees it: the engine serving now, or clamd.
class AvScanner {
 public:
  static postern::expected<std::shared_ptr<AvScanner>, std::string> make(const ClamavSettings& s);
  // `key`: the SHA-256 of data, for the in-process engine's cache of results (clamd
  // keeps its own).
  ScanResult scan(std::string_view data, std::string_view name, const Sha256* key = nullptr) const;
  const ClamavSettings& settings() const { return settings_; }
  std::string describe() const;  // "libclamav, N signatures" or "clamd at ADDRESS"

 private:
  ClamavSettings settings_;
  std::unique_ptr<ClamService> service_;
  std::optional<ClamdClient> clamd_;
};

core::ServiceEntry clamav_service();
core::ServiceEntry yara_service();

// The snapshot's YARA rules and their per-file timeout; null when [yara] is absent.
std::shared_ptr<const YaraRules> yara_rules(const core::ServiceSet& s, int& timeout_s);

}  // namespace postern::attach
