// `postern scan`: runs message files through the same Session the milter uses.
//
// Contract: returns the process exit code: 0 when every file was scanned
// (whatever the verdicts), 1 when the config or policy is bad, 2 when a file
// could not be read, or --out was given with more than one file. Output: a
// human report per message, or with `json` the event object, one line per
// message. With `out` (one message file only) the message is also written
// exactly as it would leave the milter: every header edit, the subject, the
// replaced body and every finisher's field (Authentication-Results, ARC,
// DKIM-Signature) applied, added fields folded as the milter folds them; "-"
// writes it to standard output and the report to standard error. A message that
// would not leave (reject, tempfail, discard) writes nothing and says so on
// standard error.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "core/outcome.hpp"
#include "policy/error.hpp"
#include "scan/snapshot.hpp"

namespace postern::tools {

struct ScanOptions {
  std::string config_path;
  bool config_explicit = false;
  std::vector<std::string> policy_dirs;  // replaces the config's dirs when given
  bool no_state = false;                 // open no state store, whatever the config says
  std::string from;
  bool from_given = false;
  std::vector<std::string> rcpts;
  std::string client_ip;
  std::string client_name;
  std::string helo;
  std::string auth_user;
  bool json = false;
  bool parts = false;  // print the MIME tree instead of the verdict
  std::string out;     // write the message as it leaves here ("-": stdout); "" = no
  std::vector<std::string> files;
};

int run_scan(const ScanOptions& o);

// The snapshot `postern scan` uses: the config's, with o.policy_dirs replacing its
// policy directories when given. Errors name file:line:column.
postern::expected<scan::SnapshotPtr, policy::Errors> load_scan_snapshot(const ScanOptions& o);

// One message through a Session as the milter would run it, with the envelope
// from `o` (else guessed from the message). Thread-safe for distinct calls (each
// has its own Session; the snapshot is shared read-only).
struct MessageScan {
  std::vector<nlohmann::json> events;    // one per SMTP transaction
  std::optional<core::Outcome> outcome;  // the first transaction's, when it reached DATA
  const char* decided_at = "RCPT";       // where a refusal before DATA came
};
MessageScan scan_message(const scan::SnapshotPtr& s, const std::string& raw, const ScanOptions& o);

// Reads a file ("-": standard input) whole; false when it cannot be read.
bool read_input(const std::string& file, std::string& out);

}  // namespace postern::tools
