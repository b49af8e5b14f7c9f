// Verdict and SmtpReply: the disposition of a transaction (or of one recipient).
//
// Contract: plain value types. `reply` is set for reject and tempfail; `reason`
// names what decided (a rule symbol, a threshold, a stage error) for logs.
#pragma once

#include <string>
#include <string_view>

#include "core/action.hpp"

namespace postern::core {

struct SmtpReply {
  std::string code;   // "550"
  std::string xcode;  // "5.7.1"
  std::string text;   // one line, no CR/LF

  bool empty() const { return code.empty(); }
};

struct Verdict {
  Action action = Action::Accept;
  double score = 0;
  std::string reason;
  SmtpReply reply;
};

// Put on the transaction (Transaction::put) by a stage that vouches for the message
// (a quarantine release with a valid signature): the session caps every
// recipient's verdict at `max` (a tempfail, an error's answer, stays).
struct VerdictCap {
  Action max = Action::Tag;
  std::string why;
};

// Where a quarantined message goes (policy `quarantine_mode`): the MTA's hold queue
// (smfi_quarantine), postern's store (lib/quarantine; the MTA then discards the
// message, but only when `stored`), or both.
enum class QuarantineMode { Hold, Store, Both };
inline std::string_view to_string(QuarantineMode m) {
  return m == QuarantineMode::Hold ? "hold" : m == QuarantineMode::Store ? "store" : "both";
}

enum class Direction { Inbound, Outbound };
inline const char* to_string(Direction d) {
  return d == Direction::Inbound ? "inbound" : "outbound";
}

}  // namespace postern::core
