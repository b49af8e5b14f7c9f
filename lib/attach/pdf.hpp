// PDF active content: what a PDF attachment would do when opened, found by a
// bounded, linear lexer over its bytes (no object model).
//
// Contract: `analyze_pdf(data, limits, budget)` tokenizes the file as a PDF reader
// does: comments are skipped, literal strings (nested parentheses, backslash
// escapes) and hex strings are skipped as strings, so a name inside a string does
// not count; names are decoded (`#xx` escapes), and a keyword spelled with an
// escape (`/J#61vaScript`) counts as the keyword and is itself a finding. Each
// stream is decoded (FlateDecode, ASCIIHexDecode, ASCII85Decode, RunLengthDecode,
// chained) within per-stream, per-file and ratio bounds, and its content is lexed
// the same way (object streams hide dictionaries there), except metadata, images,
// fonts and embedded files, whose bytes are not PDF syntax. What it looks for:
// /JavaScript and /JS, /OpenAction and /AA, /Launch, /EmbeddedFile(s), /XFA,
// /RichMedia, /SubmitForm, /GoToR, /GoToE, /Encrypt, and the /URI strings.
// Ambiguity is read the strict way: an unterminated string or hex string (which a
// lenient reader would end somewhere) is a finding, and the bytes after it are
// lexed again as if it were not a string, so nothing hides behind it. Every limit
// that is hit is an ATTACH_PDF_LIMIT Hit, never an error; memory is bounded by
// the limits; each input byte and each decoded byte is lexed at most twice. With
// a CPU budget, the work stops when it is spent (a LIMIT hit; what was found
// stays). Never throws on hostile input (std::bad_alloc aside). Thread-safe: pure
// function. `scan_pdf` returns just the hits.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "attach/hit.hpp"
#include "core/cpu_budget.hpp"
#include "core/symbols.hpp"

namespace postern::attach {

struct PdfLimits {
  size_t max_input = 64u << 20;           // bytes of the file looked at; beyond: LIMIT
  size_t max_streams = 4096;              // streams decoded; the rest are skipped (LIMIT)
  size_t max_stream_output = 16u << 20;   // decoded bytes per stream
  size_t max_total_output = 64u << 20;    // decoded bytes of all streams together
  size_t max_ratio = 200;                 // decoded / encoded bytes of one stream (+64 KiB)
  size_t max_filters = 4;                 // chained filters on one stream
  size_t max_uris = 100;                  // URIs kept in the report (all are counted)
  size_t max_uri_length = 2048;           // bytes kept of each URI
  size_t max_embedded_files = 8;          // embedded files whose bytes are kept
  size_t max_embedded_bytes = 32u << 20;  // bytes kept of all embedded files together
  // ATTACH_PDF_URIS: a PDF with links and less than this much text in its pages
  // (bytes of string operands in its content streams) is a link lure.
  size_t lure_max_text = 200;
};

struct PdfReport {
  std::vector<Hit> hits;
  std::vector<std::string> uris;            // /URI targets, at most max_uris
  size_t uri_count = 0;                     // all /URI actions seen
  std::vector<std::string> embedded_files;  // decoded /EmbeddedFile streams (bounded)
  size_t text_bytes = 0;                    // string bytes in decoded content streams
  size_t streams = 0, streams_decoded = 0;  // seen, and decoded and lexed
};

PdfReport analyze_pdf(std::string_view data, const PdfLimits& limits = {},
                      core::CpuBudget* budget = nullptr);

std::vector<Hit> scan_pdf(std::string_view data, const PdfLimits& limits = {},
                          core::CpuBudget* budget = nullptr);

// The ATTACH_PDF_* symbols.
std::span<const core::SymbolInfo> pdf_symbols();

}  // namespace postern::attach
