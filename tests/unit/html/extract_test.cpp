// Tests for html::extract and html::css_urls: what a reader sees, what a click could
// reach, the tricks that hide text, and the bounds on hostile input.
#include "html/extract.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "core/cpu_budget.hpp"
#include "gumbo_reference.hpp"
#include "support/cpu_time.hpp"

using namespace postern::html;
using Strings = std::vector<std::string>;

namespace {

// "source url [text]" for every link, in document order.
Strings links(const Extract& e) {
  Strings out;
  for (const auto& l : e.links)
    out.push_back(l.source + " " + l.url + (l.text.empty() ? "" : " [" + l.text + "]"));
  return out;
}

}  // namespace

TEST_CASE("visible text leaves out scripts, styles, the head and hidden elements", "[html][text]") {
  struct Row {
    std::string name;
    std::string html;
    std::string text;
    size_t hidden_elements = 0;
    size_t hidden_text = 0;
  };
  const std::vector<Row> rows = {
      {"plain paragraphs", "<p>Hello</p><p>world</p>", "Hello\nworld"},
      {"whitespace collapses like a browser", "<p>  a \n\t b  </p>", "a b"},
      {"entities are decoded", "<p>caf&eacute; &amp; &lt;tea&gt;</p>", "caf\xc3\xa9 & <tea>"},
      {"script and style are not text",
       "<script>var x='secret';</script><style>p{}</style><p>shown</p>", "shown"},
      {"the head and title are not text",
       "<html><head><title>Title</title></head><body>body</body></html>", "body"},
      {"display:none", "<p>a</p><div style=\"display: none\">hidden</div><p>b</p>", "a\nb", 1, 6},
      {"display:none with !important and upper case",
       "<p>a</p><div style=\"DISPLAY:NONE !important\">xy</div>", "a", 1, 2},
      {"visibility:hidden", "<span style=\"visibility:hidden\">abc</span>ok", "ok", 1, 3},
      {"the hidden attribute", "<div hidden>abcd</div>ok", "ok", 1, 4},
      {"opacity 0", "<div style=\"opacity:0\">abc</div>ok", "ok", 1, 3},
      {"nested hidden elements count once",
       "<div style=\"display:none\"><p>ab</p><p hidden>cd</p></div>ok", "ok", 1, 4},
      {"two hidden elements", "<i hidden>a</i>ok<b hidden>bc</b>", "ok", 2, 3},
      {"a visible element after a hidden one", "<div hidden>x</div><div>y</div>", "y", 1, 1},
  };
  for (const auto& r : rows) {
    CAPTURE(r.name);
    Extract e = extract(r.html);
    CHECK(e.text == r.text);
    CHECK(e.hidden_elements == r.hidden_elements);
    CHECK(e.hidden_text == r.hidden_text);
    CHECK_FALSE(e.truncated);
  }
  Extract s =
      extract("<script>1</script><script src=\"http://x.test/a.js\"></script><style>a{}</style>");
  CHECK(s.scripts == 2);
  CHECK(s.styles == 1);
  CHECK(links(s) == Strings{"script@src http://x.test/a.js"});
}

