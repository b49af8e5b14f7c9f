// HeaderSanityStage: structural header checks with small scores.
//
// Contract: at end of message, adds HEADER_MISSING_DATE / _FROM / _MESSAGE_ID,
// HEADER_MULTIPLE_FROM (several From fields), HEADER_FROM_MULTIPLE_ADDRESSES,
// HEADER_FROM_NO_ADDRESS (a From with no parsable address),
// HEADER_DUPLICATE (a field RFC 5322 allows once appears again),
// HEADER_DATE_UNPARSABLE and HEADER_8BIT_RAW (raw 8-bit bytes in header
// fields; the detail names them). Default scores are small: these are
// evidence, not verdicts. A content stage (skipped once the message's CPU
// budget is spent). Immutable, shared by threads.
#pragma once

#include "core/stage.hpp"

namespace postern::content {

class HeaderSanityStage final : public core::Stage {
 public:
  std::string_view name() const override { return "header_sanity"; }
  bool content() const override { return true; }
  core::Step on_message(core::Transaction& tx) const override;
};

}  // namespace postern::content
