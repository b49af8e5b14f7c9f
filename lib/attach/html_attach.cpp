// HTML attachments: smuggling, credential forms, redirects, obfuscated script
// (see html_attach.hpp).
#include "attach/html_attach.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <string>

#include "html/extract.hpp"

namespace postern::attach {
namespace {

using core::Scope;
constexpr std::array kSymbols{
    // A payload and the code to save it: the QakBot / IcedID delivery. Legitimate
    // mail has no reason to assemble a file in the reader's browser.
    core::SymbolInfo{"ATTACH_HTML_SMUGGLING", 6.0, Scope::Transaction,
                     "an HTML attachment builds a file from data it carries and saves it "
                     "(HTML smuggling)"},
    // A login page sent as a file: it runs from disk, so URL checks never see it.
    core::SymbolInfo{"ATTACH_HTML_FORM", 4.0, Scope::Transaction,
                     "an HTML attachment asks for a password or posts a form to the web"},
    core::SymbolInfo{"ATTACH_HTML_REDIRECT", 3.0, Scope::Transaction,
                     "an HTML attachment that only sends the reader to a web page"},
    core::SymbolInfo{"ATTACH_HTML_SCRIPT_OBFUSCATED", 3.0, Scope::Transaction,
                     "an HTML attachment runs script it decodes first (eval, unescape, long "
                     "escape runs)"},
    core::SymbolInfo{"ATTACH_HTML_LIMIT", 1.0, Scope::Transaction,
                     "an HTML attachment passed a size or CPU limit: only part was checked"},
};

bool is_b64(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/' || c == '=';
}
bool is_hex(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

size_t count(std::string_view s, std::string_view what) {
  size_t n = 0;
  for (size_t p = s.find(what); p != std::string_view::npos; p = s.find(what, p + what.size())) ++n;
  return n;
}

bool has(std::string_view s, std::string_view what) {
  return s.find(what) != s.npos;
}

// The longest run of base64 alphabet that is not an image or a font: a data: URI of
// those types just before the run (within 64 bytes) leaves it out, since pages
// inline logos and fonts (a page that turns one into a file still needs atob or a
// Blob, which count on their own).
size_t longest_base64(std::string_view s) {
  size_t best = 0;
  for (size_t i = 0; i < s.size();) {
    if (!is_b64(static_cast<unsigned char>(s[i]))) {
      ++i;
      continue;
    }
    const size_t b = i;
    while (i < s.size() && is_b64(static_cast<unsigned char>(s[i]))) ++i;
    if (i - b <= best) continue;
    const size_t from = b > 64 ? b - 64 : 0;
    std::string before(s.substr(from, b - from));
    for (auto& ch : before) ch = static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
    if (before.find("data:image/") != std::string::npos ||
        before.find("data:font/") != std::string::npos ||
        before.find("font-woff") != std::string::npos ||
        before.find("font/woff") != std::string::npos)
      continue;
    best = i - b;
  }
  return best;
}

// The most escapes (\xNN, %uNNNN) in one unbroken run. %NN and \uNNNN are left out:
// URL-encoded or JSON-encoded non-Latin text makes long runs of them.
size_t longest_escape_run(std::string_view s) {
  size_t best = 0, run = 0;
  for (size_t i = 0; i < s.size();) {
    size_t len = 0;
    const char c = s[i];
    auto hexes = [&](size_t from, size_t k) {
      if (from + k > s.size()) return false;
      for (size_t j = from; j < from + k; ++j)
        if (!is_hex(static_cast<unsigned char>(s[j]))) return false;
      return true;
    };
    if (c == '\\' && i + 1 < s.size() && s[i + 1] == 'x' && hexes(i + 2, 2))
      len = 4;
    else if (c == '%' && i + 1 < s.size() && s[i + 1] == 'u' && hexes(i + 2, 4))
      len = 6;
    if (len) {
      ++run;
      best = std::max(best, run);
      i += len;
    } else {
      run = 0;
      ++i;
    }
  }
  return best;
}

// Lower case with white space removed: "new  Blob (" and "newblob(" read alike.
std::string compact(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') continue;
    out.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c));
  }
  return out;
}

// The quoted http(s) URL right after `at` in compact text ("http..." or 'http...').
std::string quoted_url_after(std::string_view c, size_t at) {
  if (at >= c.size() || (c[at] != '"' && c[at] != '\'' && c[at] != '`')) return {};
  const char q = c[at];
  const auto window = c.substr(at + 1, 200);  // bounded: many openings stay linear
  const auto url = window.substr(0, window.find(q));
  if (!url.starts_with("http://") && !url.starts_with("https://")) return {};
  return std::string(url);
}

// Data-URI types that carry a program or an archive.
constexpr std::array kPayloadTypes{
    "data:application/octet-stream", "data:application/zip",       "data:application/x-zip",
    "data:application/x-msdownload", "data:application/x-rar",     "data:application/x-7z",
    "data:application/vnd.rar",      "data:application/x-iso",     "data:application/java-archive",
    "data:application/x-msi",        "data:application/hta",       "data:application/x-ms-",
    "data:application/vnd.ms-",      "data:application/x-dosexec",
};

struct Signal {
  std::string what;
  int weight;
};

}  // namespace

