// Outcome: the verdict of a transaction plus the message edits that carry it.
//
// Contract: produced by the session at end of message (or when every recipient
// was refused); the milter shim turns it into smfi_* calls and an SMFIS code,
// `postern scan` prints it (and with --out writes the message as it leaves,
// through core::apply_edits), the event log records it. Plain value type.
// Header values are unfolded; whoever writes them folds them. It is an edit
// script applied in this order: header changes, the subject, header additions,
// the body (new_body), then the envelope (recipients removed, then added).
//
//
// Recipients: `recipients` holds every recipient the client named, in RCPT
// order, each with its policy group and its own result: refused or deferred
// at RCPT (with the reply given), else decided at end of message from the
// transaction's findings and its own. Over milter one message has one fate,
// so `verdict` is the most severe result among the recipients accepted at
// RCPT (a recipient refused or deferred there is not part of the message):
// postern never drops one recipient's copy silently after DATA, and never
// delivers a copy that a recipient's own result rejects. A recipient of
// another group than the transaction's is deferred at RCPT (452 4.5.3) so
// that it gets its own transaction and its own policy.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/verdict.hpp"

namespace postern::core {

// A change to a field the message came with: a new value, or its removal.
struct HeaderChange {
  std::string name;  // as found in the message
  size_t index =
      1;  // 1-based among fields with this name (case-insensitive), as smfi_chgheader counts
  std::optional<std::string> value;  // the new value, unfolded; nullopt removes the field
};

struct HeaderAddition {
  std::string name;
  std::string value;    // unfolded
  bool at_top = false;  // inserted above every field (smfi_insheader 0); else appended
};

// A recipient the message is also sent to (smfi_addrcpt, or smfi_addrcpt_par with
// ESMTP arguments such as "NOTIFY=NEVER").
struct AddedRecipient {
  std::string address;     // bare address, no angle brackets
  std::string esmtp_args;  // "" = none; else space-separated KEY=VALUE, printable ASCII
};

// One recipient and what became of it.
struct RecipientOutcome {
  std::string address;
  std::string group;      // the policy group it belongs to
  Verdict verdict;        // its own result (at RCPT when refused or deferred there)
  bool at_rcpt = false;   // refused or deferred at RCPT: verdict.reply is what the client got
  bool deferred = false;  // 452 4.5.3: another group than the transaction's; sent again later
};

struct Outcome {
  Verdict verdict;
  bool before_data = false;  // decided before DATA: no message was received
  // In the order to apply: new values first, then removals, highest index first per
  // name (so no index still to be applied shifts).
  std::vector<HeaderChange> changed;
  std::vector<HeaderAddition> added;       // in order: at_top ones each go above the last
  std::optional<std::string> new_subject;  // replaces the first Subject (or is added when none)
  bool subject_exists = false;
  // The whole replacement body (everything after the header block's blank line), raw
  // as it will leave, CRLF line ends; nullopt keeps the body as it came.
  std::optional<std::string> new_body;
  std::vector<AddedRecipient> added_recipients;
  std::vector<std::string> removed_recipients;  // bare addresses as accepted at RCPT
  std::string quarantine_reason;                // for Action::Quarantine
  // For Action::Quarantine: the mode of the group, set by the session; the dispose phase
  // turns Store and Both into Hold when the store cannot take the message (buffered only
  // in part, over its size bound, no store), and sets `stored` once the store has it.
  QuarantineMode quarantine_mode = QuarantineMode::Hold;
  bool stored = false;
  std::string quarantine_id;     // its entry in postern's store (mode store or both), for the event
  std::string quarantine_group;  // the policy group whose mode and retention apply
  int64_t quarantine_days = 30;  // how long postern's store keeps it
  std::vector<RecipientOutcome> recipients;  // in RCPT order
  // Numbers the modifiers report for the event, each by its dotted key under "postern"
  // ("click.rewritten": the links the click rewriter rewrote); a later one of a key wins.
  std::vector<std::pair<std::string, int64_t>> event_counts;
};

}  // namespace postern::core
