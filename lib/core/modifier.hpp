// Modifier: a step that edits the message or its envelope after the verdict.
//
// Contract: at end of message the session runs, in order: decide (stages and
// policy: the verdict, the verdict headers, the subject tag), modify (every
// modifier of the snapshot, in order), finish (core/finisher.hpp: they see the
// modifiers' body), dispose (core/disposer.hpp). Modifiers run only for a
// message that is delivered or held (accept, tag, quarantine) and never for a
// message the session buffered only in part (Message::truncated(): past
// Limits::message_size): an edit of a part of a message would lose the rest.
// `current` is the message with every edit so far applied (core::apply_edits,
// including an earlier modifier's new_body). A modifier may set `out.new_body`
// (the whole body as it will leave; it replaces an earlier modifier's, so build
// on `current`), add header changes or additions, and add or remove recipients;
// it never changes the verdict. A modifier that throws is logged and its edits
// are dropped (the message leaves as the earlier steps made it). Immutable and
// shared by threads, like stages.
#pragma once

#include <string_view>

#include "core/message.hpp"
#include "core/outcome.hpp"
#include "core/transaction.hpp"

namespace postern::core {

class Modifier {
 public:
  virtual ~Modifier() = default;
  virtual std::string_view name() const = 0;
  // Whether `modify` reads `current` for this outcome (building it costs a copy of the
  // message); one that edits only the envelope, or that will not apply, says no and
  // gets the message as it came.
  virtual bool needs_message(const Transaction&, const Outcome&) const { return true; }
  virtual void modify(const Transaction& tx, const Message& current, Outcome& out) const = 0;
};

}  // namespace postern::core
