// Outcome: the verdict of a transaction plus the message edits that carry it.
//
// Contract: produced by the session at end of message (or when every recipient
// was refused); the milter shim turns it into smfi_* calls and an SMFIS code,
// `postern scan` prints it (and with --out writes the message as it leaves,
// through core::apply_edits), the event log records it. Plain value type.
// Header values are unfolded; whoever writes them folds them. It is an edit
// script applied in this order: header changes, the subject, header additions,
// the body (new_body), then the envelope (recipients removed, then added).
#pragma once

#include <optional>
#include <string>
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

struct RejectedRecipient {
  std::string address;
  Verdict verdict;
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
  std::vector<RejectedRecipient> rejected_recipients;
};

}  // namespace postern::core
