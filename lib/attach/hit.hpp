// Hit: one thing an attachment analyzer found in one file.
//
// Contract: the analyzers of lib/attach (archives, Office, PDF, HTML, ClamAV,
// YARA, hash feeds) are pure functions or immutable services over a file's
// bytes; each returns Hits, never throws on hostile input, and stays linear in
// the input within its limits (a limit that is hit is a Hit too). The attach
// stage turns Hits into findings: it prefixes the detail with where the file is
// (part path, archive path, name) and scores each by the symbol catalogue unless
// the Hit carries its own score. Plain value type.
#pragma once

#include <limits>
#include <string>

namespace postern::attach {

struct Hit {
  std::string symbol;  // ATTACH_*, catalogued by the analyzer's symbol table
  std::string detail;  // what matched and where in the file; at most ~200 characters
  // NaN: the catalogued score. A graded analyzer (YARA's meta score) sets its own.
  double score = std::numeric_limits<double>::quiet_NaN();

  bool operator==(const Hit& o) const { return symbol == o.symbol && detail == o.detail; }
};

}  // namespace postern::attach
