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

#include <string>
#include <vector>

namespace postern::tools {

struct ScanOptions {
  std::string config_path;
  bool config_explicit = false;
  std::vector<std::string> policy_dirs;  // replaces the config's dirs when given
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

}  // namespace postern::tools
