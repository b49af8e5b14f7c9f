// `postern scan`: runs message files through the same Session the milter uses.
//
// Contract: returns the process exit code: 0 when every file was scanned
// (whatever the verdicts), 1 when the config or policy is bad, 2 when a file
// could not be read. Output: a human report per message, or with `json` the
// event object, one line per message.
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
  std::vector<std::string> files;
};

int run_scan(const ScanOptions& o);

}  // namespace postern::tools
