// ArchiveModifier: the policy's [archive] as envelope edits.
//
// Contract: for a message of a configured direction whose verdict is one of
// [archive] actions, mode "copy" adds the recipient (smfi_addrcpt: a journal or
// archive copy; not added again when it is a recipient already) and mode
// "redirect" removes every accepted recipient (smfi_delrcpt) and adds the
// recipient in their place. Recipients refused at RCPT are not recipients and
// are left alone. Envelope only: the message is not changed, so it runs on a
// message buffered in part too — but the session runs no modifier on one, so
// such a message keeps its envelope. Immutable, shared by threads.
#pragma once

#include "core/modifier.hpp"
#include "policy/policy.hpp"

namespace postern::scan {

class ArchiveModifier final : public core::Modifier {
 public:
  explicit ArchiveModifier(policy::ArchivePolicy p) : p_(std::move(p)) {}
  std::string_view name() const override { return "archive"; }
  // Envelope only: it never reads the message.
  bool needs_message(const core::Transaction&, const core::Outcome&) const override {
    return false;
  }
  void modify(const core::Transaction& tx, const core::Message& current,
              core::Outcome& out) const override;

 private:
  policy::ArchivePolicy p_;
};

}  // namespace postern::scan
