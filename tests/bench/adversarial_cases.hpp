// adversarial_cases: hostile messages generated in memory, and the scan that
// `postern scan` runs on them.
//
// Contract: `adversarial_cases()` lists every case (name, what it attacks, a
// generator, the finding a scan must add, if any). Each generator is
// deterministic and builds one complete message (a few MB at most) that made
// some path of the MIME, HTML or header work quadratic or memory-hungry before
// the fix named in its description. `scan_like_cli` runs a message through a
// Session exactly as tools/scan_command.cpp does (envelope guessed from the
// headers, connect, MAIL, RCPT, headers, body, end of message) and returns the
// outcome with the sizes of what the scan kept (findings, links, link text,
// visible text), so callers can assert that output is bounded. Shared by
// adversarial_bench (timings, peak RSS) and the unit test (bounds, findings).
// Header-only; nothing here measures time.
#pragma once

#include <fmt/format.h>

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/address.hpp"
#include "core/message.hpp"
#include "mime/analysis.hpp"
#include "mime/stage.hpp"
#include "scan/envelope_guess.hpp"
#include "scan/registry.hpp"
#include "scan/session.hpp"
#include "scan/snapshot.hpp"

namespace postern::adversarial {

struct Case {
  std::string name;
  std::string what;                   // the path it attacks
  std::function<std::string()> make;  // the raw message (CRLF)
  std::string expect_symbol;          // a finding the scan must add ("" = none required)
};

// What one scan produced, with the sizes that must stay bounded.
struct ScanResult {
  bool got_verdict = false;  // end of message returned an outcome with an event logged
  core::Action action = core::Action::Accept;
  std::vector<std::string> symbols;
  size_t findings_bytes = 0;  // symbols and details
  size_t header_bytes = 0;    // header fields the verdict adds
  size_t links = 0;
  size_t link_bytes = 0;       // URLs and anchor texts
  size_t max_link_text = 0;    // the longest anchor text
  size_t link_text_bytes = 0;  // all anchor texts
  size_t text_bytes = 0;       // visible text of every leaf
  size_t input_bytes = 0;
};

namespace detail {

inline std::string headers(std::string_view extra = {}) {
  return fmt::format(
      "From: Alice <alice@example.org>\r\nTo: bob@example.com\r\nSubject: hostile\r\n"
      "Date: Tue, 1 Jul 2003 10:52:37 +0200\r\nMessage-ID: <adv@example.org>\r\n"
      "MIME-Version: 1.0\r\n{}",
      extra);
}

inline std::string repeat(std::string_view s, size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

inline std::string single(std::string_view content_type, std::string_view body,
                          std::string_view extra = {}) {
  return headers(fmt::format("{}Content-Type: {}\r\n\r\n", extra, content_type)) +
         std::string(body) + "\r\n";
}

// 60 nested <a href><object> around one text node of `text_bytes` bytes.
inline std::string nested_anchors_html(size_t text_bytes) {
  std::string h = "<html><body>";
  for (int i = 0; i < 60; ++i) h += fmt::format("<a href=\"http://n{}.example/\"><object>", i);
  h += repeat("lorem ipsum ", text_bytes / 12);
  h += "</body></html>";
  return h;
}

inline std::string multipart(const std::vector<std::string>& bodies, std::string_view type) {
  std::string m = headers("Content-Type: multipart/mixed; boundary=\"b0\"\r\n\r\n");
  for (const auto& b : bodies) m += fmt::format("--b0\r\nContent-Type: {}\r\n\r\n{}\r\n", type, b);
  m += "--b0--\r\n";
  return m;
}

}  // namespace detail

inline std::vector<Case> adversarial_cases() {
  using detail::repeat;
  using detail::single;
  std::vector<Case> c;
  c.push_back({"text_urls_hwww",
               "text_urls: 300 KB of 'hwww.' (every scheme searched again from each position)",
               [] { return single("text/plain", repeat("hwww.", 60000)); }, ""});
  c.push_back({"text_urls_many", "text_urls: 400 KB of short URLs (bounded list)",
               [] { return single("text/plain", repeat("http://a.example/ ", 24000)); }, ""});
  c.push_back({"html_unmatched_end_tags",
               "HTML: 100,000 '<div></x>' (unmatched end tags defeated the nesting bound)",
               [] { return single("text/html", repeat("<div></x>", 100000)); }, "HTML_LIMIT"});
  c.push_back({"html_misnested_formatting",
               "HTML: 50,000 '<b><div></b>' (the adoption agency keeps the depth)",
               [] { return single("text/html", repeat("<b><div></b>", 50000)); }, "HTML_LIMIT"});
  c.push_back({"html_end_tag_across_special",
               "HTML: 50,000 '<x><div></x>' and '<div><object></div>' (end tags stopped by special "
               "and scoping elements)",
               [] {
                 return single("text/html", repeat("<x><div></x>", 25000) +
                                                repeat("<div><object></div>", 25000));
               },
               "HTML_LIMIT"});
  c.push_back({"html_deep_nesting", "HTML: 200,000 nested '<div>'",
               [] { return single("text/html", repeat("<div>", 200000)); }, "HTML_LIMIT"});
  c.push_back({"html_nested_anchors", "HTML: 60 nested <a href><object> around a 3.9 MB text node",
               [] { return single("text/html", detail::nested_anchors_html(3900000)); }, ""});
  c.push_back({"html_nested_anchors_x3", "HTML: three parts of 60 nested anchors around 3.9 MB",
               [] {
                 std::string h = detail::nested_anchors_html(3900000);
                 return detail::multipart({h, h, h}, "text/html");
               },
               ""});
  c.push_back({"html_anchor_many_elements",
               "HTML: 60 nested anchors around 200,000 empty elements (anchor text walk)",
               [] {
                 std::string h;
                 for (int i = 0; i < 60; ++i)
                   h += fmt::format("<a href=\"http://n{}.example/\"><object>", i);
                 h += repeat("<span></span>", 200000);
                 return single("text/html", h);
               },
               ""});
  c.push_back({"html_img_alt", "HTML: 2000 images each with a 2 KB alt text (link text bound)",
               [] {
                 return single("text/html", repeat("<img src=\"http://i.example/x.png\" alt=\"" +
                                                       repeat("alt text ", 230) + "\">",
                                                   2000));
               },
               ""});
  c.push_back(
      {"css_many_empty_url",
       "CSS: 200,000 'url()' in <style> (no @import: searched again each time)",
       [] { return single("text/html", "<style>" + repeat("url()", 200000) + "</style>x"); }, ""});
  c.push_back(
      {"css_many_import", "CSS: 150,000 '@import' without quotes or ';'",
       [] { return single("text/html", "<style>" + repeat("@import ", 150000) + "</style>x"); },
       ""});
  c.push_back({"css_style_attributes", "CSS: 20,000 elements with url() in style attributes",
               [] {
                 return single("text/html",
                               repeat("<p style=\"background:url(http://c.example/a.png);"
                                      "color:#fff;background-color:white\">x</p>",
                                      20000));
               },
               ""});
  c.push_back({"rfc2047_param_unterminated",
               "RFC 2047 in a parameter: 20,000 '=?utf-8?q?a ' then one '?=' (the end searched "
               "from each start)",
               [] {
                 return single(
                     "application/octet-stream; name=\"" + repeat("=?utf-8?q?a ", 20000) + "?=\"",
                     "AAAA");
               },
               ""});
  c.push_back({"rfc2047_param_open", "RFC 2047 in a parameter: 60,000 '=?x' never closed",
               [] {
                 return single("application/octet-stream; name=\"" + repeat("=?x", 60000) + "\"",
                               "AAAA");
               },
               ""});
  c.push_back({"rfc2047_many_words", "RFC 2047: 15,000 encoded words in two alternating charsets",
               [] {
                 return single("application/octet-stream; name=\"" +
                                   repeat("=?utf-8?b?YQ==?= =?iso-8859-1?q?b?= ", 7500) + "\"",
                               "AAAA");
               },
               ""});
  c.push_back({"rfc2231_continuations", "RFC 2231: 64 continuations of 3 KB percent-encoded each",
               [] {
                 std::string ct = "application/octet-stream";
                 for (int i = 0; i < 64; ++i)
                   ct += fmt::format(";\r\n name*{}*={}{}", i, i == 0 ? "utf-8''" : "",
                                     repeat("%41", 1000));
                 return single(ct, "AAAA");
               },
               ""});
  c.push_back({"params_many_syntax_errors", "parameters: 100,000 ';x' without '=' (syntax errors)",
               [] { return single("text/plain" + repeat(";x", 100000), "x"); },
               "MIME_CONTENT_TYPE_SYNTAX"});
  c.push_back({"params_unterminated_comment", "parameters: 200,000 '(' never closed",
               [] { return single("text/plain; charset=utf-8 " + repeat("(", 200000), "x"); }, ""});
  c.push_back(
      {"mime_deep_nesting", "MIME: 5000 nested multiparts",
       [] {
         std::string m = detail::headers("Content-Type: multipart/mixed; boundary=\"b0\"\r\n\r\n");
         for (int i = 1; i < 5000; ++i)
           m += fmt::format("--b{}\r\nContent-Type: multipart/mixed; boundary=\"b{}\"\r\n\r\n",
                            i - 1, i);
         m += "--b4999\r\nContent-Type: text/plain\r\n\r\nhello\r\n";
         return m;
       },
       "MIME_DEPTH_LIMIT"});
  c.push_back({"mime_deep_rfc822", "MIME: 5000 nested message/rfc822",
               [] {
                 return detail::headers() +
                        repeat("Content-Type: message/rfc822\r\n\r\nSubject: inner\r\n", 5000) +
                        "\r\nhello\r\n";
               },
               "MIME_DEPTH_LIMIT"});
  c.push_back({"mime_many_parts", "MIME: 60,000 parts",
               [] { return detail::multipart(std::vector<std::string>(60000, "x"), "text/plain"); },
               "MIME_PARTS_LIMIT"});
  c.push_back({"mime_boundary_dashes",
               "MIME: a 60 KB boundary of dashes over 2 MB of dash lines (every position a match)",
               [] {
                 std::string b = repeat("-", 60000);
                 std::string m = detail::headers("Content-Type: multipart/mixed; boundary=\"" + b +
                                                 "\"\r\n\r\n--" + b + "\r\n\r\n");
                 m += repeat(repeat("-", 70000) + "\r\n", 30);
                 return m;
               },
               ""});
  c.push_back({"mime_many_begin_lines", "uuencode: 100,000 'begin 644 x' lines without 'end'",
               [] { return single("text/plain", repeat("begin 644 x\r\nM86)C\r\n", 100000)); },
               "MIME_UUENCODE_UNTERMINATED"});
  c.push_back({"base64_huge_line", "base64: one 24 MB line",
               [] {
                 return single("application/octet-stream", repeat("QUJD", 6000000),
                               "Content-Transfer-Encoding: base64\r\n");
               },
               ""});
  c.push_back({"qp_soft_breaks", "quoted-printable: 4 MB of '=\\r\\n' and invalid escapes",
               [] {
                 return single("text/plain", repeat("=\r\n=ZZ", 700000),
                               "Content-Transfer-Encoding: quoted-printable\r\n");
               },
               "MIME_QP_INVALID"});
  c.push_back(
      {"long_header_line", "headers: one 1 MB Subject line",
       [] { return "Subject: " + repeat("x", 1 << 20) + "\r\n" + single("text/plain", "hello"); },
       "LIMIT_HEADER_LINE"});
  c.push_back({"many_headers", "headers: 100,000 fields",
               [] { return repeat("X-Filler: y\r\n", 100000) + single("text/plain", "hello"); },
               "LIMIT_HEADER_COUNT"});
  c.push_back({"subject_many_encoded_words", "headers: a Subject of 30,000 encoded words",
               [] {
                 return "Subject: " + repeat("=?utf-8?q?a?= ", 30000) + "\r\n" +
                        single("text/plain", "hello");
               },
               ""});
  c.push_back({"mime_header_many_encoded", "MIME: a Content-Type of 200 KB of '=?' fragments",
               [] { return single("text/plain; name=" + repeat("=?a?q?", 35000), "hello"); }, ""});
  c.push_back({"address_unterminated_comment", "addresses: From and To with 200,000 '(' unclosed",
               [] {
                 return "From: a@example.org " + repeat("(", 200000) + "\r\nTo: b@example.com " +
                        repeat("(", 200000) + "\r\n" + single("text/plain", "hello");
               },
               ""});
  c.push_back({"address_unterminated_quote",
               "addresses: To with 200,000 '\"a\",' and an open quote",
               [] {
                 return "To: " + repeat("\"a\" <b@c.example>, ", 20000) + "\"" +
                        repeat("x", 200000) + "\r\n" + single("text/plain", "hello");
               },
               ""});
  c.push_back({"address_many", "addresses: To with 50,000 addresses",
               [] {
                 return "To: " + repeat("x@y.example, ", 50000) + "\r\n" +
                        single("text/plain", "hello");
               },
               ""});
  return c;
}

// Runs `raw` through a Session as `postern scan FILE` does.
inline ScanResult scan_like_cli(const scan::SnapshotPtr& snap, const std::string& raw) {
  ScanResult r;
  r.input_bytes = raw.size();
  // The envelope, as scan_command guesses it.
  scan::GuessedEnvelope env = scan::guess_envelope(raw);
  const std::string& from = env.from;
  const std::vector<std::string>& rcpts = env.rcpts;

  std::vector<nlohmann::json> events;
  scan::Session session([snap] { return snap; },
                        [&](const nlohmann::json& e) { events.push_back(e); });
  session.connection().client_name = "localhost";
  session.connect();
  session.mail_from(from);
  bool accepted = false;
  for (const auto& rc : rcpts)
    if (session.rcpt(rc).action == core::Action::Accept) accepted = true;
  if (!accepted) return r;
  core::split_raw_message(
      raw, [&](std::string_view n, std::string_view v) { session.header(n, v); },
      [&](std::string_view b) { session.body(b); });
  core::Outcome out = session.end_of_message();
  r.got_verdict = !events.empty();
  r.action = out.verdict.action;
  for (const auto& e : events)
    for (const auto& f : e["postern"]["findings"]) {
      r.symbols.push_back(f["symbol"].get<std::string>());
      r.findings_bytes += r.symbols.back().size() + f["detail"].get<std::string>().size();
    }
  for (const auto& h : out.added) r.header_bytes += h.name.size() + h.value.size();
  return r;
}

// Adds the sizes of what the MIME analysis keeps (links, anchor texts, visible text), from
// the analysis `postern scan --parts` prints (the stage's own is gone with the transaction).
inline void add_analysis_sizes(const scan::Snapshot& snap, const std::string& raw, ScanResult& r) {
  core::Message m = core::build_message(raw, snap.config.limits.message_size);
  mime::Analysis a = mime::analyze(m.raw(), mime::analysis_limits(snap.config.limits));
  r.links = a.links.size();
  for (const auto& l : a.links) {
    r.link_bytes += l.url.size() + l.text.size();
    r.link_text_bytes += l.text.size();
    r.max_link_text = std::max(r.max_link_text, l.text.size());
  }
  for (const auto& l : a.leaves) r.text_bytes += l.text.size();
}

// A snapshot with the shipped policies and the built-in daemon defaults (no DNS), as
// `postern scan` runs without a config file.
inline scan::SnapshotPtr default_snapshot(const std::string& policies_dir) {
  auto pol = policy::load_policy({policies_dir}, postern::scan::policy_sections());
  if (!pol) return nullptr;
  policy::Config cfg;
  cfg.authserv_id = "mx.test";
  return scan::make_snapshot(cfg, *pol);
}

}  // namespace postern::adversarial