TEST_CASE("every place a click or a load can reach is a link with its source", "[html][links]") {
  struct Row {
    std::string name;
    std::string html;
    Strings want;
  };
  const std::vector<Row> rows = {
      {"a@href with its anchor text",
       "<a href=\"http://evil.test/\">https://bank.test/</a>",
       {"a@href http://evil.test/ [https://bank.test/]"}},
      {"anchor text across elements and image alt",
       "<a href=\" http://x.test/ \"><b>Pay</b> <img alt=\"now\"></a>",
       {"a@href http://x.test/ [Pay now]"}},
      {"an a without href is no link", "<a name=\"x\">x</a>", {}},
      {"img@src with alt",
       "<img src=\"http://x.test/i.png\" alt=\"Logo\">",
       {"img@src http://x.test/i.png [Logo]"}},
      {"srcset with several URLs",
       "<img srcset=\"http://x.test/1.png 1x, http://x.test/2.png 2x,http://x.test/3.png\">",
       {"srcset http://x.test/1.png", "srcset http://x.test/2.png", "srcset http://x.test/3.png"}},
      {"picture source srcset",
       "<picture><source srcset=\"http://x.test/a.webp 100w\"></picture>",
       {"srcset http://x.test/a.webp"}},
      {"form@action",
       "<form action=\"http://phish.test/post\"><input name=u></form>",
       {"form@action http://phish.test/post"}},
      {"button formaction",
       "<form><button formaction=\"http://x.test/b\">Go</button></form>",
       {"formaction http://x.test/b"}},
      {"input formaction",
       "<form><input type=submit formaction=\"http://x.test/i\"></form>",
       {"formaction http://x.test/i"}},
      {"meta refresh",
       "<meta http-equiv=\"refresh\" content=\"0;url=http://x.test/r\">",
       {"meta-refresh http://x.test/r"}},
      {"meta refresh with quotes and spaces",
       "<meta http-equiv=\"Refresh\" content=\"5; URL = 'http://x.test/q'\">",
       {"meta-refresh http://x.test/q"}},
      {"meta refresh in the head",
       "<html><head><meta http-equiv=refresh content='0; url=\"http://x.test/h\"'></head></html>",
       {"meta-refresh http://x.test/h"}},
      {"meta refresh without a URL is no link", "<meta http-equiv=\"refresh\" content=\"30\">", {}},
      {"CSS url() in a style attribute",
       "<div style=\"background:url('http://x.test/bg.png')\">x</div>",
       {"css http://x.test/bg.png"}},
      {"CSS url() in a style element",
       "<style>body{background:url(http://x.test/s.png)}</style>",
       {"css http://x.test/s.png"}},
      {"CSS @import in a style element",
       "<style>@import \"http://x.test/a.css\"; @import url(http://x.test/b.css);</style>",
       {"css http://x.test/a.css", "css http://x.test/b.css"}},
      {"iframe src", "<iframe src=\"http://x.test/f\"></iframe>", {"iframe@src http://x.test/f"}},
      {"the background attribute",
       "<table background=\"http://x.test/t.png\"><tr><td>x</td></tr></table>",
       {"background http://x.test/t.png"}},
      {"area@href", "<map><area href=\"http://x.test/m\"></map>", {"area@href http://x.test/m"}},
      {"links inside hidden elements still count",
       "<div hidden><a href=\"http://x.test/h\">h</a></div>",
       {"a@href http://x.test/h [h]"}},
      {"document order",
       "<a href=\"http://1.test/\">1</a><img src=\"http://2.test/\"><form "
       "action=\"http://3.test/\">",
       {"a@href http://1.test/ [1]", "img@src http://2.test/", "form@action http://3.test/"}},
  };
  for (const auto& r : rows) {
    CAPTURE(r.name);
    CHECK(links(extract(r.html)) == r.want);
  }
}

TEST_CASE("CSS URLs are found in url() and @import", "[html][css]") {
  struct Row {
    std::string css;
    Strings want;
  };
  const std::vector<Row> rows = {
      {"a{background:url(http://x.test/a)}", {"http://x.test/a"}},
      {"a{background:URL( \"http://x.test/b\" )}", {"http://x.test/b"}},
      {"@import 'http://x.test/c.css';", {"http://x.test/c.css"}},
      {"@IMPORT \"http://x.test/d.css\" screen;", {"http://x.test/d.css"}},
      {"@import url(http://x.test/e.css);", {"http://x.test/e.css"}},
      {"a{b:url()} c{d:url(http://x.test/f)}", {"http://x.test/f"}},
      {"a{b:url(http://x.test/unclosed", {}},
      {"no urls at all", {}},
  };
  for (const auto& r : rows) {
    CAPTURE(r.css);
    CHECK(css_urls(r.css) == r.want);
  }
  CHECK(css_urls("url(a) url(b) url(c)", 2) == Strings{"a", "b"});
}

