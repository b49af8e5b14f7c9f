// Analysis: the MIME tree plus what every leaf holds, as a mail client shows it.
//
// Contract: `analyze(raw, limits)` parses the tree, transfer-decodes every leaf
// (within the per-part and per-message decoded-size limits), hashes the decoded
// bytes (SHA-256), converts text parts to UTF-8, extracts text and links from
// HTML parts, and gathers every anomaly (parse, decode, charset, HTML) as a
// MIME_* or HTML_* symbol. `raw` must outlive the Analysis. Never throws on
// hostile input. Immutable afterwards; shared by the stages of a transaction.
#pragma once

#include <string>
#include <string_view>
#include <vector>

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
  bool decoded_truncated = false;
  std::vector<Anomaly> anomalies;  // of this part: parse and decode (symbols with details)
};

struct LinkRef {
  std::string url;
  std::string text;
  std::string part;    // path of the part it came from
  std::string source;  // "a@href", "text", ...
};

struct Analysis {
  Tree tree;
  std::vector<Leaf> leaves;
  std::vector<LinkRef> links;
  std::vector<Anomaly> anomalies;  // every anomaly, detail prefixed with the part path
  size_t html_hidden_elements = 0, html_hidden_text = 0, html_tiny_font = 0,
         html_invisible_color = 0;
  size_t html_forms_with_password = 0;
};

struct AnalysisLimits {
  Limits mime;
  html::Limits html;
  size_t max_text_links = 1000;  // URLs found in plain text
};

Analysis analyze(std::string_view raw, const AnalysisLimits& limits = {});

// URLs in plain text (http, https, ftp, www.), bounded.
std::vector<std::string> text_urls(std::string_view text, size_t max);

// Lower-case hex SHA-256 (the one of core/digest.hpp).
using core::sha256_hex;

}  // namespace postern::mime
