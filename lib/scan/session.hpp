// Session: one SMTP connection as the MTA reports it, driven through the
// snapshot's pipeline. Both front ends use it: the milter shim (one Session per
// libmilter connection) and `postern scan` (one per message file), which is why
// the offline verdict is exactly the milter's.
//
// Call order: connect, helo*, then per transaction mail_from, rcpt+, header*,
// body*, end_of_message (or abort); then close (or destruction). Connection
// info (TLS, SASL macros) may be updated through `connection()` before any call.
//
// Decisions: connection- and MAIL-level results are delayed to RCPT, like
// Postfix's smtpd_delay_reject, so that recipients in a `pass` list (postmaster@,
// abuse@) still get their mail and the log names sender and recipient. At RCPT
// only hard rules that end the transaction (reject, tempfail, discard) apply;
// at end of message the rules and the score thresholds do. A pass recipient's
// own result is capped at `tag` (so when every accepted recipient is one, the
// message is at most tagged).
// Exception: with the policy's `[reputation] decide_at = "connect"` (or
// "helo"), the hard rules that reject or tempfail already apply to the
// findings of that event: connect() (helo()) returns the reply, logs the event
// and the front end answers it (the client cannot authenticate before that, and
// pass recipients do not help, so use it only where no client needs to). After
// such a reply the Session expects no more events of that connection.
//
// Recipients and groups: each recipient is decided on the transaction's
// findings plus its own (core/transaction.hpp), never another recipient's. A
// transaction carries one policy group (policy/policy.hpp): outbound, the
// sender's (the authenticated user when it is an address, else the envelope
// sender); inbound, the group of the first accepted recipient. An inbound
// recipient of another group is decided by its own group's hard rules first
// (a refusal stays a refusal), and otherwise deferred with 452 4.5.3 so the
// client sends it again in its own transaction. At end of message each
// accepted recipient gets its own result and the most severe one decides the
// message (see core/outcome.hpp); the tag settings are the group's.
//
// Every transaction in which something was decided produces exactly one event
// (JSON, ECS fields) through the sink: at end of message, or at abort/close when
// all recipients were refused; and is counted once in the process's metrics
// (telemetry/metrics.hpp: the message by action, direction and group, its
// findings, each stage's time). Not thread-safe: one thread drives one Session.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/outcome.hpp"
#include "core/transaction.hpp"
#include "scan/snapshot.hpp"

namespace postern::scan {

using SnapshotSource = std::function<SnapshotPtr()>;
using EventSink = std::function<void(const nlohmann::json&)>;

// The answer to an event: accept (continue), or reject / tempfail / discard with the reply.
struct EventReply {
  core::Action action = core::Action::Accept;
  core::SmtpReply reply;
};

// The answer to an inbound recipient of another policy group than the transaction's.
inline const core::SmtpReply kGroupDeferral{
    "452", "4.5.3", "Recipient of another policy group: send it again in its own transaction"};

class Session {
 public:
  Session(SnapshotSource source, EventSink sink);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  core::ConnectionInfo& connection() { return conn_; }

  // Accept, or reject / tempfail when the policy decides at this event (decide_at).
  EventReply connect();
  EventReply helo(std::string_view name);
  void mail_from(std::string_view address, std::vector<std::string> esmtp_args = {});
  EventReply rcpt(std::string_view address);
  void header(std::string_view name, std::string_view value);
  void body(std::string_view chunk);
  core::Outcome end_of_message(std::string_view queue_id = {});
  // Ends a transaction that did not reach end of message (RSET, all recipients refused).
  // Returns the outcome it logged, if something was decided.
  std::optional<core::Outcome> abort();

  const core::Transaction* transaction() const { return tx_.get(); }

 private:
  void start_connection_tx();
  EventReply decide_early(policy::DecideAt at);
  core::Outcome finish(core::Outcome out);
  void emit(const core::Outcome& out);

  SnapshotSource source_;
  EventSink sink_;
  core::ConnectionInfo conn_;
  SnapshotPtr conn_snap_;
  std::unique_ptr<core::Transaction>
      conn_tx_;  // connect/helo findings, copied into each transaction
  std::optional<core::Step> conn_final_;

  SnapshotPtr snap_;
  std::unique_ptr<core::Transaction> tx_;
  std::optional<core::MessageBuilder> builder_;
  std::optional<core::Step> tx_final_;
  const policy::Group* group_ = nullptr;  // the transaction's group (in snap_'s policy)
  std::vector<core::RecipientOutcome> recipients_;
  std::optional<core::Outcome> discarded_;  // a discard decided at RCPT
};

// A new scan id: 16 hex digits, unique per process run (random seed + counter).
std::string new_scan_id();

}  // namespace postern::scan
