// Analysis: the MIME tree plus what every leaf holds, as a mail client shows it.
//
// Contract: `analyze(raw, limits)` parses the tree, transfer-decodes every leaf
// (within the per-part and per-message decoded-size limits), hashes the decoded
// bytes (SHA-256), converts text parts to UTF-8, extracts text and links from
// HTML parts, and gathers every anomaly (parse, decode, charset, HTML) as a
// MIME_* or HTML_* symbol (HTML_LIMIT: an HTML part was cut at a bound). Links
// are bounded per message (`max_links`; URLs in plain text also by
// `max_text_links`). Every step is linear in its input. With a CPU budget
// (the transaction's), parsing and extraction stop once it is spent: the leaves
// not reached are left out (`leaves_skipped`, `out_of_time`) and what was found
// stays. `raw` must outlive the Analysis. Never throws on hostile input.
// Immutable afterwards; shared by the stages of a transaction.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/cpu_budget.hpp"
#include "core/digest.hpp"
#include "html/extract.hpp"
#include "mime/tree.hpp"

namespace postern::mime {

struct Leaf {
  const Part* part = nullptr;
  size_t size =
      0;  // decoded bytes kept: at most the limit (see decoded_truncated); raw bytes if opaque
  std::string sha256;  // of the decoded bytes, hex
  std::string text;    // UTF-8 text for text/* parts (HTML: the visible text)
  std::string html;    // text/html parts: the decoded HTML source, in UTF-8
  // The decoded bytes of a file: every leaf that is not text, and a text leaf
  // that names a file or is an attachment (a .js sent as text/plain, an HTML page).
  // Empty for an opaque part (beyond a limit: see MIME_*). lib/attach scans these,
  // so no part is decoded twice.
  std::string data;
  bool decoded_truncated = false;
  std::vector<Anomaly> anomalies;  // of this part: parse and decode (symbols with details)
};

struct LinkRef {
  std::string url;
  std::string text;
  std::string part;    // path of the part it came from
  std::string source;  // "a@href", "text", ...
};

// An HTML form: where it posts, the part it came from, whether it asks for a password.
struct FormRef {
  std::string action;
  std::string part;
  bool password = false;
};

struct Analysis {
  Tree tree;
  std::vector<Leaf> leaves;
  std::vector<LinkRef> links;
  std::vector<Anomaly> anomalies;  // every anomaly, detail prefixed with the part path
  size_t html_hidden_elements = 0, html_hidden_text = 0, html_tiny_font = 0,
         html_invisible_color = 0;
  size_t html_forms_with_password = 0;
  std::vector<FormRef> forms{};  // every form of every HTML part, at most kMaxForms
  bool out_of_time = false;      // the CPU budget ran out before the end
  size_t leaves_skipped = 0;     // leaves not analysed for lack of time
};

inline constexpr size_t kMaxForms = 100;

struct AnalysisLimits {
  Limits mime;
  html::Limits html;
  size_t max_text_links = 1000;  // URLs found in plain text
  size_t max_links = 10000;      // links of all parts together
};

Analysis analyze(std::string_view raw, const AnalysisLimits& limits = {},
                 core::CpuBudget* cpu = nullptr);

// URLs in plain text (http, https, ftp, www.), at most `max`; linear in the text.
// Stops early when `budget` is spent.
std::vector<std::string> text_urls(std::string_view text, size_t max,
                                   core::CpuBudget* budget = nullptr);

// The URLs of plain text written defanged, as people and kits write them to dodge
// filters, read back: "hxxp" / "hXXp" / "HXXP" is "http", "[.]" "(.)" "{.}" "[dot]"
// "(dot)" are ".", "[:]" is ":", "[://]" is "://", "[/]" is "/". text_urls over the
// text so refanged, keeping only the URLs that hold a replacement (the plain ones are
// text_urls' own), at most `max`. Linear in the text; stops early when `budget` is spent.
std::vector<std::string> defanged_text_urls(std::string_view text, size_t max,
                                            core::CpuBudget* budget = nullptr);

// Lower-case hex SHA-256 (the one of core/digest.hpp).
using core::sha256_hex;

}  // namespace postern::mime