TEST_CASE("tiny fonts and invisible colours are counted", "[html][style]") {
  struct Row {
    std::string name;
    std::string html;
    size_t tiny;
    size_t invisible;
  };
  const std::vector<Row> rows = {
      {"normal text", "<p style=\"font-size:12px;color:#333\">x</p>", 0, 0},
      {"font-size 0", "<span style=\"font-size:0\">x</span>", 1, 0},
      {"font-size 0px", "<span style=\"font-size: 0px\">x</span>", 1, 0},
      {"font-size 1px", "<span style=\"font-size:1px\">x</span>", 1, 0},
      {"font-size 2pt", "<span style=\"font-size:2pt\">x</span>", 1, 0},
      {"font-size 0.1em", "<span style=\"font-size:0.1em\">x</span>", 1, 0},
      {"font-size 3px is readable", "<span style=\"font-size:3px\">x</span>", 0, 0},
      {"font-size 1em is readable", "<span style=\"font-size:1em\">x</span>", 0, 0},
      {"white on white", "<span style=\"color:#ffffff;background-color:#fff\">x</span>", 0, 1},
      {"white on white by name and rgb",
       "<span style=\"color:white;background:rgb(255, 255, 255)\">x</span>", 0, 1},
      {"black on black", "<div style=\"color:#000;background-color:black\">x</div>", 0, 1},
      {"same custom colour", "<span style=\"color:#abcdef;background-color:#ABCDEF\">x</span>", 0,
       1},
      {"transparent text", "<span style=\"color:transparent\">x</span>", 0, 1},
      {"transparent font colour", "<font color=\"Transparent\">x</font>", 0, 1},
      {"different colours", "<span style=\"color:#000;background-color:#fff\">x</span>", 0, 0},
      {"both tricks on one element",
       "<span style=\"font-size:0;color:red;background-color:red\">x</span>", 1, 1},
  };
  for (const auto& r : rows) {
    CAPTURE(r.name);
    Extract e = extract(r.html);
    CHECK(e.tiny_font == r.tiny);
    CHECK(e.invisible_color == r.invisible);
  }
}

TEST_CASE("forms record their action and whether they ask for a password", "[html][forms]") {
  struct Row {
    std::string name;
    std::string html;
    std::vector<std::pair<std::string, bool>> forms;
  };
  const std::vector<Row> rows = {
      {"a login form",
       "<form action=\"http://x.test/\"><input type=\"text\"><input type=\"PASSWORD\"></form>",
       {{"http://x.test/", true}}},
      {"a search form", "<form action=\"/s\"><input type=text name=q></form>", {{"/s", false}}},
      {"two forms, the second with a password",
       "<form action=\"a\"><input></form><form action=\"b\"><input type=password></form>",
       {{"a", false}, {"b", true}}},
      {"a password input without a form", "<input type=password>", {{"", true}}},
  };
  for (const auto& r : rows) {
    CAPTURE(r.name);
    Extract e = extract(r.html);
    REQUIRE(e.forms.size() == r.forms.size());
    for (size_t i = 0; i < r.forms.size(); ++i) {
      CHECK(e.forms[i].action == r.forms[i].first);
      CHECK(e.forms[i].password == r.forms[i].second);
    }
  }
}

TEST_CASE("limits on links, input and text cut and flag", "[html][limits]") {
  std::string many;
  for (int i = 0; i < 50; ++i) many += "<a href=\"http://x.test/" + std::to_string(i) + "\">l</a>";
  {
    Limits lim;
    lim.max_links = 10;
    Extract e = extract(many, lim);
    CHECK(e.links.size() == 10);
    CHECK(e.links.back().url == "http://x.test/9");
    CHECK(e.truncated);
  }
  {
    Limits lim;
    lim.max_input = 100;
    Extract e =
        extract("<p>" + std::string(500, 'a') + "</p><a href=\"http://x.test/late\">x</a>", lim);
    CHECK(e.truncated);
    CHECK(e.text.size() <= 100);
    CHECK(e.links.empty());
  }
  {
    Limits lim;
    lim.max_text = 50;
    Extract e = extract("<p>" + std::string(500, 'a') + "</p>", lim);
    CHECK(e.truncated);
    CHECK(e.text == std::string(50, 'a'));
    Extract words =
        extract("<p>" + std::string(30, 'a') + "</p><p>" + std::string(30, 'b') + " c</p>", lim);
    CHECK(words.truncated);
    CHECK(words.text.size() <= 50);
    CHECK(words.text.starts_with(std::string(30, 'a') + "\nbbb"));
    Extract fits = extract("<p>" + std::string(50, 'a') + "</p>", lim);
    CHECK(fits.text == std::string(50, 'a'));
    CHECK_FALSE(fits.truncated);
  }
  Extract e = extract(many);
  CHECK(e.links.size() == 50);
  CHECK_FALSE(e.truncated);
}

