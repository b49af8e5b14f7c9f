// Tests for mime::analyze and text_urls: links from text and HTML parts with the part
// they came from, decode and charset anomalies, HTML_* anomalies, limits.
#include "mime/analysis.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

using namespace postern::mime;
using Strings = std::vector<std::string>;

namespace {

Strings symbols(const std::vector<Anomaly>& as) {
  Strings out;
  for (const auto& a : as) out.push_back(a.symbol);
  std::sort(out.begin(), out.end());
  return out;
}

std::string single(const std::string& head, const std::string& body) {
  return "From: a@example.com\r\n" + head + "\r\n" + body;
}

}  // namespace

TEST_CASE("URLs in plain text are found with trailing punctuation trimmed", "[analysis][urls]") {
  struct Row {
    std::string name;
    std::string text;
    Strings want;
  };
  const std::vector<Row> rows = {
      {"none", "no links here", {}},
      {"one http URL", "go to http://example.com/a?b=c now", {"http://example.com/a?b=c"}},
      {"a sentence-ending dot", "see https://example.com/path.", {"https://example.com/path"}},
      {"in parentheses with a comma", "(https://x.test/b), then", {"https://x.test/b"}},
      {"several trailing marks", "really http://x.test/!?;:", {"http://x.test/"}},
      {"www without a scheme", "visit www.example.org/x, thanks", {"www.example.org/x"}},
      {"ftp", "ftp://files.test/a.zip", {"ftp://files.test/a.zip"}},
      {"upper-case scheme", "HTTP://SHOUT.TEST/X", {"HTTP://SHOUT.TEST/X"}},
      {"in angle brackets", "<http://x.test/a>", {"http://x.test/a"}},
      {"after '='", "link=http://x.test/q", {"http://x.test/q"}},
      {"inside a word is not a URL start", "xhttp://x.test/ notwww.x.test", {}},
      {"several, in order",
       "http://a.test https://b.test\nwww.c.test",
       {"http://a.test", "https://b.test", "www.c.test"}},
      {"a bare scheme is too short", "http:// and www.", {}},
  };
  for (const auto& r : rows) {
    CAPTURE(r.name);
    CHECK(text_urls(r.text, 100) == r.want);
  }
  CHECK(text_urls("http://a.test http://b.test http://c.test", 2) ==
        Strings{"http://a.test", "http://b.test"});
}

TEST_CASE("links from text and HTML parts carry the path of their part", "[analysis]") {
  const std::string msg =
      "From: a@example.com\r\n"
      "Content-Type: multipart/alternative; boundary=\"b\"\r\n"
      "\r\n"
      "--b\r\n"
      "Content-Type: text/plain; charset=us-ascii\r\n"
      "\r\n"
      "Click https://bank.example/login.\r\n"
      "--b\r\n"
      "Content-Type: text/html; charset=utf-8\r\n"
      "Content-Transfer-Encoding: quoted-printable\r\n"
      "\r\n"
      "<p>Click <a href=3D\"http://evil.test/login\">https://bank.example/login</a>=\r\n"
      "<img src=3D\"http://track.test/p.gif\" alt=3D\"logo\"></p>\r\n"
      "--b--\r\n";
  Analysis a = analyze(msg);
  struct Want {
    std::string url, text, part, source;
  };
  const std::vector<Want> want = {
      {"https://bank.example/login", "", "1.1", "text"},
      {"http://evil.test/login", "https://bank.example/login", "1.2", "a@href"},
      {"http://track.test/p.gif", "logo", "1.2", "img@src"},
  };
  REQUIRE(a.links.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    CAPTURE(i);
    CHECK(a.links[i].url == want[i].url);
    CHECK(a.links[i].text == want[i].text);
    CHECK(a.links[i].part == want[i].part);
    CHECK(a.links[i].source == want[i].source);
  }
  REQUIRE(a.leaves.size() == 2);
  CHECK(a.leaves[0].text ==
        "Click https://bank.example/login.");  // without the line end before the delimiter
  CHECK(a.leaves[1].text == "Click https://bank.example/login");
  CHECK(a.anomalies.empty());
}

TEST_CASE("HTML tricks surface as HTML_* anomalies", "[analysis][html]") {
  const std::string html =
      "<html><body><p>Dear customer</p>"
      "<div style=\"display:none\">hidden words</div>"
      "<span style=\"font-size:0\">tiny</span>"
      "<span style=\"color:#fff;background-color:white\">white on white</span>"
      "<form action=\"http://evil.test/\"><input type=\"password\" name=\"p\"></form>"
      "</body></html>";
  Analysis a = analyze(single("Content-Type: text/html\r\n", html));
  CHECK(symbols(a.anomalies) == Strings{"HTML_HIDDEN_TEXT", "HTML_INVISIBLE_COLOR",
                                        "HTML_PASSWORD_FORM", "HTML_TINY_FONT"});
  CHECK(a.html_hidden_elements == 1);
  CHECK(a.html_hidden_text == 12);
  CHECK(a.html_tiny_font == 1);
  CHECK(a.html_invisible_color == 1);
  CHECK(a.html_forms_with_password == 1);
  REQUIRE(a.leaves.size() == 1);
  CHECK(a.leaves[0].text.find("hidden words") == std::string::npos);
  CHECK(a.leaves[0].text.find("Dear customer") != std::string::npos);
}

