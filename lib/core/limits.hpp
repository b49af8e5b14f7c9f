// Limits: bounds on what an attacker controls in one message.
//
// Contract: read from the daemon config ([limits] in postern.toml) with safe
// defaults; a bound that is hit becomes a LIMIT_* finding (see lib/limits),
// never a crash. `scan_time_ms` is the thread CPU time the content stages of one
// message may use together (core::CpuBudget, on the Transaction); past it the
// pipeline adds LIMIT_SCAN_TIME and skips the remaining content work, and the
// verdict comes from what was done. Plain value type.
#pragma once

#include <cstddef>

namespace postern::core {

struct Limits {
  size_t message_size = 64u << 20;         // bytes buffered and inspected
  size_t header_count = 1000;              // header fields
  size_t header_line_length = 998;         // RFC 5322 2.1.1 line limit
  size_t received_hops = 50;               // Received: fields (Postfix hopcount_limit is 50)
  size_t findings = 500;                   // findings kept per transaction
  size_t mime_depth = 64;                  // MIME nesting
  size_t mime_parts = 10000;               // MIME parts
  size_t mime_header_bytes = 256 * 1024;   // header block of one part
  size_t mime_part_decoded = 64u << 20;    // decoded bytes of one part
  size_t mime_total_decoded = 256u << 20;  // decoded bytes of all parts
  size_t scan_time_ms = 2000;              // thread CPU time of the content stages per message
};

}  // namespace postern::core
