// ListsStage: local allow/block lists from the policy ([lists.NAME]).
//
// Contract: client_ip lists are checked at connect, sender lists at MAIL FROM
// (envelope sender) and at end of message (every header From address),
// recipient lists at each RCPT. A match adds the list's symbol with its score
// (once per list per transaction; for a recipient list once per recipient, and
// the finding is about that recipient alone: see core/transaction.hpp) and a
// detail naming the entry. What a match
// does is the policy's business: a hard rule (LIST_CLIENT_BLOCK = "reject"), a
// negative score for allow lists, or `pass = true` for recipients that always
// get their mail (the session applies that). Immutable, shared by threads.
#pragma once

#include <vector>

#include "core/stage.hpp"
#include "policy/policy.hpp"

namespace postern::reputation {

class ListsStage final : public core::Stage {
 public:
  explicit ListsStage(std::vector<policy::List> lists) : lists_(std::move(lists)) {}
  std::string_view name() const override { return "lists"; }
  core::Step on_connect(core::Transaction& tx) const override;
  core::Step on_mail_from(core::Transaction& tx) const override;
  core::Step on_rcpt(core::Transaction& tx, std::string_view rcpt) const override;
  core::Step on_message(core::Transaction& tx) const override;

 private:
  // `allow_lists`: false skips lists with a negative score (the address is one reading of many).
  void check_sender(core::Transaction& tx, std::string_view address, std::string_view where,
                    bool allow_lists = true) const;
  std::vector<policy::List> lists_;
};

}  // namespace postern::reputation
