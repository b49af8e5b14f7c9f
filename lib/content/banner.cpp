// Banner: see banner.hpp.
#include "content/banner.hpp"

#include <fmt/format.h>

#include <array>
#include <vector>

#include "core/address.hpp"
#include "html/extract.hpp"
#include "mime/splice.hpp"
#include "mime/stage.hpp"
#include "telemetry/log.hpp"

namespace postern::content {
namespace {

bool is_ascii(std::string_view s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  return true;
}

bool is_utf8_charset(std::string_view cs) {
  return cs == "utf-8" || cs == "utf8";
}

// Charsets in which ASCII bytes mean ASCII characters at the start of the text.
bool ascii_compatible(std::string_view cs) {
  static constexpr std::array<std::string_view, 14> kNames{
      "",       "us-ascii", "ascii",   "utf-8", "utf8",   "koi8-r", "koi8-u",
      "gb2312", "gbk",      "gb18030", "big5",  "euc-jp", "euc-kr", "iso-2022-jp"};
  for (auto n : kNames)
    if (cs == n) return true;
  for (std::string_view prefix : {"iso-8859-", "windows-125", "cp125"})
    if (cs.starts_with(prefix) && cs.size() > prefix.size()) return true;
  return false;
}

// Types whose signature or encryption a banner would break.
bool signed_or_encrypted(const mime::Part& p) {
  static constexpr std::array<std::string_view, 5> kTypes{
      "multipart/signed", "multipart/encrypted", "application/pkcs7-mime",
      "application/x-pkcs7-mime", "application/pgp-encrypted"};
  for (auto t : kTypes)
    if (p.content_type == t) return true;
  return false;
}

bool inside_attached_message(const mime::Tree& t, const mime::Part& p) {
  for (int i = p.parent; i >= 0; i = t.parts()[static_cast<size_t>(i)].parent)
    if (t.parts()[static_cast<size_t>(i)].message) return true;
  return false;
}

bool is_body_part(const mime::Tree& t, const mime::Part& p, std::string_view type) {
  return p.content_type == type && p.is_leaf() && !p.uuencoded && !p.opaque &&
         p.disposition != "attachment" && p.filename.empty() && !inside_attached_message(t, p);
}

// A blank line ends the part's header block: without one, text put at the start of the
// body would read as header fields (or a continuation) to the next parser.
bool blank_line_after_header(const mime::Tree& t, const mime::Part& p) {
  std::string_view block = t.raw().substr(p.header_begin, p.header_end - p.header_begin);
  return block == "\n" || block == "\r\n" || block.ends_with("\n\n") || block.ends_with("\r\n\r\n");
}

std::string_view line_end_in(std::string_view s) {
  size_t nl = s.find('\n');
  return nl != std::string_view::npos && (nl == 0 || s[nl - 1] != '\r') ? "\n" : "\r\n";
}

uint32_t next_code_point(std::string_view s, size_t& i) {
  unsigned char c = static_cast<unsigned char>(s[i++]);
  if (c < 0x80) return c;
  size_t n = (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : 3;
  uint32_t cp = c & (0x3f >> n);
  for (size_t k = 0; k < n && i < s.size(); ++k, ++i)
    cp = (cp << 6) | (static_cast<unsigned char>(s[i]) & 0x3f);
  return cp;
}

struct Target {
  const mime::Part* part;
  bool html;
};

// The part's new content, or why it is skipped.
postern::expected<std::string, std::string> bannered(const mime::Tree& tree, const Target& t,
                                                     std::string_view text) {
  const mime::Part& p = *t.part;
  auto skip = [&](std::string why) {
    return postern::unexpected(fmt::format("part {} ({}): {}", p.path, p.content_type, why));
  };
  if (!blank_line_after_header(tree, p)) return skip("no blank line ends its header block");
  if (!ascii_compatible(p.charset)) return skip("charset " + p.charset + " is not ASCII-based");
  if (!t.html && !is_ascii(text) && !is_utf8_charset(p.charset))
    return skip("a non-ASCII banner cannot be written in charset " +
                (p.charset.empty() ? std::string("us-ascii") : p.charset));
  mime::DecodeStats st;
  std::string content = tree.decode(p, st);
  if (st.invalid_chars || st.missing_padding || st.data_after_padding || st.invalid_escapes ||
      st.truncated)
    return skip("its transfer encoding is damaged");
  if (content.find("-----BEGIN PGP ") != std::string::npos) return skip("inline PGP");
  std::string_view eol = line_end_in(content);
  if (t.html) {
    std::string insert = std::string(eol) + banner_html(text) + std::string(eol);
    // Where a browser's body content starts: not a "<body>" in a comment or a script.
    std::optional<size_t> at = html::body_content_offset(content);
    if (!at) return skip("its HTML is beyond the parser's bounds");
    // Already there (the leading line end may sit outside an implied body: it is then
    // before `at`).
    std::string div = banner_html(text);
    if (content.compare(*at, insert.size(), insert) == 0 ||
        content.compare(*at, div.size(), div) == 0)
      return postern::unexpected(std::string());  // nothing to do, nothing to log
    content.insert(*at, insert);
  } else {
    if (std::string_view(content).starts_with(text))
      return postern::unexpected(std::string());  // nothing to do, nothing to log
    content.insert(0, std::string(text) + std::string(eol) + std::string(eol));
  }
  return content;
}

}  // namespace

std::string banner_html(std::string_view text) {
  std::string out =
      "<div style=\"border:1px solid #c00;background:#fff4f4;color:#000;padding:6px;"
      "margin:0 0 8px 0\">";
  for (size_t i = 0; i < text.size();) {
    uint32_t cp = next_code_point(text, i);
    switch (cp) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        if (cp < 0x80)
          out.push_back(static_cast<char>(cp));
        else
          out += fmt::format("&#x{:X};", cp);
    }
  }
  out += "</div>";
  return out;
}

postern::expected<std::string, std::string> add_banner(const core::Message& m,
                                                       std::string_view text,
                                                       const mime::Limits& limits) {
  mime::Tree tree = mime::Tree::parse(m.raw(), limits);
  const mime::Part* plain = nullptr;
  const mime::Part* html = nullptr;
  for (const auto& p : tree.parts()) {
    if (signed_or_encrypted(p))
      return postern::unexpected("signed or encrypted (" + p.content_type + ")");
    if (p.opaque) return postern::unexpected(std::string("a part beyond a MIME limit"));
    if (!plain && is_body_part(tree, p, "text/plain")) plain = &p;
    if (!html && is_body_part(tree, p, "text/html")) html = &p;
  }
  if (!plain && !html) return postern::unexpected(std::string("no text/plain or text/html body"));
  std::vector<mime::Replacement> reps;
  std::string skipped;
  for (Target t : {Target{plain, false}, Target{html, true}}) {
    if (!t.part) continue;
    auto c = bannered(tree, t, text);
    if (c)
      reps.push_back({t.part, std::move(*c)});
    else if (!c.error().empty())
      skipped += (skipped.empty() ? "" : "; ") + c.error();
  }
  if (reps.empty()) return postern::unexpected(skipped);
  auto spliced = mime::splice(tree, reps);
  if (!spliced) return postern::unexpected(spliced.error());
  size_t header = m.body_offset();
  if (spliced->size() < header || spliced->compare(0, header, m.raw(), 0, header) != 0)
    return postern::unexpected(std::string(
        "the part's transfer encoding would have to change (the header block cannot be edited "
        "with the body)"));
  if (!skipped.empty()) telemetry::log_info("banner: {}", skipped);
  return spliced->substr(header);
}

bool BannerModifier::needs_message(const core::Transaction& tx, const core::Outcome& out) const {
  return !p_.text.empty() && p_.directions.has(tx.direction()) &&
         core::severity(out.verdict.action) >= core::severity(p_.min_action);
}

void BannerModifier::modify(const core::Transaction& tx, const core::Message& current,
                            core::Outcome& out) const {
  if (!needs_message(tx, out)) return;
  if (tx.has_finding("LIMIT_SCAN_TIME")) {  // the content stages ran out of time on it
    telemetry::log_info("{}: no banner: the message used up its scan time", tx.scan_id());
    return;
  }
  auto body = add_banner(current, p_.text, mime::analysis_limits(tx.limits()).mime);
  if (!body) {
    if (!body.error().empty()) telemetry::log_info("{}: no banner: {}", tx.scan_id(), body.error());
    return;
  }
  out.new_body = std::move(*body);
}

}  // namespace postern::content
