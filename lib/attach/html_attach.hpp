// HTML attachments: HTML smuggling, credential forms, redirect lures and
// obfuscated script in an attached HTML, SVG or HTA file.
//
// Contract: `scan_html_attachment(html, limits, budget)` reads the page once with
// html::extract (forms, links, meta refresh, visible text) and once more over its
// raw bytes, lower-cased with white space removed, for what its script does (script
// is scanned as bytes, never run): blob building and saving (new Blob(,
// URL.createObjectURL, msSaveOrOpenBlob, msSaveBlob, a download attribute), payloads
// (runs of the base64 alphabet of at least `min_base64_run` bytes, long arrays of
// string literals, data: URIs of executable or archive types, atob), obfuscation
// (eval, unescape, String.fromCharCode, long runs of \xNN or %uNNNN escapes) and
// redirects (location =, location.replace, window.open, meta refresh). Findings:
//   ATTACH_HTML_SMUGGLING        a payload and a way to save it (the detail names the
//                                strongest 2-3 signals);
//   ATTACH_HTML_FORM             a form asking for a password, a form posting an
//                                e-mail or login field to the web, or script that
//                                sends a password field to http(s);
//   ATTACH_HTML_REDIRECT         a page that sends the reader to a web URL and shows
//                                little else (less than `redirect_max_text` characters);
//   ATTACH_HTML_SCRIPT_OBFUSCATED  eval or document.write over decoded text, or long
//                                escape runs;
//   ATTACH_HTML_LIMIT            the file was longer than `max_input` (the rest unread)
//                                or the CPU budget ran out (nothing else is reported).
// Linear in the input (a fixed number of passes, each bounded by `max_input`);
// never throws on hostile input; thread-safe (pure function).
#pragma once

#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

#include "attach/hit.hpp"
#include "core/cpu_budget.hpp"
#include "core/symbols.hpp"

namespace postern::attach {

struct HtmlAttachLimits {
  size_t max_input = 16u << 20;      // bytes read; smuggling pages carry MBs of payload
  size_t min_base64_run = 8 * 1024;  // a run of base64 alphabet this long is a payload
  size_t min_string_array = 200;     // this many "..","..", separators: a string array payload
  size_t min_escape_run = 200;       // \xNN / %uNNNN escapes in one run
  size_t redirect_max_text = 200;    // visible characters of a page that only redirects
};

std::vector<Hit> scan_html_attachment(std::string_view html, const HtmlAttachLimits& limits = {},
                                      core::CpuBudget* budget = nullptr);

// The ATTACH_HTML_* symbols.
std::span<const core::SymbolInfo> html_attach_symbols();

}  // namespace postern::attach
