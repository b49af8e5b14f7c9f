// Finding: one observation a stage made about a transaction.
//
// Contract: `symbol` is UPPER_SNAKE and stable (admins write rules against it);
// `score` is the effective score after the policy's per-symbol overrides;
// `detail` is human text for headers, logs and `postern scan`; `recipient` is
// empty for a finding about the connection or the whole transaction, else the
// envelope recipient it is about (every finding added while the pipeline runs
// the RCPT event of that recipient): the policy weighs it for that recipient
// only. Plain value type.
#pragma once

#include <string>

namespace postern::core {

struct Finding {
  std::string symbol;
  double score = 0;
  std::string detail;
  std::string recipient{};  // "" = the transaction; else the recipient it is about

  bool operator==(const Finding&) const = default;
};

}  // namespace postern::core
