// Finisher: a step that runs after the verdict, on the message as it will leave.
//
// Contract: the session calls every finisher of the snapshot, in order, once per
// message that is delivered or held (accept, tag, quarantine; never for reject,
// tempfail or discard), after the verdict headers and the subject tag are in the
// Outcome and after the modifiers (core/modifier.hpp) replaced the body. `leaving` is the message
// with every edit so far applied (see `apply_edits`): what the next hop will receive, minus what
// later finishers add. A finisher may only add header fields to `out` (HeaderAddition::at_top for
// trace and signature fields: Authentication-Results, ARC sets, DKIM-Signature);
// it never changes the verdict. Values are unfolded (one line; where a library
// folded, the fold is replaced by one space), the writer folds them; signatures
// therefore use relaxed header canonicalization. Immutable and shared by
// threads, like stages; a finisher that fails logs and adds nothing (mail is
// never held back because a signature could not be made).
#pragma once

#include <string_view>

#include "core/message.hpp"
#include "core/outcome.hpp"
#include "core/transaction.hpp"

namespace postern::core {

class Finisher {
 public:
  virtual ~Finisher() = default;
  virtual std::string_view name() const = 0;
  // Whether `finish` reads `leaving` (building it costs a copy of the message).
  virtual bool needs_message(const Transaction&) const { return true; }
  virtual void finish(const Transaction& tx, const Message& leaving, Outcome& out) const = 0;
};

// The message as the MTA will deliver it after `out`'s edits: at-top additions
// (the last added on top), removals, the new Subject, additions at the end, and
// `new_body` in place of the body (the envelope edits do not change the message).
// Header values the edits bring in are written on one line each (the writer folds
// them later; relaxed canonicalization cannot tell the difference).
Message apply_edits(const Message& m, const Outcome& out);

}  // namespace postern::core
