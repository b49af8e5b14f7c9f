// Finding: one observation a stage made about a transaction.
//
// Contract: `symbol` is UPPER_SNAKE and stable (admins write rules against it);
// `score` is the effective score after the policy's per-symbol overrides;
// `detail` is human text for headers, logs and `postern scan`. Plain value type.
#pragma once

#include <string>

namespace postern::core {

struct Finding {
  std::string symbol;
  double score = 0;
  std::string detail;

  bool operator==(const Finding&) const = default;
};

}  // namespace postern::core
