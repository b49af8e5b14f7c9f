// Sandbox: files sent to an external analyzer (an ICAP server: an antivirus
// gateway or a dynamic sandbox's front end), and the mail held in the MTA's hold
// queue until it answers.
//
// Contract:
//  - `Analyzer` is what an analyzer plugs into: `analyze(data, name, deadline)`
//    gives Clean, Malicious (with the threat's name), TooLarge, or Unanswered
//    (with the reason: down, timed out, a garbled reply) within the deadline, and
//    never throws. `IcapAnalyzer` asks an ICAP server (icap.hpp). A dynamic
//    sandbox (CAPE, a commercial one) is another Analyzer, or an ICAP front end.
//  - `Sandbox` (the service "attach.sandbox", made from postern.toml's [sandbox])
//    owns the analyzer and the state directory:
//      verdicts/<sha256>   the verdict cache: "clean T" or "malicious T THREAT"
//      files/<sha256>      the bytes of each file a held message waits for
//      pending/<queue id>  one JSON record per held message
//    `verdict(sha, data, name)` (the sandbox stage, at end of message): the cached
//    verdict when it is younger than its TTL, else the analyzer's within
//    `inline_wait` (a Clean or Malicious answer is cached).
//    `hold(record, files)` (the sandbox disposer): writes every file, then the
//    record, each durably (core/state_file.hpp): once it returns nullopt the
//    record survives a crash; an error (disk full, bad queue id) is returned and
//    the message is tempfailed by the disposer, never held without a record.
//    `release_pass(now)` (the daemon's release worker, `postern sandbox run`):
//    for each record, asks the analyzer (with the full `deadline`) about every
//    file without a verdict; all clean → the release command; one malicious →
//    `on_malicious` (the delete command, or hold: left in the hold queue for an
//    operator); older than `hold_timeout` with files unanswered → `on_timeout`
//    (release, delete or hold). A record is removed only after its command
//    exited 0 (a failed command is retried at the next pass), and the files no
//    record names any more are removed. Passes are serialised across processes
//    (flock on "<state_dir>/lock").
// Thread-safe: verdict() and hold() from any thread; release_pass from any
// (serialised). Queue ids are 1-64 ASCII letters and digits (Postfix short and
// long ids, Sendmail's): anything else is refused, so a record's name is never
// a path trick and a command never gets an option.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "attach/icap.hpp"
#include "core/expected.hpp"
#include "core/registration.hpp"

namespace postern::policy {
class TomlSection;
struct Config;
}  // namespace postern::policy

namespace postern::attach {

struct SandboxVerdict {
  enum class Kind { Clean, Malicious, TooLarge, Unanswered };
  Kind kind = Kind::Unanswered;
  std::string detail;  // Malicious: the threat; Unanswered: why
  bool cached = false;
};
std::string_view to_string(SandboxVerdict::Kind k);  // "clean", "malicious", ...

class Analyzer {
 public:
  virtual ~Analyzer() = default;
  virtual std::string describe() const = 0;
  virtual SandboxVerdict analyze(std::string_view data, std::string_view name,
                                 std::chrono::milliseconds deadline) const = 0;
};

class IcapAnalyzer final : public Analyzer {
 public:
  explicit IcapAnalyzer(IcapConfig c) : config_(std::move(c)) {}
  std::string describe() const override;
  SandboxVerdict analyze(std::string_view data, std::string_view name,
                         std::chrono::milliseconds deadline) const override;

 private:
  IcapConfig config_;
};

// What to do with a held message: let it go, delete it, or leave it held.
enum class HoldEnd { Release, Delete, Hold };
std::string_view to_string(HoldEnd e);

struct SandboxSettings {
  std::string url;  // icap://host:port/service
  IcapConfig icap;
  std::string state_dir = "/var/lib/postern/sandbox";
  std::chrono::milliseconds inline_wait{5000};
  std::chrono::seconds deadline{600};
  std::chrono::seconds interval{30};
  std::chrono::seconds hold_timeout{3600};
  std::chrono::seconds clean_ttl{7 * 86400};
  std::chrono::seconds malicious_ttl{30 * 86400};
  HoldEnd on_timeout = HoldEnd::Hold;
  HoldEnd on_malicious = HoldEnd::Delete;
  // argv; "{id}" is replaced by the queue id.
  // Postfix: out of the hold queue, then delivered now (not at the next queue run).
  std::vector<std::string> release_command{
      "/bin/sh", "-c", "/usr/sbin/postsuper -H \"$0\" && /usr/sbin/postqueue -i \"$0\"", "{id}"};
  std::vector<std::string> delete_command{"/usr/sbin/postsuper", "-d", "{id}", "hold"};
  bool operator==(const SandboxSettings&) const = default;
};

void read_sandbox_config(policy::TomlSection& s, policy::Config& c, const std::string& dir);

bool valid_queue_id(std::string_view id);

struct PendingFile {
  std::string sha256;
  std::string name;
};

struct PendingRecord {
  std::string queue_id;
  std::string scan_id;
  int64_t held_at = 0;  // unix seconds
  std::vector<PendingFile> files;
};

// What one release pass did, for the log and the tests.
struct PassReport {
  struct Done {
    std::string queue_id;
    HoldEnd end = HoldEnd::Hold;
    std::string why;  // "clean", "malicious: NAME", "timeout"
  };
  std::vector<Done> done;           // records ended this pass
  size_t waiting = 0;               // records still waiting for a verdict
  std::vector<std::string> errors;  // commands that failed, records that do not read
};

class Sandbox {
 public:
  // Creates the state directory's folders (an error names what failed).
  static postern::expected<std::shared_ptr<Sandbox>, std::string> make(
      SandboxSettings s, std::shared_ptr<const Analyzer> analyzer = nullptr);
  const SandboxSettings& settings() const { return settings_; }
  std::string describe() const { return analyzer_->describe(); }

  SandboxVerdict verdict(std::string_view sha256, std::string_view data,
                         std::string_view name) const;
  struct HeldFile {
    PendingFile file;
    std::shared_ptr<const std::string> data;
  };
  std::optional<std::string> hold(const PendingRecord& record,
                                  const std::vector<HeldFile>& files) const;
  std::vector<PendingRecord> pending() const;  // every readable record
  PassReport release_pass(std::chrono::system_clock::time_point now) const;

  // The cache, also for tests and `postern sandbox`.
  std::optional<SandboxVerdict> cached(std::string_view sha256,
                                       std::chrono::system_clock::time_point now) const;
  std::optional<std::string> remember(std::string_view sha256, const SandboxVerdict& v,
                                      std::chrono::system_clock::time_point now) const;

 private:
  Sandbox(SandboxSettings s, std::shared_ptr<const Analyzer> a)
      : settings_(std::move(s)), analyzer_(std::move(a)) {}
  std::string path(std::string_view folder, std::string_view name) const;
  bool run(const std::vector<std::string>& command, const std::string& id,
           std::string& error) const;

  SandboxSettings settings_;
  std::shared_ptr<const Analyzer> analyzer_;
};

core::ServiceEntry sandbox_service();

}  // namespace postern::attach
