// Analysis: decode, hash, convert and extract every leaf of the tree.
#include "mime/analysis.hpp"

#include <fmt/format.h>

#include <array>

#include "core/forward_find.hpp"

namespace postern::mime {

std::vector<std::string> text_urls(std::string_view text, size_t max, core::CpuBudget* budget) {
  std::vector<std::string> out;
  auto is_url_char = [](unsigned char c) {
    return c > 32 && c < 127 && c != '<' && c != '>' && c != '"' && c != '\'' && c != '`' &&
           c != '{' && c != '}' && c != '|' && c != '\\' && c != '^';
  };
  // case-insensitive search would cost a copy; schemes in mail text are lower case in practice.
  // The schemes are "www." and "http://", "https://", "ftp://", "HTTP://", "HTTPS://": those
  // are found from their "://" (rare in text), looking back for the scheme's name. At most
  // one name ends at a "://", and a later "://" gives a later start, so the first "://"
  // with a name starting at or after `pos` gives the first of them. Each needle's next
  // occurrence is remembered (positions only grow): one pass for each.
  core::ForwardFind sep(text, "://"), www(text, "www.");
  auto named = [&](size_t k, std::string_view name) {
    return k >= name.size() && text.substr(k - name.size(), name.size()) == name;
  };
  auto scheme_before = [&](size_t k) {  // where the scheme whose "://" is at k starts
    if (named(k, "https") || named(k, "HTTPS")) return k - 5;
    if (named(k, "http") || named(k, "HTTP")) return k - 4;
    if (named(k, "ftp")) return k - 3;
    return std::string_view::npos;
  };
  size_t pos = 0;
  while (pos < text.size() && out.size() < max) {
    if (budget && budget->tick()) break;
    size_t best = www.from(pos);
    for (size_t k = sep.from(pos + 3); k != std::string_view::npos; k = sep.from(k + 1)) {
      if (best != std::string_view::npos && k >= best + 5) break;  // starts after best
      size_t start = scheme_before(k);
      if (start != std::string_view::npos && start >= pos) {
        best = std::min(best, start);
        break;
      }
    }
    if (best == std::string_view::npos) break;
    if (best > 0 && is_url_char(static_cast<unsigned char>(text[best - 1])) &&
        text[best - 1] != '(' && text[best - 1] != '[' && text[best - 1] != '=' &&
        text[best - 1] != ':') {
      pos = best + 1;  // inside a word: not a URL start
      continue;
    }
    size_t e = best;
    while (e < text.size() && is_url_char(static_cast<unsigned char>(text[e]))) ++e;
    std::string_view url = text.substr(best, e - best);
    while (!url.empty() &&
           (url.back() == '.' || url.back() == ',' || url.back() == ')' || url.back() == ';' ||
            url.back() == ':' || url.back() == '!' || url.back() == '?' || url.back() == ']'))
      url.remove_suffix(1);
    // the match is a scheme: "www." or "...://" within its first 8 bytes
    size_t scheme_len =
        text.substr(best).starts_with("www.") ? 4 : text.find("://", best) - best + 3;
    if (url.size() > scheme_len) out.emplace_back(url);  // a bare "http://" or "www." is no URL
    pos = e;
  }
  return out;
}

namespace {

// Refanging: the text with each defanging undone and, per output byte, whether it came
// from a replacement.
struct Refanged {
  std::string text;
  std::vector<bool> replaced;  // per byte of `text`
  bool changed = false;
};

struct Swap {
  std::string_view from, to;
};

// Longest first where one is a prefix of another.
constexpr std::array<Swap, 14> kSwaps{{{"[://]", "://"},
                                       {"[dot]", "."},
                                       {"(dot)", "."},
                                       {"[.]", "."},
                                       {"(.)", "."},
                                       {"{.}", "."},
                                       {"[:]", ":"},
                                       {"[/]", "/"},
                                       {"hxxps", "https"},
                                       {"hxxp", "http"},
                                       {"hXXps", "https"},
                                       {"hXXp", "http"},
                                       {"HXXPS", "HTTPS"},
                                       {"HXXP", "HTTP"}}};

// Whether `text` may hold a defanged URL (cheap test before refanging).
bool maybe_defanged(std::string_view text) {
  return text.find("[.]") != std::string_view::npos || text.find("(.)") != std::string_view::npos ||
         text.find("{.}") != std::string_view::npos || text.find("[:]") != std::string_view::npos ||
         text.find("[dot]") != std::string_view::npos ||
         text.find("(dot)") != std::string_view::npos ||
         text.find("xxp") != std::string_view::npos || text.find("XXP") != std::string_view::npos ||
         text.find("XXp") != std::string_view::npos || text.find("[://]") != std::string_view::npos;
}

Refanged refang(std::string_view text) {
  Refanged r;
  r.text.reserve(text.size());
  r.replaced.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    bool swapped = false;
    if (c == '[' || c == '(' || c == '{' || c == 'h' || c == 'H') {
      for (const auto& s : kSwaps) {
        if (text.substr(i, s.from.size()) != s.from) continue;
        r.text.append(s.to);
        r.replaced.insert(r.replaced.end(), s.to.size(), true);
        i += s.from.size();
        swapped = r.changed = true;
        break;
      }
    }
    if (!swapped) {
      r.text.push_back(c);
      r.replaced.push_back(false);
      ++i;
    }
  }
  return r;
}

}  // namespace

