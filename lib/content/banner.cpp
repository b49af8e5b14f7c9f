// Banner: see banner.hpp.
#include "content/banner.hpp"

#include <fmt/format.h>

#include <array>
#include <vector>

#include "core/address.hpp"
#include "html/escape.hpp"
#include "html/extract.hpp"
#include "mime/body_edit.hpp"
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

std::string_view line_end_in(std::string_view s) {
  size_t nl = s.find('\n');
  return nl != std::string_view::npos && (nl == 0 || s[nl - 1] != '\r') ? "\n" : "\r\n";
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
  if (!t.html && !is_ascii(text) && !is_utf8_charset(p.charset))
    return skip("a non-ASCII banner cannot be written in charset " +
                (p.charset.empty() ? std::string("us-ascii") : p.charset));
  auto editable = mime::editable_content(tree, p, false);
  if (!editable) return skip(editable.error());
  std::string content = std::move(*editable);
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
  out += html::escape(text, true);
  out += "</div>";
  return out;
}

postern::expected<std::string, std::string> add_banner(const core::Message& m,
                                                       std::string_view text,
                                                       const mime::Limits& limits) {
  mime::Tree tree = mime::Tree::parse(m.raw(), limits);
  const mime::Part* plain = nullptr;
  const mime::Part* html = nullptr;
  if (auto why = mime::refused_whole(tree)) return postern::unexpected(*why);
  for (const auto& p : tree.parts()) {
    if (!plain && mime::body_part(tree, p, "text/plain")) plain = &p;
    if (!html && mime::body_part(tree, p, "text/html")) html = &p;
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
  auto body = mime::spliced_body(m, tree, reps);
  if (!body) return body;
  if (!skipped.empty()) telemetry::log_info("banner: {}", skipped);
  return body;
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
