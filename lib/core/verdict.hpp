// Verdict and SmtpReply: the disposition of a transaction (or of one recipient).
//
// Contract: plain value types. `reply` is set for reject and tempfail; `reason`
// names what decided (a rule symbol, a threshold, a stage error) for logs.
#pragma once

#include <string>

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

enum class Direction { Inbound, Outbound };
inline const char* to_string(Direction d) {
  return d == Direction::Inbound ? "inbound" : "outbound";
}

}  // namespace postern::core