std::vector<std::string> defanged_text_urls(std::string_view text, size_t max,
                                            core::CpuBudget* budget) {
  std::vector<std::string> out;
  if (!maybe_defanged(text)) return out;
  Refanged r = refang(text);
  if (!r.changed) return out;
  size_t from = 0;
  // text_urls returns the URLs in text order: each is found after the previous one.
  for (auto& u : text_urls(r.text, max, budget)) {
    size_t at = r.text.find(u, from);
    if (at == std::string::npos) continue;
    from = at + u.size();
    bool any = false;
    for (size_t k = at; k < from && !any; ++k) any = r.replaced[k];
    if (any) out.push_back(std::move(u));
  }
  return out;
}

namespace {

void add_decode_anomalies(const Part& p, const DecodeStats& st, std::vector<Anomaly>& out) {
  if (st.invalid_chars)
    out.push_back({p.encoding == Encoding::UUEncode ? "MIME_UUENCODE_INVALID_CHARS"
                                                    : "MIME_BASE64_INVALID_CHARS",
                   fmt::format("{}: {} character(s) outside the alphabet skipped", p.path,
                               st.invalid_chars)});
  if (st.missing_padding && p.encoding == Encoding::Base64)
    out.push_back({"MIME_BASE64_NO_PADDING", fmt::format("{}: base64 without padding", p.path)});
  if (st.data_after_padding)
    out.push_back({"MIME_BASE64_DATA_AFTER_PADDING",
                   fmt::format("{}: {} base64 character(s) after the padding ignored", p.path,
                               st.data_after_padding)});
  if (st.boundary_like_lines && p.encoding == Encoding::Base64)
    out.push_back({"MIME_BASE64_BOUNDARY_LINE",
                   fmt::format("{}: {} line(s) starting with \"--\" inside base64 data", p.path,
                               st.boundary_like_lines)});
  if (st.invalid_escapes)
    out.push_back(
        {"MIME_QP_INVALID", fmt::format("{}: {} invalid quoted-printable escape(s) kept as text",
                                        p.path, st.invalid_escapes)});
}

}  // namespace

