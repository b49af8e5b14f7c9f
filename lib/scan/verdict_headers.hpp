// Verdict headers: what postern writes into a message, and what it removes.
//
// Contract: pure functions. `forged_headers` removes every incoming field whose
// name starts with "X-Postern-" (any case; bytes a name may not hold, such as
// DEL, are read past), and our Authentication-Results, so that no sender can
// forge a verdict. It covers every reading of the header block (see
// core/message.hpp): a field with a bare CR or LF, behind which a reader could
// see a forged field, gets a new value in which each such break is a space, so
// every reader downstream reads one field. New values come first, then the
// removals, highest index first per name, so applying them one by one never
// shifts an index still to be applied. `fold` folds at whitespace so
// that no line (the "Name: " prefix included) exceeds `width` where a break is
// possible.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/finding.hpp"
#include "core/message.hpp"
#include "core/outcome.hpp"

namespace postern::scan {

inline constexpr std::string_view kVerdictHeader = "X-Postern-Verdict";
inline constexpr std::string_view kFindingsHeader = "X-Postern-Findings";
inline constexpr std::string_view kReportHeader = "X-Postern-Report";

// "12.5", "1", "-20", "0": at most two decimals, no trailing zeros.
std::string format_score(double s);

std::string verdict_value(core::Action a, double score, std::string_view scan_id);
// "SYMBOL(score) ..." in finding order; past `max_chars` the rest is summarised as
// "... (N more)" so a message with hundreds of findings cannot bloat its header.
std::string findings_value(const std::vector<core::Finding>& findings, size_t max_chars = 2000);

// The explanation ([headers] report): "SYMBOL(score): detail; ..." in finding
// order, cut at `max_chars` like findings_value. The value is ASCII: a run of
// words holding other bytes is written as RFC 2047 encoded words (UTF-8, Q),
// each at most 75 characters, so any mail client shows the details as they are
// and no raw 8-bit byte enters a header. Details are the stages' (excerpts
// already masked); control characters become spaces.
std::string report_value(const std::vector<core::Finding>& findings, size_t max_chars = 4000);

// `text` as an unstructured header value in ASCII: runs of words with bytes
// outside printable ASCII (or that look like an encoded word) become UTF-8 Q
// encoded words of at most 75 characters, cut at code point boundaries.
std::string encode_unstructured(std::string_view text);

// Also every Authentication-Results field that names `authserv_id` (RFC 8601 5: a
// field claiming to be ours that we did not write is a forgery).
std::vector<core::HeaderChange> forged_headers(const core::Message& m,
                                               std::string_view authserv_id = {});

// Folds `value` of header `name` with `eol` + TAB between lines.
std::string fold(std::string_view name, std::string_view value, size_t width = 78,
                 std::string_view eol = "\r\n");

}  // namespace postern::scan
