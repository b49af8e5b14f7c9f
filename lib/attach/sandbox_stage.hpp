// The sandbox stage and disposer: which files of a message go to the external
// sandbox (sandbox.hpp), what its verdicts make of the message, and the hold.
//
// Contract: the policy section (a later file's lists add, scalars replace):
//
//   [sandbox]
//   enabled = true
//   types = ["office-ole", "office-ooxml", "odf", "rtf", "pdf", "onenote"]  file classes sent
//   when = "BEC_FIRST_CONTACT"   an expression over findings (the composites'
//                                language); "" sends from every message
//   direction = "inbound"        "inbound", "outbound" or "both"
//   max_files = 5                files of one message sent (more: ATTACH_SANDBOX_UNCHECKED)
//
// The attach stage collects the candidates while it walks the files (the files
// of these classes, archive members and embedded files too: SandboxCandidates on
// the transaction, each copied once by SHA-256, at most max_files, a file over
// the analyzer's max_size noted without its bytes). The `sandbox` stage runs
// after every finding stage (so `when` sees the first-contact, authentication
// and content findings) and asks the service for each candidate's verdict:
// malicious → ATTACH_SANDBOX_MALICIOUS (a hard rule rejects it inbound);
// clean → nothing; no answer within the service's inline_wait →
// ATTACH_SANDBOX_PENDING (a hard rule quarantines it: the MTA's hold queue) and
// the files are kept on the transaction (SandboxHold); too large or over
// max_files → ATTACH_SANDBOX_UNCHECKED. Not a content stage: it spends no CPU
// budget, and runs when the budget is spent. Its report goes to the event
// (postern.sandbox).
// The `sandbox` disposer, for a message the MTA holds (quarantine) with a
// SandboxHold, writes the durable record (Sandbox::hold) with the queue id of
// the end-of-message macro i: when that fails (disk full, a garbled id), the
// disposer fails and the message is tempfailed, so a message the milter holds
// always has its record and the release worker finds it. Without a queue id
// (`postern scan`, an MTA not sending i) nothing is written and a warning is
// logged: the message stays held for an operator. Immutable, shared by threads.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "attach/filetype.hpp"
#include "attach/sandbox.hpp"
#include "content/composites.hpp"
#include "core/disposer.hpp"
#include "core/stage.hpp"
#include "policy/policy.hpp"

namespace postern::attach {

struct SandboxPolicy {
  bool enabled = true;
  std::vector<FileClass> types;
  std::string when;  // "" = every message
  content::Expression parsed_when;
  policy::Directions directions{true, false};
  size_t max_files = 5;
};

void read_sandbox_policy(policy::TomlSection& s, policy::Policy& p);

// The files the attach stage chose for the sandbox.
struct SandboxCandidates {
  struct File {
    std::string sha256;
    std::string name;                         // the name, or the path inside its archive
    std::shared_ptr<const std::string> data;  // null when over max_size
    size_t size = 0;
  };
  std::vector<File> files;
  size_t over_count = 0;  // files of a chosen class beyond max_files
};

// What the stage learned, for the event and the disposer.
struct SandboxReport {
  struct File {
    std::string sha256, name;
    SandboxVerdict verdict;
  };
  std::vector<File> files;
  bool sent = false;  // `when` held and the direction is the policy's
};

struct SandboxHold {
  std::vector<Sandbox::HeldFile> files;
};

class SandboxStage final : public core::Stage {
 public:
  SandboxStage(SandboxPolicy p, std::shared_ptr<const Sandbox> sb)
      : policy_(std::move(p)), sandbox_(std::move(sb)) {}
  std::string_view name() const override { return "sandbox"; }
  core::Step on_message(core::Transaction& tx) const override;

 private:
  SandboxPolicy policy_;
  std::shared_ptr<const Sandbox> sandbox_;
};

class SandboxDisposer final : public core::Disposer {
 public:
  explicit SandboxDisposer(std::shared_ptr<const Sandbox> sb) : sandbox_(std::move(sb)) {}
  std::string_view name() const override { return "sandbox"; }
  std::optional<std::string> dispose(const core::Transaction& tx, const core::Message& leaving,
                                     const core::Outcome& out) const override;

 private:
  std::shared_ptr<const Sandbox> sandbox_;
};

}  // namespace postern::attach