TEST_CASE("decode and charset problems of each leaf are anomalies of that leaf", "[analysis]") {
  struct Row {
    std::string name;
    std::string msg;
    Strings want;
    std::string text;  // leaf text, when checked
  };
  const std::vector<Row> rows = {
      {"clean latin1 text is converted",
       single("Content-Type: text/plain; charset=iso-8859-1\r\n", "caf\xe9"),
       {},
       "caf\xc3\xa9"},
      {"an unknown charset",
       single("Content-Type: text/plain; charset=x-klingon\r\n", "caf\xe9"),
       {"MIME_UNKNOWN_CHARSET"},
       "caf\xc3\xa9"},
      {"a charset with a comment is known (RFC 2045 5.1)",
       single("Content-Type: text/plain; charset=us-ascii (Plain text)\r\n", "plain"),
       {},
       "plain"},
      {"invalid UTF-8",
       single("Content-Type: text/plain; charset=utf-8\r\n", "a\xff"),
       {"MIME_CHARSET_INVALID_BYTES"},
       "a\xef\xbf\xbd"},
      {"8-bit in us-ascii",
       single("Content-Type: text/plain\r\n", "a\xe9"),
       {"MIME_CHARSET_INVALID_BYTES"},
       "a\xef\xbf\xbd"},
      {"an invalid quoted-printable escape",
       single("Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n",
              "1+1=2"),
       {"MIME_QP_INVALID"},
       "1+1=2"},
      {"base64 without padding",
       single("Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n", "QUI"),
       {"MIME_BASE64_NO_PADDING"},
       "AB"},
      {"base64 with junk and data after padding",
       single("Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n",
              "QU*I=\r\nQUJD\r\n"),
       {"MIME_BASE64_DATA_AFTER_PADDING", "MIME_BASE64_INVALID_CHARS"},
       ""},
  };
  for (const auto& r : rows) {
    CAPTURE(r.name);
    Analysis a = analyze(r.msg);
    CHECK(symbols(a.anomalies) == r.want);
    REQUIRE(!a.leaves.empty());
    CHECK(symbols(a.leaves[0].anomalies) == r.want);
    if (!r.text.empty()) CHECK(a.leaves[0].text == r.text);
    for (const auto& an : a.anomalies) CHECK(an.detail.starts_with("1: "));
  }
}

TEST_CASE("characters outside the uuencode alphabet are an anomaly of the uuencoded part",
          "[analysis]") {
  Analysis a =
      analyze(single("Content-Type: text/plain\r\n", "begin 644 x.bin\r\n#0V~T\r\nend\r\n"));
  REQUIRE(a.leaves.size() == 2);
  CHECK(a.leaves[0].anomalies.empty());
  CHECK(a.leaves[1].part->filename == "x.bin");
  CHECK(symbols(a.leaves[1].anomalies) == Strings{"MIME_UUENCODE_INVALID_CHARS"});
  REQUIRE(a.anomalies.size() == 1);
  CHECK(a.anomalies[0].detail.starts_with("1.1: "));
}

TEST_CASE("decoded size limits cut leaves and say so", "[analysis][limits]") {
  const std::string msg =
      "Content-Type: multipart/mixed; boundary=\"m\"\r\n\r\n"
      "--m\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
      "MDEyMzQ1Njc4OQ==\r\n"  // 10 bytes
      "--m\r\nContent-Type: application/octet-stream\r\n\r\n0123456789\r\n"
      "--m--\r\n";
  AnalysisLimits lim;
  lim.mime.max_part_decoded = 8;
  lim.mime.max_total_decoded = 12;
  Analysis a = analyze(msg, lim);
  REQUIRE(a.leaves.size() == 2);
  CHECK(a.leaves[0].decoded_truncated);
  CHECK(a.leaves[0].sha256 == sha256_hex("01234567"));
  CHECK(a.leaves[1].decoded_truncated);
  CHECK(a.leaves[1].sha256 == sha256_hex("0123"));
  CHECK(symbols(a.anomalies) == Strings{"MIME_DECODED_LIMIT", "MIME_DECODED_LIMIT"});
}