TEST_CASE("deeply nested documents keep their text and links, in linear time, without a crash",
          "[html][limits]") {
  // gumbo alone takes minutes on 200000 nested <div>: nesting beyond the bound is
  // flattened before parsing, as browsers do, so deep content is still seen
  struct Row {
    std::string name;
    std::string open, close;
    size_t levels;
  };
  const std::vector<Row> rows = {
      {"20000 nested div", "<div>", "</div>", 20000},
      {"20000 nested div without end tags", "<div>", "", 20000},
      {"800000 nested div (4 MB)", "<div>", "", 800000},
      {"400000 nested self-closing div", "<div/>", "", 400000},
      {"100000 nested span with attributes", "<span class=\"a>b\" id=x>", "</span>", 100000},
      {"300000 nested b", "<b>", "", 300000},
      {"100000 nested tables", "<table><tr><td>", "</td></tr></table>", 100000},
      {"100000 nested lists", "<ul><li>", "</li></ul>", 100000},
  };
  for (const auto& r : rows) {
    CAPTURE(r.name);
    std::string html = "<p>top <a href=\"http://x.test/top\">t</a></p>";
    for (size_t i = 0; i < r.levels; ++i) html += r.open;
    html += "deep text<a href=\"http://x.test/deep\">d</a>";
    for (size_t i = 0; i < r.levels; ++i) html += r.close;
    html += "<p>after</p>";
    Extract e;
    // About a second; quadratic parsing would take hours.
    CHECK(postern::test::thread_cpu_seconds([&] { e = extract(html); }) <
          postern::test::kHangGuardSeconds);
    CHECK(e.truncated);
    CHECK(e.text.starts_with("top t"));
    CHECK(e.text.find("deep text d") != std::string::npos);
    CHECK(e.text.ends_with("after"));
    CHECK(links(e) == Strings{"a@href http://x.test/top [t]", "a@href http://x.test/deep [d]"});
  }
  // within the bound nothing is dropped
  std::string ok;
  for (int i = 0; i < 75; ++i) ok += "<table><tr><td>";
  ok += "<a href=\"http://x.test/deep\">deep</a>";
  Extract e = extract(ok);
  CHECK(links(e) == Strings{"a@href http://x.test/deep [deep]"});
  CHECK(e.text == "deep");
  CHECK_FALSE(e.truncated);
  // tags in comments, scripts and attribute values do not count as nesting
  std::string fake = "<!--" + std::string(5000, 'x');
  for (int i = 0; i < 1000; ++i) fake += "<div>";
  fake += "--><script>";
  for (int i = 0; i < 1000; ++i) fake += "<div>";
  fake += "</script><p title=\"";
  for (int i = 0; i < 1000; ++i) fake += "<div>";
  fake += "\">shown <a href=\"http://x.test/\">x</a></p>";
  Extract f = extract(fake);
  CHECK_FALSE(f.truncated);
  CHECK(f.text == "shown x");
  CHECK(f.links.size() == 1);
}

namespace {

std::string repeat(std::string_view s, size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

bool valid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += len;
  }
  return true;
}

}  // namespace

TEST_CASE("end tags that close nothing cannot hide nesting from the depth bound",
          "[html][limits]") {
  // each row nests one level per repetition for the HTML tree builder, while a naive
  // count of start and end tags sees depth 0 (100000 '<div></x>' took 36 s in gumbo)
  struct Row {
    std::string name;
    std::string unit;
    size_t count;
  };
  const std::vector<Row> rows = {
      {"unmatched end tags", "<div></x>", 100000},
      {"an end tag stopped by a special element", "<x><div></x>", 50000},
      {"an end tag stopped by a scoping element", "<div><object></div>", 50000},
      {"a formatting end tag across a block", "<b><div></b>", 50000},
  };
  for (const auto& r : rows) {
    CAPTURE(r.name);
    std::string html = repeat(r.unit, r.count) + "deep<a href=\"http://x.test/deep\">d</a>";
    Extract e = extract(html);
    CHECK(e.truncated);
    CHECK(e.truncated_what.find("nesting") != std::string::npos);
    CHECK(e.text.find("deep d") != std::string::npos);
    CHECK(links(e) == Strings{"a@href http://x.test/deep [d]"});
  }
}

