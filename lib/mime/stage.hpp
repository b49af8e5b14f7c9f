// MimeStage: parses the message as a mail client would and reports every
// ambiguity an attacker could use to hide content from a gateway.
//
// Contract: at end of message, runs mime::analyze over the buffered message
// with the configured limits (or over the mime::Unwrapped an earlier stage put on the
// transaction: the decrypted message), puts the Analysis on the transaction for later
// stages (attachments, URLs, DLP read it from there), and adds one finding per
// MIME_* / HTML_* symbol (detail: the first occurrences and the count).
// Scores are small by default: ambiguity is evidence, not a verdict.
// A content stage: the analysis runs within the transaction's CPU budget and
// stops early when it is spent (the pipeline then adds LIMIT_SCAN_TIME).
// Immutable, shared by threads.
#pragma once

#include <string_view>

#include "core/limits.hpp"
#include "core/stage.hpp"
#include "mime/analysis.hpp"

namespace postern::mime {

class MimeStage final : public core::Stage {
 public:
  std::string_view name() const override { return "mime"; }
  bool content() const override { return true; }
  core::Step on_message(core::Transaction& tx) const override;
};

// The analysis limits of the configured message limits ([limits] mime_*).
AnalysisLimits analysis_limits(const core::Limits& l);

// The default score of a MIME_* or HTML_* symbol.
double default_score(std::string_view symbol);

}  // namespace postern::mime
