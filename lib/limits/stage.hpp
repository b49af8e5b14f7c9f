// LimitsStage: bounds on message size and header shape (core::Limits).
//
// Contract: at end of message, adds LIMIT_MESSAGE_SIZE (only part of the
// message was buffered and inspected), LIMIT_HEADER_COUNT, LIMIT_HEADER_LINE
// (a physical header line longer than allowed; once, naming the first field)
// and LIMIT_RECEIVED_HOPS (more Received: fields than allowed: a mail loop).
// What each does is the policy's rules. (LIMIT_SCAN_TIME, the CPU budget of the
// content stages, is added by the Pipeline: see core/stage.hpp.) Immutable,
// shared by threads.
#pragma once

#include "core/stage.hpp"

namespace postern::limits {

class LimitsStage final : public core::Stage {
 public:
  std::string_view name() const override { return "limits"; }
  core::Step on_message(core::Transaction& tx) const override;
};

}  // namespace postern::limits
