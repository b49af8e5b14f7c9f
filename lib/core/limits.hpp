// Limits: bounds on what an attacker controls in one message.
//
// Contract: read from the daemon config ([limits] in postern.toml) with safe
// defaults; a bound that is hit becomes a LIMIT_* finding (see lib/limits),
// never a crash. Plain value type.
#pragma once

#include <cstddef>

namespace postern::core {

struct Limits {
  size_t message_size = 64u << 20;    // bytes buffered and inspected
  size_t header_count = 1000;         // header fields
  size_t header_line_length = 998;    // RFC 5322 2.1.1 line limit
  size_t received_hops = 50;          // Received: fields (Postfix hopcount_limit is 50)
  size_t findings = 500;              // findings kept per transaction
};

}  // namespace postern::core