TEST_CASE("elements that are closed again are not counted as nesting", "[html][limits]") {
  const Strings rows = {"<div></div>",
                        "<b><i>x</i></b>",
                        "<div><span></span></div>",
                        "<table><tr><td>x</td></tr></table>",
                        "<x><y></y></x>",
                        "<div><b>x</div>"};  // b is closed with the div that holds it
  for (const auto& unit : rows) {
    CAPTURE(unit);
    Extract e = extract(repeat(unit, 20000) + "<a href=\"http://x.test/\">end</a>");
    CHECK_FALSE(e.truncated);
    CHECK(e.links.size() == 1);
  }
}

TEST_CASE("link text is bounded per link and in total, and cut at a UTF-8 boundary",
          "[html][limits]") {
  SECTION("60 nested anchors around a 3.9 MB text node keep 1 KiB of text each") {
    std::string html;
    for (int i = 0; i < 60; ++i)
      html += "<a href=\"http://n" + std::to_string(i) + ".test/\"><object>";
    html += repeat("lorem ipsum ", 3900000 / 12);
    Limits lim;
    Extract e = extract(html, lim);
    REQUIRE(e.links.size() == 60);
    size_t total = 0, with_text = 0;
    for (const auto& l : e.links) {
      CHECK(l.text.size() <= lim.max_link_text);
      // the outer anchors hold the text deeper than the anchor text walk goes (100 levels)
      if (!l.text.empty()) {
        CHECK(l.text.starts_with("lorem ipsum lorem"));
        ++with_text;
      }
      total += l.text.size();
    }
    CHECK(with_text >= 40);
    CHECK(e.links.back().text.size() == lim.max_link_text);
    CHECK(total <= lim.max_link_text_total);
    CHECK(e.links.front().url == "http://n0.test/");
    CHECK(e.links.back().url == "http://n59.test/");
  }
  SECTION("alt texts of images count against the same bounds") {
    Limits lim;
    lim.max_link_text_total = 10 * 1024;
    Extract e = extract(
        repeat("<img src=\"http://i.test/x.png\" alt=\"" + repeat("alt ", 600) + "\">", 40), lim);
    REQUIRE(e.links.size() == 40);
    size_t total = 0;
    for (const auto& l : e.links) {
      CHECK(l.text.size() <= lim.max_link_text);
      total += l.text.size();
    }
    CHECK(total == lim.max_link_text_total);  // the first ten took it all
    CHECK(e.links[9].text.size() == lim.max_link_text);
    CHECK(e.links[10].text.empty());
  }
  SECTION("a cut never splits a UTF-8 sequence") {
    for (std::string pad : {"", "a", "ab"}) {
      Extract e = extract("<a href=\"http://u.test/\">" + pad +
                          repeat("\xc3\xa9\xe2\x82\xac", 800) + "</a>");
      REQUIRE(e.links.size() == 1);
      CHECK(e.links[0].text.size() <= 1024);
      CHECK(e.links[0].text.size() >= 1020);
      CHECK(valid_utf8(e.links[0].text));
    }
  }
  SECTION("short anchor texts are kept whole") {
    Extract e = extract("<a href=\"http://s.test/\">  Your   <b>bank</b> </a>");
    CHECK(links(e) == Strings{"a@href http://s.test/ [Your bank]"});
  }
}

TEST_CASE("CSS URL extraction is linear whatever the CSS repeats", "[html][css]") {
  struct Row {
    std::string name;
    std::string css;
    Strings want;
  };
  const std::vector<Row> rows = {
      {"200000 empty url()", repeat("url()", 200000) + "url(http://c.test/a)", {"http://c.test/a"}},
      {"150000 @import without quotes",
       repeat("@import ", 150000) + "@import 'http://c.test/b';",
       {"http://c.test/b"}},
      {"url( without a closing parenthesis", "url(" + repeat("x", 100000), {}},
      {"@import then url()",
       "@import \"http://c.test/i.css\"; a{background:url('http://c.test/u')}",
       {"http://c.test/i.css", "http://c.test/u"}},
  };
  for (const auto& r : rows) {
    CAPTURE(r.name);
    CHECK(css_urls(r.css) == r.want);
  }
}

