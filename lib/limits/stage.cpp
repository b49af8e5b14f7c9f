// LimitsStage: compares the buffered message with the configured limits.
#include "limits/stage.hpp"

#include <fmt/format.h>

namespace postern::limits {

core::Step LimitsStage::on_message(core::Transaction& tx) const {
  const core::Message* m = tx.message();
  if (!m) return core::Step::next();
  const core::Limits& lim = tx.limits();
  if (m->truncated())
    tx.add_finding(
        "LIMIT_MESSAGE_SIZE", 0,
        fmt::format(
            "message of {} bytes exceeds the limit of {}; only the first {} bytes were inspected",
            m->total_size(), lim.message_size, m->raw().size()));
  if (m->headers().size() > lim.header_count)
    tx.add_finding(
        "LIMIT_HEADER_COUNT", 0,
        fmt::format("{} header fields, limit {}", m->headers().size(), lim.header_count));
  for (const auto& h : m->headers()) {
    if (h.longest_line > lim.header_line_length) {
      tx.add_finding("LIMIT_HEADER_LINE", 1.0,
                     fmt::format("{} has a line of {} bytes, limit {}", h.name.substr(0, 64),
                                 h.longest_line, lim.header_line_length));
      break;
    }
  }
  size_t hops = m->count("Received");
  if (hops > lim.received_hops)
    tx.add_finding(
        "LIMIT_RECEIVED_HOPS", 0,
        fmt::format("{} Received: fields, limit {} (mail loop?)", hops, lim.received_hops));
  return core::Step::next();
}

}  // namespace postern::limits
