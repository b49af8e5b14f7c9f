// Disposer: the last step at end of message, which puts the message somewhere
// (a quarantine store, an archive) after every edit was made.
//
// Contract: the session calls every disposer of the snapshot, in order, after
// the finishers, for a message that is delivered or held (accept, tag,
// quarantine), with `leaving` the message exactly as it leaves (every header
// and body edit and every finisher's field applied). A disposer reads; it
// changes neither the message nor the outcome. A disposer that fails (returns
// an error or throws) turns the verdict into the configured `on_error` action
// (default tempfail: the MTA keeps the message and retries), with a
// POSTERN_STAGE_ERROR finding naming it, and the disposers after it do not
// run: a message is never delivered as if it had been stored when it was not,
// and never lost. Immutable and shared by threads, like stages.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "core/message.hpp"
#include "core/outcome.hpp"
#include "core/transaction.hpp"

namespace postern::core {

class Disposer {
 public:
  virtual ~Disposer() = default;
  virtual std::string_view name() const = 0;
  // nullopt when done; else the error, one line, for the log and the finding.
  virtual std::optional<std::string> dispose(const Transaction& tx, const Message& leaving,
                                             const Outcome& out) const = 0;
  // A disposer that stores a quarantined message in place of the MTA's hold queue
  // (lib/quarantine): the largest message it takes, in bytes; 0 (the default) for
  // every other. For such a disposer the dispose phase sets Outcome::stored when it
  // succeeded, and its failure is never answered with less than tempfail (on_error
  // "accept" or "quarantine" would deliver or discard a message that is not stored).
  virtual size_t stores_up_to() const { return 0; }
};

}  // namespace postern::core