TEST_CASE("a spent CPU budget stops the extraction with what was found", "[html][limits]") {
  postern::core::CpuBudget spent(std::chrono::milliseconds(1));
  while (!spent.expired()) {
  }
  Extract e = extract("<p>text</p><a href=\"http://x.test/\">x</a>", {}, &spent);
  CHECK(e.out_of_time);
  CHECK(e.truncated);
  CHECK(e.truncated_what.find("CPU time") != std::string::npos);
  CHECK(e.links.empty());

  postern::core::CpuBudget plenty(std::chrono::milliseconds(60000));
  Extract ok = extract("<p>text</p><a href=\"http://x.test/\">x</a>", {}, &plenty);
  CHECK_FALSE(ok.out_of_time);
  CHECK(ok.links.size() == 1);
}

TEST_CASE(
    "a misnested anchor is cloned into each block it wraps, in tables too, as an HTML5 "
    "parser reads it",
    "[html][links]") {
  // The adoption agency: an </a> (or a new <a>) with blocks opened inside the anchor
  // leaves a copy of the anchor in each block, holding that block's text up to the next
  // block: one more link per block, with the block's text, in document order.
  struct Row {
    std::string name;
    std::string html;
    Strings links;
  };
  const std::vector<Row> rows = {
      {"one block", "<a href=\"u\">x<div>y</a>z</div>", {"a@href u [x]", "a@href u [y]"}},
      {"two nested blocks: a link for each",
       "<a href=\"u\">x<div>y<p>z</a>w</p></div>",
       {"a@href u [x]", "a@href u [y]", "a@href u [z]"}},
      {"in a table cell",
       "<table><tr><td><a href=\"u\">x<div>y</a>z</div></td></tr></table>",
       {"a@href u [x]", "a@href u [y]"}},
      {"in a table cell, two nested blocks",
       "<table><tr><td><a href=\"u\">x<div>y<p>z</a>w</p></div></td></tr></table>",
       {"a@href u [x]", "a@href u [y]", "a@href u [z]"}},
      {"in a table cell, the clone before the block's other links",
       "<table><tr><td><a href=\"u\">x<div>y<img src=\"i\" alt=\"I\">z</a></div></td></tr>"
       "</table>",
       {"a@href u [x]", "a@href u [y I z]", "img@src i [I]"}},
      {"in a table, after content foster-parented before it",
       "<table><a href=\"f\">f</a><tr><td><a href=\"u\">x<div>y</a></div></td></tr></table>"
       "<a href=\"e\">e</a>",
       {"a@href f [f]", "a@href u [x]", "a@href u [y]", "a@href e [e]"}},
      {"in a nested table's cell",
       "<table><tr><td><table><tr><td><a href=\"u\">x<div>y</a></div></td></tr></table>"
       "<a href=\"w\">w</a></td></tr></table>",
       {"a@href u [x]", "a@href u [y]", "a@href w [w]"}},
      {"a new <a> in blocks inside an open one",
       "<a href=\"u\">x<h3>y<center>z<a href=\"v\">v</a></center></h3>",
       {"a@href u [x]", "a@href u [y]", "a@href u [z]", "a@href v [v]"}},
      {"an </a> in a table opened inside the anchor is out of its scope: ignored",
       "<a href=\"u\">x<div>y<table></a><tr><td>c</td></tr></table>z</div>",
       {"a@href u [x y c z]"}},
  };
  for (const auto& r : rows) {
    CAPTURE(r.name, r.html);
    CHECK(links(extract(r.html)) == r.links);
    CHECK(links(reference::extract(r.html)) == r.links);  // as the reference (gumbo) reads it
  }
}

TEST_CASE("misnested anchors in a table cost linear time", "[html][limits]") {
  // Each </a> clones the anchor into its block, in a table: the clone's place in the
  // table's output costs that block's output only.
  auto run = [](size_t n) {
    std::string html = "<table><tr><td>";
    for (size_t i = 0; i < n; ++i) html += "<a href=\"u\">x<div>y <b>z</b></a> w</div>";
    html += "</td></tr></table>";
    auto start = std::chrono::steady_clock::now();
    Extract e = extract(html, Limits{.max_links = 1000000, .max_link_text_total = 1u << 24});
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    CHECK(e.links.size() == 2 * n);
    CHECK(e.links.back().text == "y z");
    return secs;
  };
  double small = run(20000), big = run(80000);
  INFO(small << " s for 20000, " << big << " s for 80000");
  CHECK(big < 16 * small + 1);  // linear: about 4 times; quadratic: 16 times
}
