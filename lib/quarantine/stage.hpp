// The quarantine disposer (postern's store) and the release stage (the check of
// X-Postern-Release on a message `postern quarantine release` re-injected).
//
// Contract: QuarantineDisposer, for a message whose verdict is quarantine with
// quarantine_mode store or both, writes `leaving` (the message exactly as it
// leaves) to the Store with its index entry: the outcome's quarantine_id (the
// session draws it; else a new one), now, the direction, the
// envelope (recipients as the message leaves: accepted, minus those removed,
// plus those added), header From and Subject, score, the findings' symbols, the
// reason, the group and its retention (expires = now + quarantine_days). A
// failure (disk, the state store) is returned: the dispose phase answers
// tempfail (core/disposer.hpp stores_up_to), so the MTA keeps the mail. It takes
// messages up to max_message_bytes (larger: the hold queue, see scan/phases.hpp).
// ReleaseStage, at end of message, checks every X-Postern-Release field against
// the key, the message body and the envelope recipients (release.hpp): a valid
// one puts a core::VerdictCap (tag) on the transaction and QUARANTINE_RELEASED;
// any other, QUARANTINE_RELEASE_FORGED with the reason. The field itself is
// removed from the delivered message with every X-Postern-* field
// (scan/verdict_headers.hpp). Both immutable, shared by threads.
#pragma once

#include <memory>
#include <string>

#include "core/disposer.hpp"
#include "core/stage.hpp"
#include "quarantine/store.hpp"

namespace postern::quarantine {

class QuarantineDisposer final : public core::Disposer {
 public:
  QuarantineDisposer(std::shared_ptr<const Store> store, size_t max_bytes)
      : store_(std::move(store)), max_bytes_(max_bytes) {}
  std::string_view name() const override { return "quarantine"; }
  std::optional<std::string> dispose(const core::Transaction& tx, const core::Message& leaving,
                                     const core::Outcome& out) const override;
  size_t stores_up_to() const override { return max_bytes_; }

 private:
  std::shared_ptr<const Store> store_;
  size_t max_bytes_;
};

// The entry the disposer indexes for `leaving` (id, sha256 and size are the Store's).
Entry make_entry(const core::Transaction& tx, const core::Message& leaving,
                 const core::Outcome& out, int64_t now);

class ReleaseStage final : public core::Stage {
 public:
  ReleaseStage(std::string key, int64_t max_age) : key_(std::move(key)), max_age_(max_age) {}
  std::string_view name() const override { return "quarantine_release"; }
  core::Step on_message(core::Transaction& tx) const override;

 private:
  std::string key_;
  int64_t max_age_;
};

}  // namespace postern::quarantine
