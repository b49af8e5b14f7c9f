// HeaderSanityStage: structural header checks with small scores.
//
// Contract: at end of message, adds HEADER_MISSING_DATE / _FROM / _MESSAGE_ID,
// HEADER_MULTIPLE_FROM (several From fields), HEADER_FROM_MULTIPLE_ADDRESSES,
// HEADER_FROM_NO_ADDRESS (a From with no address that has a domain),
// HEADER_FROM_AMBIGUOUS (4: readers could take different author domains from
// the From field(s); mime::author says which), HEADER_BARE_CR (3: a CR or LF
// inside a field that is not a fold, which splits the field for some readers),
// HEADER_NAME_INVALID (2: a field name with bytes outside RFC 5322 ftext, as
// the MTA handed it over), HEADER_DUPLICATE (a field RFC 5322 allows once
// appears again), HEADER_DATE_UNPARSABLE and HEADER_8BIT_RAW (raw 8-bit bytes
// in header fields; the detail names them). Default scores are small: these are
// evidence, not verdicts. Not a content stage: it is linear and cheap, and
// HEADER_FROM_AMBIGUOUS must never be skipped. Immutable, shared by threads.
#pragma once

#include "core/stage.hpp"

namespace postern::content {

class HeaderSanityStage final : public core::Stage {
 public:
  std::string_view name() const override { return "header_sanity"; }
  core::Step on_message(core::Transaction& tx) const override;
};

}  // namespace postern::content