Analysis analyze(std::string_view raw, const AnalysisLimits& limits, core::CpuBudget* cpu) {
  Analysis a{Tree::parse(raw, limits.mime, cpu), {}, {}, {}};
  a.anomalies = a.tree.all_anomalies();
  size_t total = 0;
  size_t html_links_dropped = 0;
  for (const Part* p : a.tree.leaves()) {
    if (cpu && cpu->expired()) {
      a.out_of_time = true;
      ++a.leaves_skipped;
      continue;
    }
    Leaf leaf;
    leaf.part = p;
    leaf.anomalies = p->anomalies;
    if (p->opaque) {
      leaf.size = p->body_end - p->body_begin;
      leaf.sha256 = sha256_hex(a.tree.body(*p));
      a.leaves.push_back(std::move(leaf));
      continue;
    }
    size_t budget =
        std::min(limits.mime.max_part_decoded,
                 limits.mime.max_total_decoded > total ? limits.mime.max_total_decoded - total : 0);
    DecodeStats st;
    std::string bytes = a.tree.decode(*p, st, budget);
    total += bytes.size();
    leaf.size = bytes.size();
    leaf.decoded_truncated = st.truncated;
    std::vector<Anomaly> found;
    if (st.truncated)
      found.push_back({"MIME_DECODED_LIMIT",
                       fmt::format("{}: decoded content cut at {} bytes", p->path, bytes.size())});
    add_decode_anomalies(*p, st, found);
    leaf.sha256 = sha256_hex(bytes);
    const bool text = p->type() == "text";
    if (!text)
      leaf.data = std::move(bytes);
    else if (!p->filename.empty() || p->disposition == "attachment")
      leaf.data = bytes;  // the file as sent; `bytes` becomes the UTF-8 text below
    if (text) {
      DecodeStats cs;
      std::string utf8 = to_utf8(std::move(bytes), p->charset, cs);  // bytes: hashed above
      if (cs.unknown_charset)
        found.push_back(
            {"MIME_UNKNOWN_CHARSET", fmt::format("{}: charset '{}' unknown: read as Latin-1",
                                                 p->path, p->charset.substr(0, 64))});
      if (cs.replaced)
        found.push_back(
            {"MIME_CHARSET_INVALID_BYTES",
             fmt::format("{}: {} invalid byte sequence(s) for charset '{}' replaced", p->path,
                         cs.replaced, p->charset.empty() ? "us-ascii" : p->charset.substr(0, 64))});
      if (p->content_type == "text/html") {
        leaf.html = std::move(utf8);
        html::Extract h = html::extract(leaf.html, limits.html, cpu);
        if (h.out_of_time) a.out_of_time = true;
        if (h.truncated)
          found.push_back({"HTML_LIMIT",
                           fmt::format("{}: HTML cut at a bound ({})", p->path, h.truncated_what)});
        for (auto& l : h.links) {
          if (a.links.size() >= limits.max_links) {
            ++html_links_dropped;
            continue;
          }
          a.links.push_back({std::move(l.url), std::move(l.text), p->path, std::move(l.source)});
        }
        a.html_hidden_elements += h.hidden_elements;
        a.html_hidden_text += h.hidden_text;
        a.html_tiny_font += h.tiny_font;
        a.html_invisible_color += h.invisible_color;
        for (auto& f : h.forms) {
          a.html_forms_with_password += f.password ? 1 : 0;
          if (a.forms.size() < kMaxForms)
            a.forms.push_back({std::move(f.action), p->path, f.password});
        }
        leaf.text = std::move(h.text);
      } else {
        size_t cap = std::min(limits.max_text_links, limits.max_links);
        size_t room = a.links.size() < cap ? cap - a.links.size() : 0;
        for (auto& u : text_urls(utf8, room, cpu))
          a.links.push_back({std::move(u), "", p->path, "text"});
        leaf.text = std::move(utf8);
      }
    }
    for (auto& an : found) {
      a.anomalies.push_back(an);
      leaf.anomalies.push_back(std::move(an));
    }
    a.leaves.push_back(std::move(leaf));
  }
  if (html_links_dropped)
    a.anomalies.push_back(
        {"HTML_LIMIT", fmt::format("more than {} links in the message: {} left out",
                                   limits.max_links, html_links_dropped)});
  if (cpu && cpu->exhausted()) a.out_of_time = true;
  if (a.html_hidden_elements)
    a.anomalies.push_back(
        {"HTML_HIDDEN_TEXT", fmt::format("{} hidden element(s) holding {} character(s) of text",
                                         a.html_hidden_elements, a.html_hidden_text)});
  if (a.html_tiny_font)
    a.anomalies.push_back(
        {"HTML_TINY_FONT", fmt::format("{} element(s) with a font size of 0-2", a.html_tiny_font)});
  if (a.html_invisible_color)
    a.anomalies.push_back(
        {"HTML_INVISIBLE_COLOR", fmt::format("{} element(s) with text the colour of its background",
                                             a.html_invisible_color)});
  if (a.html_forms_with_password)
    a.anomalies.push_back({"HTML_PASSWORD_FORM", fmt::format("{} form(s) asking for a password",
                                                             a.html_forms_with_password)});
  return a;
}

}  // namespace postern::mime