TEST_CASE("sha256_hex is lower-case hex SHA-256", "[analysis]") {
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

namespace {

std::string repeat(std::string_view s, size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

}  // namespace

TEST_CASE("URL search over text that repeats a scheme inside words stays linear and exact",
          "[analysis][urls][limits]") {
  // 300 KB of "hwww." took 35 s: every scheme was searched again from each position
  struct Row {
    std::string name;
    std::string text;
    Strings want;
  };
  const std::vector<Row> rows = {
      {"300 KB of hwww.", repeat("hwww.", 60000) + " http://real.test/x", {"http://real.test/x"}},
      {"schemes glued to words", repeat("xhttp://a", 30000) + " www.b.test", {"www.b.test"}},
      {"bare schemes", repeat("http:// ", 30000) + "ftp://f.test/", {"ftp://f.test/"}},
      {"a URL before and after the noise",
       "https://a.test/ " + repeat("hwww.", 20000) + " HTTPS://B.TEST/",
       {"https://a.test/", "HTTPS://B.TEST/"}},
  };
  for (const auto& r : rows) {
    CAPTURE(r.name);
    CHECK(text_urls(r.text, 1000) == r.want);
  }
  CHECK(text_urls(repeat("http://a.test/ ", 5000), 1000).size() == 1000);
}

TEST_CASE("links of all parts together are bounded, and the cut is an HTML_LIMIT anomaly",
          "[analysis][limits]") {
  std::string m = "From: a@example.com\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n";
  for (int p = 0; p < 10; ++p)
    m += "--b\r\nContent-Type: text/html\r\n\r\n" +
         repeat("<a href=\"http://l.test/" + std::to_string(p) + "\">x</a>", 10) + "\r\n";
  m += "--b--\r\n";
  AnalysisLimits lim;
  lim.max_links = 35;
  Analysis a = analyze(m, lim);
  CHECK(a.links.size() == 35);
  CHECK(a.links.back().url == "http://l.test/3");
  auto it = std::find_if(a.anomalies.begin(), a.anomalies.end(),
                         [](const Anomaly& x) { return x.symbol == "HTML_LIMIT"; });
  REQUIRE(it != a.anomalies.end());
  CHECK(it->detail == "more than 35 links in the message: 65 left out");
}

TEST_CASE("an HTML part cut at a bound is an HTML_LIMIT anomaly of its leaf", "[analysis][html]") {
  Analysis a = analyze(single("Content-Type: text/html\r\n", repeat("<div></x>", 2000) + "end"));
  REQUIRE(a.leaves.size() == 1);
  CHECK(symbols(a.leaves[0].anomalies) == Strings{"HTML_LIMIT"});
  CHECK(a.leaves[0].anomalies[0].detail == "1: HTML cut at a bound (nesting)");
  CHECK(a.leaves[0].text == "end");
}

TEST_CASE("with its CPU budget spent the analysis stops and says how much it skipped",
          "[analysis][limits]") {
  std::string m =
      "From: a@example.com\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
      "--b\r\n\r\nhttp://one.test/\r\n--b\r\n\r\nhttp://two.test/\r\n--b--\r\n";
  postern::core::CpuBudget plenty(std::chrono::milliseconds(60000));
  Analysis full = analyze(m, {}, &plenty);
  CHECK_FALSE(full.out_of_time);
  CHECK(full.leaves.size() == 2);
  CHECK(full.links.size() == 2);

  postern::core::CpuBudget spent(std::chrono::milliseconds(1));
  while (!spent.expired()) {
  }
  Analysis cut = analyze(m, {}, &spent);
  CHECK(cut.out_of_time);
  CHECK(cut.leaves.empty());
  CHECK(cut.links.empty());
  CHECK(cut.leaves_skipped == 1);  // the tree stopped too: the root is one opaque leaf
  CHECK(cut.tree.parts().size() == 1);
}

TEST_CASE("defanged URLs are refanged and only those are returned") {
  struct Row {
    std::string text;
    std::vector<std::string> want;
  };
  const std::vector<Row> rows{
      {"hxxp://evil[.]example/a", {"http://evil.example/a"}},
      {"hXXps://evil(.)example/b", {"https://evil.example/b"}},
      {"https[:]//evil{.}example/c", {"https://evil.example/c"}},
      {"http[://]evil[dot]example/d", {"http://evil.example/d"}},
      {"www[.]evil[.]example", {"www.evil.example"}},
      {"plain http://clean.example/ and hxxp://bad.example/", {"http://bad.example/"}},
      {"nothing here", {}},
      {"array[.] is not a URL", {}},
      {"HXXPS://EVIL[.]EXAMPLE/X", {"HTTPS://EVIL.EXAMPLE/X"}},
  };
  for (const auto& r : rows) {
    CAPTURE(r.text);
    CHECK(defanged_text_urls(r.text, 100) == r.want);
  }
  CHECK(defanged_text_urls(std::string(100000, '['), 100).empty());
}
