// The DLP stage: the detectors and the rules' own patterns and words over the visible
// text of the message (text/* body parts, HTML as its visible text) and the text of
// its attachments (attachment_text.hpp: text files, Office and OpenDocument files,
// PDF, archive members), one finding DLP_<RULE> per rule whose count is reached,
// DLP_UNREADABLE for attachments it could not read, and the report behind the
// event's postern.dlp[].
//
// Contract: built per snapshot from DlpPolicy (`DlpScanner::build` compiles the
// rules' RE2 patterns and dictionaries; an error names the rule's file:line:column);
// immutable, shared by every connection thread. `on_message` runs only when a rule
// applies to the transaction's direction; it reads the MIME analysis (mime.analysis),
// scans at most max_bytes of text (more: DLP_LIMIT) and counts at most max_matches
// matches (more: DLP_LIMIT), ticks the CPU budget per part. A finding's detail and the
// event hold masked values only (at most 3 per rule), never the raw text.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/expected.hpp"
#include "core/stage.hpp"
#include "dlp/detectors.hpp"
#include "dlp/policy.hpp"
#include "policy/error.hpp"

namespace re2 {
class RE2;
}

namespace postern::dlp {

class PdfReader;

inline constexpr size_t kMaxShown = 3;  // masked values per rule in a detail or event

// What the stage found, for the event writer (on the transaction).
struct Report {
  struct RuleHit {
    std::string rule, symbol, top_tier;
    std::string action;   // the rule's: block, ..., require_tls, notify
    bool notify = false;  // the sender is told (dlp/notify.hpp)
    size_t count = 0;
    double score = 0;                    // the rule's
    std::vector<std::string> detectors;  // those that counted
    std::vector<std::string> masked;     // at most kMaxShown
  };
  std::vector<RuleHit> hits;
  size_t bytes_scanned = 0;
  bool limit = false;
  size_t attachments_read = 0;      // files whose text was scanned (archive members too)
  std::vector<std::string> unread;  // files DLP could not read, "name (part 2): why"
  size_t unread_count = 0;
};

class DlpScanner {
 public:
  static postern::expected<std::shared_ptr<const DlpScanner>, policy::Error> build(
      const DlpPolicy& policy);
  ~DlpScanner();

  // The rules that hit in `texts` (each scanned up to the bytes left of max_bytes).
  Report scan(const std::vector<std::string_view>& texts, core::Direction dir) const;
  bool applies(core::Direction dir) const;
  const DlpPolicy& policy() const { return policy_; }

 private:
  struct Compiled;
  DlpScanner() = default;
  DlpPolicy policy_;
  std::vector<std::unique_ptr<Compiled>> rules_;
  Options options_;
};

class DlpStage : public core::Stage {
 public:
  // `pdf` may be null: PDFs are then unread.
  DlpStage(std::shared_ptr<const DlpScanner> s, std::shared_ptr<PdfReader> pdf)
      : scanner_(std::move(s)), pdf_(std::move(pdf)) {}
  std::string_view name() const override { return "dlp"; }
  bool content() const override { return true; }
  core::Step on_message(core::Transaction& tx) const override;

 private:
  std::shared_ptr<const DlpScanner> scanner_;
  std::shared_ptr<PdfReader> pdf_;
};

// The event writer: postern.dlp[] {rule, symbol, count, tier, detectors[], masked[]},
// postern.dlp_unread[] (the files DLP could not read).
void write_event(const core::Transaction& tx, nlohmann::json& event);

}  // namespace postern::dlp