std::vector<Hit> scan_html_attachment(std::string_view html, const HtmlAttachLimits& lim,
                                      core::CpuBudget* budget) {
  std::vector<Hit> hits;
  std::string limit;
  if (html.size() > lim.max_input) {
    limit = fmt::format("the file has {} bytes, only the first {} were checked", html.size(),
                        lim.max_input);
    html = html.substr(0, lim.max_input);
  }
  html::Limits hl;
  hl.max_input = lim.max_input;
  const auto ex = html::extract(html, hl, budget);
  if (ex.out_of_time || (budget && budget->expired())) {
    hits.push_back({"ATTACH_HTML_LIMIT", "the CPU budget ran out"});
    return hits;
  }
  const std::string c = compact(html);

  // Payloads and ways to save them.
  std::vector<Signal> payload, deliver;
  if (const size_t run = longest_base64(html); run >= lim.min_base64_run)
    payload.push_back({fmt::format("a {} KiB base64 blob", run / 1024), 3});
  if (const size_t seps = count(c, "\",\"") + count(c, "','"); seps >= lim.min_string_array)
    payload.push_back({fmt::format("an array of {} strings", seps + 1), 2});
  for (const char* t : kPayloadTypes)
    if (has(c, t)) {
      payload.push_back({fmt::format("a {} URI", std::string_view(t).substr(5)), 3});
      break;
    }
  if (const size_t n = count(c, "atob("); n > 0)
    payload.push_back({fmt::format("atob() x{}", n), 1});
  if (has(c, "mssaveoropenblob("))
    deliver.push_back({"msSaveOrOpenBlob", 3});
  else if (has(c, "mssaveblob("))
    deliver.push_back({"navigator.msSaveBlob", 3});
  if (has(c, "url.createobjecturl(")) deliver.push_back({"URL.createObjectURL", 2});
  if (has(c, "newblob(")) deliver.push_back({"new Blob()", 2});
  if (has(c, "download=") || has(c, "(\"download\"") || has(c, "('download'"))
    deliver.push_back({"a download attribute", 2});
  if (!payload.empty() && !deliver.empty()) {
    std::vector<Signal> all = payload;
    all.insert(all.end(), deliver.begin(), deliver.end());
    std::stable_sort(all.begin(), all.end(),
                     [](const Signal& a, const Signal& b) { return a.weight > b.weight; });
    std::string d;
    for (size_t i = 0; i < all.size() && i < 3; ++i) d += (i ? ", " : "") + all[i].what;
    hits.push_back({"ATTACH_HTML_SMUGGLING", d});
  }

  // Credential forms.
  {
    bool asks_login = false;
    for (std::string_view attr :
         {"type=\"email\"", "type='email'", "type=email", "name=\"email\"", "name='email'",
          "name=\"login\"", "name='login'", "name=\"username\"", "name='username'", "name=\"user\"",
          "name='user'", "name=\"loginfmt\"", "name=\"userid\""})
      asks_login = asks_login || has(c, attr);
    std::string d;
    for (const auto& f : ex.forms) {
      if (f.password) {
        d = fmt::format("a form asking for a password{}",
                        f.action.empty() ? "" : " posting to " + f.action.substr(0, 120));
        break;
      }
      // A form posting to the web asks for credentials when it has an e-mail or login
      // field (newsletters post search and subscribe forms: 87 of the ham corpus's 1811
      // HTML parts).
      if (d.empty() && asks_login &&
          (f.action.starts_with("http://") || f.action.starts_with("https://") ||
           f.action.starts_with("//")))
        d = "a form posting a login field to " + f.action.substr(0, 120);
    }
    const bool sends = has(c, "fetch(") || has(c, "xmlhttprequest") || has(c, "$.ajax(") ||
                       has(c, "$.post(") || has(c, "sendbeacon(");
    if (d.empty() && sends && has(c, "pass") && (has(c, "http://") || has(c, "https://")))
      d = "script sends a password field to the web";
    if (!d.empty()) hits.push_back({"ATTACH_HTML_FORM", d});
  }

  // Redirects: a meta refresh or a script location change to the web, and little else.
  {
    std::string target;
    for (const auto& l : ex.links)
      if (l.source == "meta-refresh" &&
          (l.url.starts_with("http://") || l.url.starts_with("https://"))) {
        target = l.url.substr(0, 150);
        break;
      }
    for (std::string_view pat :
         {"location.href=", "location=", "location.replace(", "location.assign(", "window.open("}) {
      if (!target.empty()) break;
      for (size_t p = c.find(pat); p != c.npos && target.empty(); p = c.find(pat, p + 1))
        target = quoted_url_after(c, p + pat.size());
    }
    size_t visible = 0;
    for (unsigned char ch : ex.text)
      if (ch > ' ') ++visible;
    if (!target.empty() && visible < lim.redirect_max_text)
      hits.push_back(
          {"ATTACH_HTML_REDIRECT", fmt::format("to {} ({} visible characters)", target, visible)});
  }

  // Obfuscated script.
  {
    std::string d;
    const bool decodes = has(c, "atob(") || has(c, "unescape(") || has(c, "fromcharcode(") ||
                         has(c, "decodeuricomponent(");
    if (has(c, "document.write(unescape(") || has(c, "document.write(atob(") ||
        has(c, "document.write(decodeuricomponent("))
      d = "document.write over decoded text";
    else if (has(c, "eval(") && decodes)
      d = "eval over decoded text";
    else if (const size_t run = longest_escape_run(html); run >= lim.min_escape_run)
      d = fmt::format("a run of {} escapes", run);
    if (!d.empty()) hits.push_back({"ATTACH_HTML_SCRIPT_OBFUSCATED", d});
  }

  if (!limit.empty() || ex.truncated_what == "input")
    hits.push_back({"ATTACH_HTML_LIMIT", limit.empty() ? "the HTML reader cut the input" : limit});
  return hits;
}

std::span<const core::SymbolInfo> html_attach_symbols() {
  return kSymbols;
}

}  // namespace postern::attach
